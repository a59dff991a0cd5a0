"""A fixed workload that does not depend on the project's code: the speed of the machine.

Machines of the project's kind differ up to ~2.4x in speed, so every benchmark prints this
reference, measured in the same run, beside its figures. Standard library and numpy only: a
sweep's spawned workers import the benchmark (and so this) again.
"""

import statistics
import time


def reference_milliseconds() -> float:
    """A fixed workload that does not depend on the project's code, timed (median of 5).

    Machines of the project's kind differ up to ~2.4x in speed, so a figure means little
    without the speed of the machine that made it. This one is a pure-Python loop and a numpy
    sort, the two kinds of work a run does; a figure taken where it reads twice as long would
    be about half as many runs a minute.
    """
    import numpy as np

    values = np.random.default_rng(0).random(1_000_000)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        np.sort(values)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)
