"""Exports racing for one place take turns: each takes its own version, or is refused.

Threads stand in for export processes here, many at once and in milliseconds
(the session's two racing `export` commands prove the same for processes):
each thread opens its own descriptor of the directory, and flock locks conflict
between descriptors as they do between processes.
"""

import threading

from {{ cookiecutter.package_name }}.exporter.staging import (
    TargetTakenError,
    move_into_place,
    staging_dir,
)

RACERS = 8


def race(parent, export_dir, **options):
    """Stages RACERS exports in `parent`, then moves all of them to `export_dir` at once.

    Returns {racer: the path it moved into, or the TargetTakenError it got}.
    """
    start = threading.Barrier(RACERS)
    outcomes = {}

    def racer(index):
        with staging_dir(parent) as staging:
            (staging / "saved_model.pb").write_text(f"racer {index}")
            start.wait()
            try:
                outcomes[index] = move_into_place(staging, export_dir, **options)
            except TargetTakenError as error:
                outcomes[index] = error

    threads = [threading.Thread(target=racer, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == RACERS, "a racer never finished"
    return outcomes


def test_racers_for_a_plain_directory_one_takes_it_the_others_are_refused(tmp_path):
    target = tmp_path / "export"
    outcomes = race(tmp_path, target)
    placed = [index for index, outcome in outcomes.items() if outcome == target]
    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, TargetTakenError)]
    assert len(placed) == 1 and len(refused) == RACERS - 1, outcomes
    assert {str(error) for error in refused} == {
        f"{target} is not empty; pass --overwrite to replace it"
    }
    (winner,) = placed
    assert (target / "saved_model.pb").read_text() == f"racer {winner}"
    assert [p.name for p in tmp_path.iterdir()] == ["export"], "a staging directory was left"


def test_racers_for_a_versioned_directory_each_take_their_own(tmp_path):
    serving = tmp_path / "serving"
    serving.mkdir()
    outcomes = race(serving, serving, versioned=True)
    assert sorted(outcomes.values()) == [serving / str(n) for n in range(1, RACERS + 1)]
    for index, path in outcomes.items():
        assert (path / "saved_model.pb").read_text() == f"racer {index}"
    assert sorted(p.name for p in serving.iterdir()) == sorted(
        str(n) for n in range(1, RACERS + 1)
    )


def test_racers_with_overwrite_each_replace_the_export_whole(tmp_path):
    target = tmp_path / "export"
    outcomes = race(tmp_path, target, overwrite=True)
    assert list(outcomes.values()) == [target] * RACERS
    assert (target / "saved_model.pb").read_text() in {f"racer {i}" for i in range(RACERS)}
    assert [p.name for p in target.iterdir()] == ["saved_model.pb"]
    assert [p.name for p in tmp_path.iterdir()] == ["export"], "a staging or previous dir was left"
