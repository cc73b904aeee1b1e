"""Text to token ids inside the graph, with the vocabulary shipped as a SavedModel asset.

The vocabulary file is read by a `tf.lookup.TextFileInitializer`, which
`tf.saved_model.save` copies into the export's `assets/` directory: the
exported model keeps working wherever it is moved, and the vocabulary is not
baked into the graph as constants. Words that are not in the vocabulary hash
into `num_oov_buckets` extra ids instead of all sharing one.
"""

from pathlib import Path

import tensorflow as tf

# One word per line; line n gets id n. Exported as an asset of the SavedModel.
VOCABULARY_FILE = Path(__file__).with_name("vocabulary.txt")
NUM_OOV_BUCKETS = 16
MAX_TOKENS = 16


class Tokenizer(tf.Module):
    """Strings [batch] -> ids [batch, max_tokens]: lower-cased, split on whitespace, looked up.

    Ids past the end of a text are -1; words beyond `max_tokens` are dropped.
    Ids are in `[0, vocabulary_size)`: the vocabulary file's line numbers,
    then the out-of-vocabulary buckets.
    """

    def __init__(
        self, vocabulary_file=VOCABULARY_FILE, num_oov_buckets=NUM_OOV_BUCKETS,
        max_tokens=MAX_TOKENS, name=None,
    ):
        super().__init__(name=name)
        initializer = tf.lookup.TextFileInitializer(
            str(vocabulary_file),
            key_dtype=tf.string, key_index=tf.lookup.TextFileIndex.WHOLE_LINE,
            value_dtype=tf.int64, value_index=tf.lookup.TextFileIndex.LINE_NUMBER,
        )
        self.table = tf.lookup.StaticVocabularyTable(initializer, num_oov_buckets)
        self.vocabulary_size = int(self.table.size())
        self.max_tokens = max_tokens

    def __call__(self, texts):
        words = tf.strings.split(tf.strings.lower(texts))
        return self.table.lookup(words).to_tensor(default_value=-1, shape=[None, self.max_tokens])


# The ops of `Tokenizer` that TensorFlow Lite has no builtin kernels for: converting
# a model that holds one needs `SELECT_TF_OPS`, and running it a TFLite runtime with
# the Flex delegate. (The lookup table itself converts to builtin hash-table ops.)
TFLITE_SELECT_OPS = (
    "RaggedTensorToTensor", "StringLower", "StringSplitV2", "StringToHashBucketFast",
)
