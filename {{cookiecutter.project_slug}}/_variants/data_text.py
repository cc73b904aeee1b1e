"""Synthetic sentences with learnable labels, so training and tests need no download.

Replace with your own input pipeline; keep the contract of the exported model:
a string Tensor of shape [batch], one text per example.
"""

import numpy as np

from {{ cookiecutter.package_name }}.model import NUM_CLASSES
from {{ cookiecutter.package_name }}.tokenizer import VOCABULARY_FILE

WORDS_PER_SENTENCE = (3, 12)
# Words that are not in the vocabulary: they exercise the out-of-vocabulary buckets.
UNKNOWN_WORDS = ("zyxt", "qwop", "blorf", "snark", "vrok", "plimb")


def synthetic_examples(num_examples, seed=0):
    """Returns (texts, labels): each class draws most of its words from its own slice
    of the vocabulary; the rest come from anywhere, unknown words included.
    """
    rng = np.random.default_rng(seed)
    vocabulary = VOCABULARY_FILE.read_text().split()
    topics = np.array_split(np.array(vocabulary), NUM_CLASSES)
    anywhere = np.array(vocabulary + list(UNKNOWN_WORDS))
    labels = rng.integers(NUM_CLASSES, size=num_examples).astype(np.int32)
    texts = []
    for label in labels:
        length = rng.integers(*WORDS_PER_SENTENCE, endpoint=True)
        words = np.where(
            rng.uniform(size=length) < 0.6,
            rng.choice(topics[label], size=length),
            rng.choice(anywhere, size=length),
        )
        # Mixed case and spacing: the model lower-cases and splits on any whitespace.
        texts.append("  ".join(words) if rng.uniform() < 0.2 else " ".join(words).capitalize())
    return np.array(texts), labels
