"""What the benchmark reports: each measure as a row against its target, and the table.

A row is `ours / reference` with both figures; `met` says whether the ratio is
within its target. Targets apply to networks of a million parameters or more:
below that, fixed costs dominate every ratio, and the table says so instead.
"""

# The ratio ours / reference each target allows.
LATENCY_TARGET = 1.05
SIZE_TARGET = 1.10
EXPORT_TARGET = 2.0
# The targets are for real-size networks. Below this many parameters, fixed costs
# dominate every ratio: the verifier's TensorFlow import (seconds, whatever the
# model), a graph of some 100 KB, Python's dispatch of each call (tens of µs).
TARGETS_FROM_PARAMETERS = 1_000_000


def row(key, label, ours, reference, unit, target=None):
    """One line of the table: `ours / reference`, and its target if it has one."""
    return {
        "key": key, "label": label, "ours": ours, "reference": reference, "unit": unit,
        "ratio": ours / reference, "target": target,
    }


def judged(rows, targets_apply):
    """`rows`, each with `met`: within its target, or None (no target, or none applies)."""
    return [
        {**row, "met": row["ratio"] <= row["target"] if targets_apply and row["target"] else None}
        for row in rows
    ]


def _figure(value, unit):
    if unit == "bytes":
        return f"{value:,.0f} B"
    if unit == "ms":
        return f"{value * 1000:.3f} ms"  # Latencies are measured in seconds too.
    return f"{value:.3f} s"


def format_results(results):
    """The results of `benchmark` as a readable table and breakdowns."""
    width = max(len(row["label"]) for row in results["rows"])
    lines = [
        f"{results['package']} ({results['model_type']}, {results['keras_flavour']}): "
        f"{results['num_variables']} variables, {results['num_parameters']:,} parameters; "
        f"baseline: {results['baseline']}",
        f"medians of {results['repeats']} exports and loads and of {results['calls']} calls "
        f"(after {results['warmup']} warm-up calls); TensorFlow {results['tensorflow']}, "
        f"{results['cpus']} CPUs",
        "",
        f"{'measure':<{width}}  {'ours':>14}  {'reference':>14}  {'ratio':>7}  "
        f"{'target':>6}  met",
    ]
    for row in results["rows"]:
        target = f"{row['target']:.2f}" if row["target"] is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[row["met"]]
        lines.append(
            f"{row['label']:<{width}}  {_figure(row['ours'], row['unit']):>14}  "
            f"{_figure(row['reference'], row['unit']):>14}  {row['ratio']:>7.2f}  "
            f"{target:>6}  {met}"
        )
    sizes = results["artifact_parts"]
    total = sum(sizes.values())
    lines += ["", f"Where the artifact's {total:,} bytes go:"]
    lines += [
        f"  {part:<30} {size:>14,} B  {size / total:6.1%}" for part, size in sizes.items()
    ]
    missed = [row["key"] for row in results["rows"] if row["met"] is False]
    if not results["targets_apply"]:
        lines += ["", (
            f"no target applies: they are for networks of {TARGETS_FROM_PARAMETERS:,} parameters "
            f"or more, and this one has {results['num_parameters']:,}, so fixed costs (the "
            "verifier's TensorFlow import, a graph of some 100 KB, Python's call dispatch) "
            "dominate every ratio"
        )]
    else:
        lines += ["", f"targets missed: {', '.join(missed)}" if missed else "all targets met"]
    return "\n".join(lines)
