"""S5/S6 workload: 200k exceptions raised and caught, the way real programs meet them: inside a library.

Every ``ChainMap`` lookup that misses its first map raises ``KeyError`` inside
``collections.ChainMap.__getitem__`` (standard library code) and catches it there: exactly one
exception per lookup (checked with a RAISE counter). Raising in the program's own code instead
would make a ``raised`` filter stop at the first one, which measures nothing.
"""

import time
from collections import ChainMap

from benchresult import report, size_argument


def lookups(n):
    chain = ChainMap({}, {"key": 1})
    found = 0
    for _ in range(n):
        found += chain["key"]
    return found


if __name__ == "__main__":
    count = size_argument(200_000)
    t0 = time.perf_counter()
    lookups(count)
    report(compute=time.perf_counter() - t0, exceptions=count)
