"""Median seconds of calls and loads, interleaved so that the machine's drift hits all alike."""

import random
import statistics
import time

import tensorflow as tf


def timed(function, *args):
    """Seconds `function(*args)` takes."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def median_latencies(functions, inputs, calls, warmup):
    """Median seconds per call of each of `functions` on `inputs`.

    Each call ends by copying its result to NumPy, so that it is complete when
    the clock stops; all contenders pay the same copy.
    """
    for function in functions.values():
        for _ in range(warmup):
            function(inputs)
    seconds = {name: [] for name in functions}
    names, shuffle = list(functions), random.Random(0).shuffle
    # Interleaved, one call of each in turn, so that a slow spell of the machine hits
    # all alike; in a new order each turn, so that no contender always follows the
    # same one (a call can be slower after some others).
    for _ in range(calls):
        shuffle(names)
        for name in names:
            seconds[name].append(timed(functions[name], inputs))
    return {name: statistics.median(values) for name, values in seconds.items()}


def median_loads(paths, repeats):
    """Median seconds of `tf.saved_model.load` of each of `paths`, and the last load of each."""
    loads, loaded = {path: [] for path in paths}, {}
    for _ in range(repeats):
        for path, times in loads.items():
            start = time.perf_counter()
            loaded[path] = tf.saved_model.load(str(path))  # The last is kept to call.
            times.append(time.perf_counter() - start)
    return [statistics.median(times) for times in loads.values()], list(loaded.values())
