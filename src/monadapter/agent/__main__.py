"""``python -m monadapter.agent --listen [HOST:]PORT (PROGRAM | -m MODULE | -c CODE) [ARGS...]``.

Starts a program that a DAP client attaches to (``attach`` with ``connect: {host, port}``): the
agent waits for the adapter, and the program runs once the client's configuration is done.
``python -m monadapter.agent --version`` prints the version, as ``python -m monadapter --version`` does.
"""

import sys

from monadapter.agent.launcher import attach_main

if __name__ == "__main__":
    if sys.argv[1:] == ["--version"]:
        from monadapter import __version__  # here: a global of this module would be one of the program's

        print(f"monadapter {__version__}")
    else:
        attach_main()
