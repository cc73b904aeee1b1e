"""The benchmark runs and reports every measure; how fast anything is, is not tested here.

Speed is measured by `python -m {{ cookiecutter.package_name }}.bench` on a quiet machine,
never asserted in a test suite that shares the machine with other work. Here the
library functions run in this process; test_commands.py checks the command's flags.

The measuring runs on a stand-in of a million parameters, the size from which
targets apply: three exports and two loads of a real-size network would take
a minute and prove nothing about it that the other tests do not. What the
benchmark does with your model is export it (the other tests prove that) and
save it as the baseline, which is proven here apart.
"""

{% if cookiecutter.__builder == "module" -%}
import collections

{% endif -%}
import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.baseline import BASELINE, Baseline
from {{ cookiecutter.package_name }}.exporter.bench_report import (
    TARGETS_FROM_PARAMETERS,
    format_results,
    judged,
)
from {{ cookiecutter.package_name }}.exporter.benchmark import WARMUP_PART, benchmark
from {{ cookiecutter.package_name }}.exporter.input_signature import named
{%- if cookiecutter.__builder == "module" %}
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, build_model
{%- else %}
from {{ cookiecutter.package_name }}.exporter.outputs import inference_outputs
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY, build_model
{%- endif %}

from stand_in import StandIn

BATCH_SIZES = (1, 2)
PER_BATCH = ["latency", "serving", "baseline_latency"]
EXPECTED_ROWS = [
    "export_verified", "export_unverified", "load",
    *(f"{name}_b{size}" for size in BATCH_SIZES for name in PER_BATCH),
    "size", "baseline_size",
]


def save_plainly(model, path):
    """The stand-in's plain export: a bare tf.saved_model.save, with a function to call."""
    plain = tf.Module()
    plain.model = model
    signature = [named(INPUT_SIGNATURE)]
    plain.serve = tf.function(lambda inputs: model(inputs), input_signature=signature)
    tf.saved_model.save(plain, str(path))


STAND_IN_BASELINE = Baseline("tf.saved_model.save", save_plainly, lambda loaded: loaded.serve)


@pytest.fixture(scope="module")
def bench_run():
    """(the results, the table printed from them), at the smallest sizes and with no warm-up."""
    results = benchmark(
        repeats=1, calls=2, warmup=0, batch_sizes=BATCH_SIZES,
        model=StandIn(TARGETS_FROM_PARAMETERS), baseline=STAND_IN_BASELINE,
        verify=verify_saved_model,  # In this process: the export's tests prove the fresh one.
    )
    return results, format_results(results)


def test_every_measure_is_reported_with_positive_figures(bench_run):
    results, _ = bench_run
    assert results["targets_apply"]
    rows = {row["key"]: row for row in results["rows"]}
    assert sorted(rows) == sorted(EXPECTED_ROWS)
    for row in rows.values():
        assert row["ours"] > 0 and row["reference"] > 0, row
        assert row["ratio"] == pytest.approx(row["ours"] / row["reference"])
        assert row["met"] is (row["ratio"] <= row["target"] if row["target"] else None)
    targets = {key: row["target"] for key, row in rows.items() if row["target"] is not None}
    assert targets == {
        "export_verified": 2.0, "latency_b1": 1.05, "latency_b2": 1.05, "size": 1.10,
    }


def test_artifact_bytes_are_taken_apart(bench_run):
    results, _ = bench_run
    parts = results["artifact_parts"]
    # The stand-in's million float32 weights are the variables' bytes.
    assert parts["saved_model.pb"] > 0 and parts["variables/"] > 4 * TARGETS_FROM_PARAMETERS
    # The verified export carries warmup requests, listed apart and left out of the size row.
    assert parts[WARMUP_PART] > 0
    size = next(row for row in results["rows"] if row["key"] == "size")
    assert sum(parts.values()) - parts[WARMUP_PART] == size["ours"]


def test_the_table_shows_every_measure_and_the_verdict(bench_run):
    results, table = bench_run
    for row in results["rows"]:
        assert row["label"] in table
    assert "Where the artifact's" in table
    assert "targets missed:" in table or "all targets met" in table


def test_no_target_applies_below_a_million_parameters(bench_run):
    results, _ = bench_run
    assert results["num_parameters"] == TARGETS_FROM_PARAMETERS
    smaller = {
        **results, "num_parameters": TARGETS_FROM_PARAMETERS - 1, "targets_apply": False,
        "rows": judged(results["rows"], targets_apply=False),
    }
    assert all(row["met"] is None for row in smaller["rows"])
    table = format_results(smaller)
    assert f"this one has {TARGETS_FROM_PARAMETERS - 1:,}" in table
    assert "targets missed" not in table and "all targets met" not in table


def test_the_baseline_is_a_plain_export_of_your_model(
    tmp_path{% if cookiecutter.__builder != "module" %}, inputs{% endif %}
):
    """What the benchmark measures the export against saves your model, and runs it.

    Its outputs are not compared with the model's: Keras 3's `model.export` serves
    `model(inputs)` without `training=`, where augmentation layers default to
    training mode (a served RandomFlip flips), and the baseline is measured as it is.
    """
    model = build_model()
    BASELINE.save(model, tmp_path)
    loaded = tf.saved_model.load(str(tmp_path))
    call = BASELINE.call(loaded)
{%- if cookiecutter.__builder == "module" %}
    assert call is None  # A bare tf.Module saves no function; its variables it does.
    stored = dict(tf.train.list_variables(str(tmp_path / "variables" / "variables")))
    shapes = [tuple(shape) for name, shape in stored.items() if name.endswith("VARIABLE_VALUE")]
    # Each variable of the model, and perhaps more: state it does not list (the state
    # of a tf.random.Generator it holds) is saved too.
    missing = collections.Counter(tuple(variable.shape) for variable in model.variables)
    missing.subtract(shapes)
    assert not +missing, f"variables of these shapes were not saved: {sorted(+missing)}"
{%- else %}
    outputs = as_dict(call(tf.nest.map_structure(tf.constant, inputs)), OUTPUT_KEY)
    expected = as_dict(inference_outputs(model, inputs), OUTPUT_KEY)
    assert {name: tuple(value.shape) for name, value in outputs.items()} == {
        name: value.shape for name, value in expected.items()
    }
    assert len(loaded.variables) == len(model.variables)
{%- endif %}
