"""Models users bring: each replaces `model.py` in a baked project, whose unchanged suite passes.

Every file in `tests/zoo/` is a `model.py` that differs from the example in a
way real models do (see each file's docstring). The project is baked for the
member's model type, its `model.py` replaced, the model doc's lines that state
this model's shapes or arguments updated (as its user would), the model trained
and exported once (as its user would: `export` writes the doc's Export facts
block), and then its own `pytest` trains, exports and runs every round-trip test.
"""

import dataclasses
from pathlib import Path
import re
import shutil

import pytest

from conftest import run_project_suite, write_export_facts

ZOO = Path(__file__).with_name("zoo")

# The doc's fine-tuning example passes the example's dropout rate; a model without
# that hyperparameter takes no arguments.
NO_DROPOUT_ARGUMENT = {
    ', arguments={"dropout_rate": 0.3})': ")",
    ' arguments={"dropout_rate": 0.3},': "",
}

def tflite_with_tensorflow_ops(output_key):
    """The doc's TFLite example converts with TensorFlow ops, as the text doc shows.

    It runs the builtins' conversion; a model with an op they lack (the test
    says which) needs TensorFlow's own kernels.
    """
    return {
        """in Python, LiteRT's interpreter runs it
(`pip install ai-edge-litert`; `tf.lite.Interpreter` is deprecated):
""": """converted with TensorFlow ops
enabled, it needs a TFLite runtime with the Flex delegate, which LiteRT's Python
interpreter (`ai-edge-litert`) lacks (google-ai-edge/LiteRT#6458):
""",
        "from ai_edge_litert.interpreter import Interpreter\n": "",
        f"""interpreter = Interpreter(model_content=converter.convert())
outputs = interpreter.get_signature_runner("serving_default")(images=images)["{output_key}"]
""": """converter.target_spec.supported_ops = [
    tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS,
]
tflite_model = converter.convert()
""",
    }


# The doc of a member of several named inputs: each input listed, the fine-tuning
# example on a dict of Inputs (Sequential takes one), TFLite's runner given each by name.
def several_inputs(inputs, keras_inputs, output_key=""):
    """Doc edits for a member whose `INPUT_SIGNATURE` is a dict: `inputs` lists
    (name, dtype, shape, meaning), `keras_inputs` the example's `tf_keras.Input`s,
    `output_key` the output hub.KerasLayer picks of a model that returns a dict."""
    pick = f', output_key="{output_key}"' if output_key else ""
    listed = "\n".join(
        f"  - `{name}`: a {dtype} Tensor of shape `{shape}`: {meaning}."
        for name, dtype, shape, meaning in inputs
    )
    names = ", ".join(f"`{name}`" for name, *_ in inputs)
    return {
        "- Input: a float32 Tensor of shape `[batch, 32, 32, 3]`: RGB images with\n"
        "  values in `[0, 1]`. Any batch size works; other dtypes (uint8, float64) are rejected.":
        f"- Inputs, a dict of named Tensors; any batch size works:\n{listed}",
        "signature takes `images` and": f"signature takes {names}, each by name, and",
        "`images` is a float32 array\nof shape `[batch, 32, 32, 3]` with values in `[0, 1]`":
        "`images` is a dict of\narrays, one per input",
        """model = tf_keras.Sequential([
    tf_keras.Input((32, 32, 3)),
    hub.KerasLayer("path/to/saved_model", trainable=True),
    tf_keras.layers.Dense(5),
])""": f"""inputs = {{{keras_inputs}}}
outputs = hub.KerasLayer("path/to/saved_model", trainable=True{pick})(inputs)
model = tf_keras.Model(inputs, tf_keras.layers.Dense(5)(outputs))""",
        '("serving_default")(images=images)': '("serving_default")(**images)',
    }


# How the text members read text, for their docs.
GIVEN_VOCABULARY = "A `TextVectorization` layer with a given vocabulary turns texts into word ids."
ADAPTED_VOCABULARY = "A `TextVectorization` layer adapted in `build_model()` makes word ids."

# The doc's TFLite example: the paragraph before it and its code block.
TFLITE_EXAMPLE = re.compile(
    r"^[^\n]*TensorFlow Lite(?:(?!```).)*```python\n(?:(?!```).)*TFLiteConverter(?:(?!```).)*```\n",
    re.MULTILINE | re.DOTALL,
)


# The doc's paragraph on the example's tokenizer, which the text members replace.
EXAMPLE_TOKENIZER = re.compile(
    r"^The vocabulary \(\d+ words, one per line\).*?are read\.\n", re.MULTILINE | re.DOTALL
)


def replaced_once(pattern, new, text, what):
    text, replaced = pattern.subn(new, text)
    assert replaced == 1, f"the doc's {what} was not found"
    return text


def without_tflite_example(text, reason):
    """The doc with its TFLite example replaced by the sentence that says TFLite cannot run it."""
    sentence = f"TensorFlow Lite cannot run this model: {reason}\n"
    return replaced_once(TFLITE_EXAMPLE, sentence, text, "TFLite example")


