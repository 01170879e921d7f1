"""S12 workload: stop once at the start, then (after the debugger detached) run richards.

The runner stops at the marked line, detaches, and reads the time of the remaining work from
the result file; nothing of the debugger should be left to slow it down.
"""

import time

from benchresult import report, size_argument
from richards import Richards

if __name__ == "__main__":
    iterations = size_argument(8)
    started = True  # bench: detach-here
    t0 = time.perf_counter()
    assert Richards().run(iterations)
    report(compute=time.perf_counter() - t0)
