"""The scale workloads (X1 to X5): programs too big to keep in the repository, written on demand.

``python -m benchmarks`` calls :func:`write_all` before it measures, so every debugger and the
plain runs see the same files in ``workloads/generated/`` (ignored by git); the generated
programs import ``workloads/benchresult.py`` by its path. The content depends
only on the sizes below, so a second write changes nothing. Each program marks its lines with
``# bench: NAME`` like the hand-written workloads, and reports through ``benchresult``.

The programs use the standard library only, like every workload.
"""

from __future__ import annotations

from pathlib import Path

WORKLOADS_DIR = Path(__file__).resolve().parent / "workloads"
GENERATED = WORKLOADS_DIR / "generated"

#: X1: modules x functions = code objects the program loads (plus each module's own).
MANY_CODE_MODULES = 100
MANY_CODE_FUNCTIONS = 1000
#: X3: breakpoint lines in one function of one file.
MANY_BREAKPOINTS = 5000
#: X4: lines of module-level code in one file.
HUGE_FILE_LINES = 100_000
#: X5: lines of the loop body that ``next`` walks.
STEP_BODY_LINES = 10

_RESULT = """\
import sys
import time

sys.path.insert(0, {workloads!r})
from benchresult import report, size_argument  # noqa: E402
"""


def write_all() -> None:
    """Write every generated workload whose file is missing or differs."""
    _write(GENERATED / "manycode.py", _many_code_main(MANY_CODE_MODULES))
    package = GENERATED / "manycode_modules"
    _write(package / "__init__.py", "")
    for index in range(MANY_CODE_MODULES):
        _write(package / f"m{index:03d}.py", _many_code_module(MANY_CODE_FUNCTIONS))
    _write(GENERATED / "manybreakpoints.py", _many_breakpoints(MANY_BREAKPOINTS))
    _write(GENERATED / "hugefile_module.py", _huge_file(HUGE_FILE_LINES))
    _write(GENERATED / "hugefile.py", _huge_file_main())
    _write(GENERATED / "stepping.py", _stepping())
    _write(GENERATED / "threads.py", _threads())


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _header(doc: str) -> str:
    return f'"""{doc}"""\n\n' + _RESULT.format(workloads=str(WORKLOADS_DIR))


def _many_code_module(functions: int) -> str:
    lines = [f"def f{index}(x):\n    return x + {index}\n" for index in range(1, functions)]
    return "def f0(x):\n    return x  # bench: f0-body\n" + "".join(lines)


def _many_code_main(modules: int) -> str:
    return _header(
        "X1: import generated modules holding 100k functions (code objects), stop, then stop in the last."
    ) + (
        "import importlib\n\n"
        "t0 = time.perf_counter()\n"
        f"loaded = [importlib.import_module(f'manycode_modules.m{{i:03d}}') for i in range({modules})]\n"
        "count = len(loaded)  # bench: after-imports\n"
        "last = loaded[-1]\n"
        "value = last.f0(1)\n"
        "report(compute=time.perf_counter() - t0, modules=count, value=value)\n"
    )


def _many_breakpoints(count: int) -> str:
    body = "".join(f"    total += {index}\n" for index in range(1, count))
    return _header(f"X3: one function of {count} lines, each with a breakpoint.") + (
        "\n\ndef work(total):\n"
        "    total += 0  # bench: first-of-many\n"
        f"{body}"
        "    return total\n\n\n"
        "t0 = time.perf_counter()\n"
        "for _ in range(size_argument(3)):\n"
        "    work(0)\n"
        "report(compute=time.perf_counter() - t0)\n"
    )


def _huge_file(lines: int) -> str:
    body = "".join(f"v{index % 100} = {index}\n" for index in range(lines))
    return f'"""X4: {lines} lines of module-level code, then a small loop that holds the breakpoint."""\n\n' + (
        f"{body}"
        "\n\ndef loop(n):\n"
        "    total = 0\n"
        "    for i in range(n):\n"
        "        total += i  # bench: loop-line\n"
        "    return total\n"
    )


def _huge_file_main() -> str:
    return _header("X4: import the 100k-line module (from its pyc after the first run) and run its loop.") + (
        "t0 = time.perf_counter()\n"
        "import hugefile_module  # noqa: E402\n\n"
        "hugefile_module.loop(size_argument(30))\n"
        "report(compute=time.perf_counter() - t0)\n"
    )


def _stepping() -> str:
    body = "".join(f"        a{index} = i + {index}\n" for index in range(STEP_BODY_LINES))
    return _header("X5: a loop of short lines for `next` to walk, many times in a row.") + (
        "\n\ndef walk(n):\n"
        "    total = 0  # bench: walk-start\n"
        "    for i in range(n):\n"
        f"{body}"
        "        total += a0\n"
        "    return total\n\n\n"
        "t0 = time.perf_counter()\n"
        "walk(size_argument(200))\n"
        "report(compute=time.perf_counter() - t0)\n"
    )


def _threads() -> str:
    return _header("X2: N threads running Python while the main thread stops again and again in a loop.") + (
        "import threading\n\n"
        "stop = threading.Event()\n\n\n"
        "def spin():\n"
        "    beats = 0\n"
        "    while not stop.is_set():\n"
        "        beats += 1\n"
        "        stop.wait(0.002)\n\n\n"
        "def main(stops):\n"
        "    total = 0\n"
        "    for i in range(stops):\n"
        "        total += i  # bench: main-loop-line\n"
        "    return total\n\n\n"
        "workers = [threading.Thread(target=spin, name=f'worker-{i}') for i in range(200)]\n"
        "for worker in workers:\n"
        "    worker.start()\n"
        "t0 = time.perf_counter()\n"
        "main(size_argument(30))\n"
        "compute = time.perf_counter() - t0\n"
        "stop.set()\n"
        "for worker in workers:\n"
        "    worker.join()\n"
        "report(compute=compute, threads=len(workers))\n"
    )
