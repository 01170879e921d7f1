"""S11 workload: a 10k-entry dict and a 100k-entry list to be fetched with ``variables``."""

import time

from benchresult import report


def main():
    big_dict = {f"key{i}": i for i in range(10_000)}
    big_list = list(range(100_000))
    ready = len(big_dict) + len(big_list)  # bench: inspect-here
    return ready


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    report(compute=time.perf_counter() - t0)
