"""How a benchmark workload hands back what it measured: one JSON object, written atomically.

The runner passes the result path as the program's first argument. A file (rather than a line
on stdout) works the same whether the debuggee's output goes to a pipe, to DAP ``output``
events, through pdb's prompt, or nowhere at all (after a detach the adapter may be gone).
Standard library only: the workloads run under every debugger and under plain Python.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def result_path() -> str | None:
    """The path the runner asked for, or ``None`` when the workload is run by hand."""
    return sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "-" else None


def size_argument(default: int) -> int:
    """The workload size from the second argument; the runner makes it tiny for ``--smoke``."""
    return int(sys.argv[2]) if len(sys.argv) > 2 else default


def peak_rss_kb() -> int:
    """This program's peak resident set size in KiB.

    ``VmHWM`` belongs to the process's own address space. ``ru_maxrss`` is not usable here: Linux
    keeps it across ``exec``, so a program reports the high-water mark of whatever spawned it
    (the runner, an adapter) whenever that was bigger.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report(**values: float | int | str) -> None:
    """Write ``values`` plus the process's peak RSS; replace atomically so a poller never reads half."""
    values["maxrss_kb"] = peak_rss_kb()
    values["reported_at"] = time.time()
    path = result_path()
    if path is None:
        print(json.dumps(values))
        return
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as stream:
        json.dump(values, stream)
    os.replace(partial, path)
