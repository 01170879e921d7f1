"""S7/S8 workload: one call of a pure-Python function that takes about a second.

The runner either steps over the call (``next`` at the marked call line) or steps out of it from
its first line (``stepOut``); the plain run reports how long the call takes without a debugger.
"""

import time

from benchresult import report, size_argument


def mix(i):
    return (i * i + 3) % 7


def slow(n):
    total = 0  # bench: slow-first-line
    for i in range(n):
        total += mix(i)
        if total > 1_000_000:
            total -= 1_000_000
    return total


if __name__ == "__main__":
    n = size_argument(8_000_000)
    t0 = time.perf_counter()
    result = slow(n)  # bench: call-line
    report(call=time.perf_counter() - t0)