@dataclasses.dataclass(frozen=True)
class Member:
    model: str  # A file in tests/zoo/.
    model_type: str
    keras_flavour: str
    task: str
    doc: dict = dataclasses.field(default_factory=lambda: NO_DROPOUT_ARGUMENT)
    no_tflite: str = ""  # Why TFLite cannot run the model, if it cannot.
    reads_text: str = ""  # For a text model: how it reads text (not with the example's tokenizer).

    def context(self):
        context = {
            "model_type": self.model_type, "keras_flavour": self.keras_flavour, "task": self.task,
        }
        if self.task.startswith("image-"):
            context["image_size"] = "32"  # Every image member takes 32x32.
        return context


MEMBERS = [
    Member(
        "keras3_functional_dropout.py", "keras_full", "keras3", "image-classification",
        doc={
            **NO_DROPOUT_ARGUMENT,
            "`[batch, 32, 32, 3]`": "`[batch, height, width, 3]`",
            'returns `{"logits": ...}`.': 'returns `{"features": ..., "logits": ...}`; '
            '`"features"` (`[batch, 8]`) are the logits\' inputs.',
            "trainable=True),": 'trainable=True, output_key="logits"),',
        },
    ),
    Member(
        "keras3_subclassed_lists.py", "keras_full", "keras3", "image-classification",
        doc={
            **NO_DROPOUT_ARGUMENT,
            "`[batch, 32, 32, 3]`: RGB images": "`[batch, 32, 32, 1]`: grayscale images",
            "`[batch, 32, 32, 3]`": "`[batch, 32, 32, 1]`",
            "Input((32, 32, 3))": "Input((32, 32, 1))",
        },
    ),
    Member("keras3_vision_transformer.py", "keras_full", "keras3", "image-classification"),
    Member(
        "keras3_text_vectorization.py", "keras_full", "keras3", "text-classification",
        doc={
            **NO_DROPOUT_ARGUMENT,
            "`[batch]`, one text per example": "`[batch, 1]`, one text per row",
            "tf_keras.Input([], dtype=tf.string)": "tf_keras.Input([1], dtype=tf.string)",
        },
        reads_text=GIVEN_VOCABULARY,
    ),
    Member(
        "keras3_mobilenet_piece.py", "keras_piece", "keras3", "image-feature-vector",
        doc={**NO_DROPOUT_ARGUMENT, "`[batch, 64]`": "`[batch, 432]`"},
    ),
    Member(
        "keras3_recurrent_text_piece.py", "keras_piece", "keras3", "text-embedding",
        reads_text=ADAPTED_VOCABULARY,
    ),
    Member("keras3_augmentation_nested.py", "keras_piece", "keras3", "image-feature-vector"),
    Member(
        "keras3_two_hyperparameters.py", "keras_full", "keras3", "image-classification", doc={}
    ),
    Member(
        "keras3_mixed_precision.py", "keras_full", "keras3", "image-classification",
        doc={**NO_DROPOUT_ARGUMENT, **tflite_with_tensorflow_ops("logits")},
    ),
    Member("tf_keras_subclassed_list.py", "keras_full", "tf_keras", "image-classification"),
    Member(
        "tf_keras_sequential_piece.py", "keras_piece", "tf_keras", "image-feature-vector",
        doc={
            **NO_DROPOUT_ARGUMENT,
            **tflite_with_tensorflow_ops("feature_vector"),
            "`[batch, 64]`: the feature vector of each image": "`[batch, 16, 64]`: a feature "
            "vector for each 8x8 patch of each image",
            "    tf_keras.layers.Dense(5),": "    tf_keras.layers.GlobalAveragePooling1D(),\n"
            "    tf_keras.layers.Dense(5),",
        },
    ),
    Member(
        "tf_keras_text_vectorization.py", "keras_full", "tf_keras", "text-classification",
        reads_text=GIVEN_VOCABULARY,
    ),
    Member(
        "keras3_bag_of_bigrams.py", "keras_full", "keras3", "text-classification",
        no_tflite="its bigrams come from `StringNGrams`, which no TFLite kernel runs.",
        reads_text="A `TextVectorization` layer adapted in `build_model()` weighs each text's "
        "words and bigrams by TF-IDF.",
    ),
    Member("module_lists_and_dicts.py", "checkpoint", "keras3", "image-classification"),
    Member(
        "keras3_bert_like_encoder_piece.py", "keras_piece", "keras3", "image-feature-vector",
        doc={
            **NO_DROPOUT_ARGUMENT,
            **several_inputs(
                [(name, "int32", "[batch, 16]", meaning) for name, meaning in (
                    ("input_word_ids", "word ids below 32 of the first 16 tokens"),
                    ("input_mask", "1 for a token, 0 past the end of the text"),
                    ("input_type_ids", "segment ids below 10"))],
                ", ".join(f'"{name}": tf_keras.Input((16,), dtype="int32", name="{name}")'
                          for name in ("input_word_ids", "input_mask", "input_type_ids")),
                output_key="pooled_output",
            ),
            "- Output: a float32 Tensor of shape `[batch, 64]`: the feature vector of each image.":
            '- Outputs, a dict: `"pooled_output"`, float32 `[batch, 32]`, a feature vector of '
            'each text; `"sequence_output"`, float32 `[batch, 16, 32]`, one for each token.',
            'returns `{"feature_vector": ...}`': 'returns `{"pooled_output": ..., '
            '"sequence_output": ...}`',
            '["feature_vector"]': '["pooled_output"]',
        },
    ),
    Member(
        "tf_keras_recurrent_encoder_piece.py", "keras_piece", "tf_keras", "text-embedding",
        doc={
            **NO_DROPOUT_ARGUMENT,
            "- Input: a string Tensor of shape `[batch]`, one text per example. Any batch\n"
            "  size works; a `[batch, 1]` Tensor or numbers are rejected.":
            "- Inputs, a dict of int32 Tensors of shape `[batch, 16]`, token ids of the first\n"
            "  16 tokens of each text (a tokenizer outside the model makes them):\n"
            "  - `input_word_ids`: word ids below 32;\n"
            "  - `input_mask`: 1 for a token, 0 past the end of the text;\n"
            "  - `input_type_ids`: segment ids below 10.",
            "signature takes `text` and": "signature takes `input_word_ids`, `input_mask` and "
            "`input_type_ids`, each by name, and",
            "`texts` is a NumPy array of\nstrings": "`texts` is a dict of\nint32 arrays, one "
            "per input",
            """model = tf_keras.Sequential([
    tf_keras.Input([], dtype=tf.string),
    hub.KerasLayer(
        "path/to/saved_model", trainable=True,
        output_key="pooled_output",
    ),
    tf_keras.layers.Dense(5),
])""": """inputs = {
    name: tf_keras.Input((16,), dtype=tf.int32, name=name)
    for name in ("input_word_ids", "input_mask", "input_type_ids")
}
encoder = hub.KerasLayer("path/to/saved_model", trainable=True, output_key="pooled_output")
model = tf_keras.Model(inputs, tf_keras.layers.Dense(5)(encoder(inputs)))""",
            "has no builtin kernels for four of the tokenizer's ops\n(`RaggedTensorToTensor`, "
            "`StringLower`, `StringSplitV2`,\n`StringToHashBucketFast`; the vocabulary lookup "
            "itself converts).": "has no builtin kernels for the tensor lists of the\nGRU "
            "and LSTM.",
        },
        reads_text="Token ids come from a tokenizer outside the model.",
    ),
    Member(
        "module_image_with_metadata.py", "checkpoint", "keras3", "image-classification",
        doc={
            **NO_DROPOUT_ARGUMENT,
            **several_inputs(
                [("flash", "bool", "[batch]", "whether the flash fired"),
                 ("images", "float32", "[batch, 32, 32, 3]", "RGB images with values in "
                  "`[0, 1]`"),
                 ("metadata", "float32", "[batch, 4]", "exposure settings, scaled to `[0, 1]`")],
                '"images": tf_keras.Input((32, 32, 3), name="images"), '
                '"metadata": tf_keras.Input((4,), name="metadata"), '
                '"flash": tf_keras.Input((), dtype="bool", name="flash")',
            ),
        },
    ),
    Member(
        "tf_keras_structured_data.py", "keras_full", "tf_keras", "image-classification",
        doc={
            **NO_DROPOUT_ARGUMENT,
            **several_inputs(
                [("age", "float32", "[batch, 1]", "ages in `[0, 1]`"),
                 ("rooms", "int32", "[batch, 1]", "room counts below 6"),
                 ("city", "string", "[batch, 1]", "city names")],
                '"age": tf_keras.Input((1,), name="age"), '
                '"rooms": tf_keras.Input((1,), dtype="int32", name="rooms"), '
                '"city": tf_keras.Input((1,), dtype="string", name="city")',
            ),
        },
    ),
    Member(
        "module_keras_text_embedding.py", "checkpoint", "keras3", "text-embedding", doc={},
        reads_text="A `StringLookup` layer turns each word into an id; its vocabulary is given.",
    ),
]


def test_every_zoo_model_is_a_member():
    assert sorted(member.model for member in MEMBERS) == sorted(
        path.name for path in ZOO.glob("*.py")
    )


@pytest.mark.parametrize("member", MEMBERS, ids=lambda member: member.model.removesuffix(".py"))
def test_users_model_passes_the_projects_own_suite(cookies, member):
    result = cookies.bake(extra_context=member.context())
    assert result.exit_code == 0, result.exception
    project = result.project_path
    package = project.name.replace("-", "_")  # image_model, or text_model for text tasks
    shutil.copyfile(ZOO / member.model, project / "src" / package / "model.py")
    (doc,) = project.glob("assets/docs/*/models/*/*.md")
    text = doc.read_text()
    for old, new in member.doc.items():
        if old in text:
            text = text.replace(old, new)
    if member.no_tflite:
        text = without_tflite_example(text, member.no_tflite)
    if member.reads_text:
        text = replaced_once(EXAMPLE_TOKENIZER, member.reads_text + "\n", text, "tokenizer")
    doc.write_text(text)
    write_export_facts(project, package)
    summary, seconds = run_project_suite(project)
    print(f"{member.model}: {summary} ({seconds:.0f} s)")
