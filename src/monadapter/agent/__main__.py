"""``python -m monadapter.agent --listen [HOST:]PORT ... (PROGRAM | -m MODULE | -c CODE | --pid PID) [ARGS...]``.

The older name of ``python -m monadapter --listen`` (agent/cli.py), kept as an alias with its
old behaviour: the program waits for the first client (``--wait-for-client``). Only names the
runner removes from ``__main__`` are defined here (no dunder names: this module's globals become
the program's).
``python -m monadapter.agent --version`` prints the version, as ``python -m monadapter --version`` does.
"""

import sys

from monadapter.agent import cli, runner

if __name__ == "__main__":
    if sys.argv[1:] == ["--version"]:
        from monadapter import __version__  # here: a global of this module would be one of the program's

        print(f"monadapter {__version__}")
    else:
        # the program runs from this frame through the runner's (cli.start); the runner clears this
        # module's globals for the program: cli.exit_with is looked up before run runs
        cli.exit_with(runner.run(*cli.start(sys.argv[1:], wait_for_client=True)))
