"""What a data breakpoint costs, in-process (the engine alone, no processes or DAP), as hotpaths.py does:

* per line of watched code: a local (its own frame), a global (code of its module naming it), an
  attribute (code naming the attribute), each a loop of LINE events that never change the value,
  best of ``--repeats`` runs with the watch against the same loop with the engine and no watch;
* for code that cannot touch the value (names neither the global nor the attribute), with the three
  watches set against the engine without them: the goal is nothing measurable. ``--instructions N``
  counts this one with valgrind (cachegrind), immune to the machine's load.

Usage: ``python -m benchmarks.datawatch [--repeats N] [--instructions N]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.inprocess import best, instructions
from monadapter.agent.data_watches import Target
from monadapter.agent.engine import Engine
from monadapter.agent.registry import file_key
from monadapter.agent.sources import Sources

LINES = 300_000
#: Three LINE events per iteration in every loop below (the ``for``, and two statements).
PER_ITERATION = 3
SOURCE = """
total = 0

class Box:
    def __init__(self):
        self.value = 0

box = Box()

def touches_global(n):
    for i in range(n):
        x = i
        y = total

def touches_attribute(n, owner):
    for i in range(n):
        x = i
        y = owner.value

def local_frame(n):
    count = 0
    yield
    for i in range(n):
        x = i
        y = count
    yield

def untouched(n):
    for i in range(n):
        x = i
        y = x
"""
FILENAME = str(Path(__file__).with_name("datawatch_workload.py"))


def _load() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "datawatch_workload", "__file__": FILENAME}
    exec(compile(SOURCE, FILENAME, "exec"), namespace)
    return namespace


def _watch(engine: Engine, targets: list[Target]) -> None:
    engine.settings.set_data_breakpoints([{"dataId": engine.settings.add_data_target(target)} for target in targets])


def _targets(namespace: dict[str, Any], frame: Any) -> list[Target]:
    return [
        Target("global", "total", "total", namespace=namespace, file_key=file_key(FILENAME)),
        Target("attribute", "value", "box.value", namespace=vars(namespace["box"]), owner=namespace["box"]),
        Target("local", "count", "count", frame=frame, codes=(namespace["local_frame"].__code__,)),
    ]


def _paused_generator(namespace: dict[str, Any], size: int) -> Iterator[None]:
    generator = namespace["local_frame"](size)
    next(generator)  # count is bound, the frame waits at its first yield
    return generator


def _run_once(loop: str, size: int, watched: bool) -> None:
    """One loop of ``size`` iterations with the engine started and the three watches set; without
    ``watched`` they are cleared again before the loop (the same objects made, no watch)."""
    namespace = _load()
    engine = Engine(Sources(), lambda _event, _body: None, lambda: set())
    engine.start()
    generator = _paused_generator(namespace, size)
    _watch(engine, _targets(namespace, generator.gi_frame))  # type: ignore[attr-defined]
    if not watched:
        engine.settings.set_data_breakpoints([])
    if loop == "local":
        next(generator, None)
    elif loop == "attribute":
        namespace["touches_attribute"](size, namespace["box"])
    elif loop == "global":
        namespace["touches_global"](size)
    else:
        namespace["untouched"](size)
    engine.stop()


def _instructions(loop: str, size: int, watched: bool) -> int:
    return instructions("benchmarks.datawatch", ["--once", loop, str(size), *(["--watched"] if watched else [])])


def _count(size: int, loops: list[str]) -> None:
    for loop in loops:
        per = {}
        for watched in (False, True):
            runs = _instructions(loop, size, watched) - _instructions(loop, 0, watched)
            per[watched] = runs / (size * PER_ITERATION)
        print(
            f"{loop}: {per[True] - per[False]:+.1f} instructions per line with the three watches set "
            f"({per[True]:.1f} with them, {per[False]:.1f} with them set and cleared)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--instructions", type=int, metavar="N", help="count instructions over N iterations")
    parser.add_argument("--loops", default="untouched,global,attribute,local", help="the loops --instructions counts")
    parser.add_argument("--once", nargs=2, metavar=("LOOP", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--watched", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.once is not None:
        _run_once(options.once[0], int(options.once[1]), options.watched)
        return
    if options.instructions:
        _count(options.instructions, options.loops.split(","))
        return
    namespace = _load()
    size = LINES // PER_ITERATION
    box = namespace["box"]
    engine = Engine(Sources(), lambda _event, _body: None, lambda: set())
    engine.start()
    try:

        def local_run() -> None:
            next(_paused_generator(namespace, size))  # the loop runs in the second next()

        loops: dict[str, Callable[[], object]] = {
            "global": lambda: namespace["touches_global"](size),
            "attribute": lambda: namespace["touches_attribute"](size, box),
            "local": local_run,
            "untouched": lambda: namespace["untouched"](size),
        }
        before = {name: best(options.repeats, loop) for name, loop in loops.items()}
        targets = _targets(namespace, None)
        for name, target in zip(("global", "attribute", "local"), targets, strict=True):
            if name == "local":  # a new frame each run: watched from its first yield on
                engine.settings.set_data_breakpoints([])

                watched = float("inf")
                for _ in range(options.repeats):
                    generator = _paused_generator(namespace, size)
                    # a target of its own: the watch holds its generator weakly (the one before is gone)
                    _watch(engine, [_targets(namespace, generator.gi_frame)[2]])  # type: ignore[attr-defined]
                    start = time.perf_counter()
                    next(generator)
                    watched = min(watched, time.perf_counter() - start)
            else:
                _watch(engine, [target])
                watched = best(options.repeats, loops[name])
            print(f"{name}: {(watched - before[name]) / LINES * 1e6:.3f} us per line of watched code")
        kept = _paused_generator(namespace, 1)  # alive while watched: a watch on a gone frame is refused
        _watch(engine, _targets(namespace, kept.gi_frame))  # type: ignore[attr-defined]
        untouched = best(options.repeats, loops["untouched"])
        print(
            f"untouched: {(untouched - before['untouched']) / LINES * 1e6:+.4f} us per line with three watches set "
            f"(loop {before['untouched'] * 1e3:.1f} ms)"
        )
    finally:
        engine.stop()


if __name__ == "__main__":
    main()
