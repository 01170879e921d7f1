"""S4 workload: one hot line run ``n`` times, for a conditional breakpoint whose condition is always false."""

import time

from benchresult import report, size_argument


def spin(n):
    total = 0
    for i in range(n):
        total += i % 7  # bench: hot-line
    return total


if __name__ == "__main__":
    hits = size_argument(100_000)
    t0 = time.perf_counter()
    spin(hits)
    report(compute=time.perf_counter() - t0, hits=hits)
