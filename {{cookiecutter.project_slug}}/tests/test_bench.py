"""The benchmark runs and reports every measure; how fast anything is, is not tested here.

Speed is measured by `python -m {{ cookiecutter.package_name }}.bench` on a quiet machine,
never asserted in a test suite that shares the machine with other work. Here the
library functions run in this process; test_commands.py checks the command's flags.
"""

import pytest

from {{ cookiecutter.package_name }}.bench import benchmark
from {{ cookiecutter.package_name }}.bench_report import (
    TARGETS_FROM_PARAMETERS,
    format_results,
)

BATCH_SIZES = (1, 2)
{% if cookiecutter.__builder == "module" -%}
# A bare tf.saved_model.save of a tf.Module saves no function to call: no baseline latency.
PER_BATCH = ["latency", "serving"]
{%- else -%}
PER_BATCH = ["latency", "serving", "baseline_latency"]
{%- endif %}
EXPECTED_ROWS = [
    "export_verified", "export_unverified", "load",
    *(f"{name}_b{size}" for size in BATCH_SIZES for name in PER_BATCH),
    "size", "baseline_size",
]


@pytest.fixture(scope="module")
def bench_run():
    """(the results, the table printed from them), at the smallest sizes and with no warm-up."""
    results = benchmark(repeats=1, calls=2, warmup=0, batch_sizes=BATCH_SIZES)
    return results, format_results(results)


def test_every_measure_is_reported_with_positive_figures(bench_run):
    results, _ = bench_run
    rows = {row["key"]: row for row in results["rows"]}
    assert sorted(rows) == sorted(EXPECTED_ROWS)
    for row in rows.values():
        assert row["ours"] > 0 and row["reference"] > 0, row
        assert row["ratio"] == pytest.approx(row["ours"] / row["reference"])
        judged = row["target"] is not None and results["targets_apply"]
        assert row["met"] is (row["ratio"] <= row["target"] if judged else None)
    targets = {key: row["target"] for key, row in rows.items() if row["target"] is not None}
    assert targets == {
        "export_verified": 2.0, "latency_b1": 1.05, "latency_b2": 1.05, "size": 1.10,
    }


def test_artifact_bytes_are_taken_apart(bench_run):
    results, _ = bench_run
    parts = results["artifact_parts"]
    assert parts["saved_model.pb"] > 0 and parts["variables/"] > 0
    size = next(row for row in results["rows"] if row["key"] == "size")
    assert sum(parts.values()) == size["ours"]


def test_the_table_shows_every_measure_and_the_verdict(bench_run):
    results, table = bench_run
    for row in results["rows"]:
        assert row["label"] in table
    assert "Where the artifact's" in table
    if results["targets_apply"]:
        assert "targets missed:" in table or "all targets met" in table
    else:
        assert f"this one has {results['num_parameters']:,}" in table


def test_targets_apply_from_a_million_parameters(bench_run):
    results, _ = bench_run
    assert results["num_parameters"] > 0
    assert results["targets_apply"] is (results["num_parameters"] >= TARGETS_FROM_PARAMETERS)
