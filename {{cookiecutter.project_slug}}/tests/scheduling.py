"""The order in which pytest-xdist hands out the test files, so that no worker waits.

With `--dist loadscope --no-loadscope-reorder` (pyproject.toml), pytest-xdist gives
each worker whole files, in the order conftest.py's `pytest_collection_modifyitems`
leaves them: `order_files` sets it.
"""

# The files that spend longest on your model, longest first; the others take a few
# seconds each. Seconds with MobileNetV3Small at 224x224 on 2 cores: export 87 (the
# session's train and exports included), consumers 71 (since split: serving, with the
# TFLite conversion, then keras_layers, loading, hyperparameters, as on the example),
# model_doc 40, publish 19, filesystems 15.
LONGEST_FIRST = [
    "test_export.py", "test_serving.py", "test_keras_layers.py", "test_model_doc.py",
    "test_loading.py", "test_hyperparameters.py", "test_publish.py", "test_filesystems.py",
]


def order_files(items, shared_fixture):
    """Orders pytest's collected `items` file by file, in place, so that no worker idles.

    First the longest file that uses `shared_fixture` (the session's checkpoint: its
    worker runs `train` and `export`), then every file that does not (the other
    workers run them meanwhile), then the other files that do, longest first: a long
    file handed out last keeps one worker busy while the others idle. Files not in
    LONGEST_FIRST follow it, those with more tests first.
    """
    files = {}
    for item in items:
        files.setdefault(item.path, []).append(item)
    needs = [path for path, tests in files.items()
             if any(shared_fixture in test.fixturenames for test in tests)]

    def longest_first(path):
        rank = LONGEST_FIRST.index(path.name) if path.name in LONGEST_FIRST else len(LONGEST_FIRST)
        return rank, -len(files[path])

    # Every worker must compute the same order: ties stay in collection order.
    needs.sort(key=longest_first)
    order = needs[:1] + [path for path in files if path not in needs] + needs[1:]
    items[:] = [test for path in order for test in files[path]]
