"""Micro-benchmark of what module and loadedSource events add to an import and to ``exec``.

Run: ``python scripts/bench_module_events.py``. Each case runs in a fresh interpreter with ~600 modules
already in ``sys.modules``, and imports 400 new small modules per round (from their .pyc, written by a
warm-up run) or execs 20,000 strings (the same text: announced once). Columns: plain python; the engine
alone (global PY_START, first sight of each code); the engine with ``modules.LoadedCode`` noting each
``<module>`` code; and "at stop", what ``LoadedCode.announce`` then costs per module at the next stop, with
its events sent over a real socket (drained by a thread, as the adapter drains the agent's).
Microseconds per operation, best of 5 rounds.

On the shared 2-core machine of 2026-11-26 (load ~1.7, so a few microseconds are noise)::

    python 3.13.0   plain   engine +modules  at stop        python 3.12.1   plain   engine +modules  at stop
    import           95.9    166.4    143.8     33.6        import           95.5    160.7    150.9     27.0
    exec              7.9     19.3     23.2      0.0        exec              8.1     18.9     22.6      0.0

Noting a module costs nothing measurable next to the engine's own first sight; the events cost about
30 microseconds per new module, paid at the next stop (not at all by a run that never stops).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")
MODULES = 400
ROUNDS = 5

CASE = r"""
import sys, time, socket, threading
sys.path.insert(0, {src!r})
mode, op, directory = sys.argv[1], sys.argv[2], sys.argv[3]
import asyncio, email.mime.text, http.server, json, unittest, xml.dom.minidom, decimal, logging.handlers
sys.path.insert(0, directory)
engine = None
if mode != "plain":
    from monadapter.agent.engine import Engine
    from monadapter.agent.modules import LoadedCode
    from monadapter.agent.sources import Sources
    from monadapter.agent.wire import encode
    ours, theirs = socket.socketpair()
    threading.Thread(target=lambda: [None for _ in iter(lambda: theirs.recv(65536), b"")], daemon=True).start()
    lock = threading.Lock()
    def send_events(events):
        with lock:
            ours.sendall(b"".join(encode({{"type": "event", "event": event, "body": body, "seq": 0}}) for event, body in events))
    sources = Sources()
    loaded = LoadedCode(sources, send_events)
    engine = Engine(sources, loaded.send_event, lambda: set(), loaded.module_code_started if mode == "events" else None)
    engine.start()
best = announce = float("inf")
for round_ in range({rounds}):
    if op == "import":
        names = [f"bench_mod_{{round_}}_{{i}}" for i in range({modules})]
        start = time.perf_counter_ns()
        for name in names:
            __import__(name)
        count = len(names)
    else:
        count = 20000
        start = time.perf_counter_ns()
        for i in range(count):
            exec("x = 1")
    best = min(best, (time.perf_counter_ns() - start) / count)
    if mode == "events":
        start = time.perf_counter_ns()
        loaded.announce()
        announce = min(announce, (time.perf_counter_ns() - start) / count)
print(f"{{best / 1000:.1f}} {{announce / 1000:.1f}}")
if engine is not None:
    engine.stop()
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        for round_ in range(ROUNDS):
            for index in range(MODULES):
                Path(directory, f"bench_mod_{round_}_{index}.py").write_text(
                    f"VALUE = {index}\n\ndef f():\n    return VALUE\n"
                )
        script = CASE.format(src=SRC, modules=MODULES, rounds=ROUNDS)
        subprocess.run([sys.executable, "-c", script, "plain", "import", directory], check=True, capture_output=True)
        print(f"python {sys.version.split()[0]}; microseconds per operation, best of {ROUNDS}")
        print(f"{'operation':10} {'plain':>8} {'engine':>8} {'+modules':>8} {'at stop':>8}")
        for op in ("import", "exec"):
            cells = []
            for mode in ("plain", "engine", "events"):
                run = subprocess.run(
                    [sys.executable, "-c", script, mode, op, directory], capture_output=True, text=True, check=True
                )
                cells.append(run.stdout.split())
            print(f"{op:10} {cells[0][0]:>8} {cells[1][0]:>8} {cells[2][0]:>8} {cells[2][1]:>8}")


if __name__ == "__main__":
    main()
