"""Synthetic images with learnable labels, so training and tests need no download.

Replace with your own input pipeline; keep the contract of the exported model:
float32 images of shape [batch, height, width, 3] with values in [0, 1].
"""

import numpy as np

from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, NUM_CLASSES


def synthetic_examples(num_examples, seed=0):
    """Returns (images, labels): each class is noise tinted with its own colour."""
    rng = np.random.default_rng(seed)
    colours = rng.uniform(size=(NUM_CLASSES, 3)).astype(np.float32)
    labels = rng.integers(NUM_CLASSES, size=num_examples).astype(np.int32)
    # Whatever size the model takes: its input signature says.
    noise = rng.uniform(size=(num_examples, *INPUT_SIGNATURE.shape[1:])).astype(np.float32)
    images = 0.7 * noise + 0.3 * colours[labels][:, None, None, :]
    return images, labels
