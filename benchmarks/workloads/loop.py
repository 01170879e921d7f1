"""S10 workload: a loop whose body holds the breakpoint the runner stops at again and again."""

import time

from benchresult import report, size_argument


def main(n):
    total = 0
    names = ["alpha", "beta", "gamma"]
    for i in range(n):
        total += i  # bench: loop-line
    return total, names


if __name__ == "__main__":
    t0 = time.perf_counter()
    main(size_argument(30))
    report(compute=time.perf_counter() - t0)
