"""Synthetic images with learnable labels, so training and tests need no download.

Replace with your own input pipeline; keep the contract of the exported model:
float32 images of shape [batch, height, width, 3] with values in [0, 1].
"""

import numpy as np


def synthetic_images(num_examples, image_size, num_classes, seed=0):
    """Returns (images, labels): each class is noise tinted with its own colour."""
    rng = np.random.default_rng(seed)
    colours = rng.uniform(size=(num_classes, 3)).astype(np.float32)
    labels = rng.integers(num_classes, size=num_examples).astype(np.int32)
    noise = rng.uniform(size=(num_examples, image_size, image_size, 3)).astype(np.float32)
    images = 0.7 * noise + 0.3 * colours[labels][:, None, None, :]
    return images, labels
