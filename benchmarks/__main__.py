"""Command line: ``python -m benchmarks`` measures, prints the table, and can update RESULTS.md."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio

from benchmarks import isolation, report, scale_workloads
from benchmarks.dap_driver import DapDebugger
from benchmarks.jobs import Context, Driver
from benchmarks.pdb_driver import Pdb
from benchmarks.runner import run_all
from benchmarks.scenarios import all_scenarios, smoke_scenario

HERE = Path(__file__).resolve().parent
INSTALL_HINT = f"pip install -r {HERE / 'requirements.txt'}"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="monadapter beside debugpy and pdb, as ratios against plain Python measured in the same run.",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter to measure (default: this one)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per scenario and debugger (default 5)")
    parser.add_argument(
        "--cutoff", type=float, default=8.0, help="abandon a single debugger run after this many seconds (default 8)"
    )
    parser.add_argument(
        "--cell-budget",
        type=float,
        default=15.0,
        help="stop repeating a scenario for a debugger once its runs took this long, after two (default 15)",
    )
    parser.add_argument("--only", default="", help="comma-separated scenario keys or prefixes, e.g. S1,S4,S10e")
    parser.add_argument("--debuggers", default="monadapter,debugpy,pdb", help="which debuggers (default: all three)")
    parser.add_argument("--results", type=Path, help="write this interpreter's section of a RESULTS.md file")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, one run, and only S2 richards unless --only says otherwise: checks the runner works",
    )
    return parser.parse_args(argv)


def _importable(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def _python_version(python: str) -> tuple[int, int]:
    out = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True, check=True
    )
    major, minor = out.stdout.split()
    return int(major), int(minor)


def _debuggers(names: list[str], python: str) -> list[Driver]:
    """The requested debuggers that exist for ``python``; say how to get debugpy when it is missing."""
    found: list[Driver] = []
    for name in names:
        if name == "monadapter":
            if not _importable(python, "monadapter"):
                sys.exit(f"monadapter is not importable by {python}: pip install -e {HERE.parent}")
            found.append(DapDebugger("monadapter", [python, "-m", "monadapter"]))
        elif name == "debugpy":
            if _importable(python, "debugpy"):
                found.append(DapDebugger("debugpy", [python, "-m", "debugpy.adapter"]))
            else:
                print(
                    f"debugpy is not installed for {python}; skipping it. To include it: {python} -m {INSTALL_HINT}",
                    file=sys.stderr,
                )
        elif name == "pdb":
            found.append(Pdb())
        else:
            sys.exit(f"unknown debugger {name!r}: choose from monadapter, debugpy, pdb")
    return found


def main(argv: list[str] | None = None) -> None:
    """Measure, print the table, and write RESULTS.md when asked."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    version = _python_version(args.python)
    repeats = 1 if args.smoke else args.repeats
    if args.only:
        wanted = [key.strip() for key in args.only.split(",") if key.strip()]
        scenarios = [s for s in all_scenarios(version) if any(s.key == w or s.key.startswith(w + " ") for w in wanted)]
    else:
        scenarios = smoke_scenario(version) if args.smoke else all_scenarios(version)
    # bytecode of monadapter for the measured interpreter, as an installed package has it: a run
    # under PYTHONDONTWRITEBYTECODE would otherwise compile the agent in every debuggee (+5 MB peak RSS)
    compile_package = (
        "import compileall, os, monadapter; compileall.compile_dir(os.path.dirname(monadapter.__file__), quiet=1)"
    )
    subprocess.run([args.python, "-c", compile_package], check="monadapter" not in args.debuggers)
    if any(scenario.key.startswith("X") for scenario in scenarios):
        scale_workloads.write_all()
        # bytecode for the interpreter measured, as an installed package has: no run compiles them
        subprocess.run([args.python, "-m", "compileall", "-q", str(scale_workloads.GENERATED)], check=True)
    debuggers = _debuggers([n.strip() for n in args.debuggers.split(",") if n.strip()], args.python)
    machine = report.machine_description()  # before the run, so the load average is the machine's own
    if not isolation.adopt_orphans():
        print(
            "cannot adopt orphaned processes here: a run's processes whose parent exited are not waited for",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="monadapter-bench-") as scratch:
        ctx = Context(python=args.python, scratch=Path(scratch), smoke=args.smoke)
        results = anyio.run(
            lambda: run_all(
                scenarios,
                debuggers,
                ctx,
                repeats=repeats,
                cutoff=args.cutoff,
                cell_budget=args.cell_budget,
                progress=lambda line: print(line, file=sys.stderr),
            )
        )
    names = [d.name for d in debuggers]
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else argv)
    text = report.section(
        scenarios, names, results, machine=machine, python=args.python, repeats=repeats, command=command.strip()
    )
    print(text)
    if args.results:
        report.write_section(args.results, ".".join(map(str, version)), text)


if __name__ == "__main__":
    main()
