"""The debuggee's first code: ``python .../monadapter/agent/entry/start_debuggee.py --connect ... -- ARGS``.

The adapter runs this file by its path, options as separate words, so that the command survives a
client that joins ``runInTerminal``'s arguments with spaces and hands the line to a shell (Emacs
dap-mode does): no argument of ours holds a space, a quote or another shell metacharacter, as a
``-c`` line would. It sits in a directory of its own because python puts the script's directory
first on ``sys.path``; the launcher then gives ``sys.path`` back to the program as plain python sets it.
"""

import os
import sys

# the directory that holds the monadapter package: three levels above this file's directory
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
from monadapter.agent.launcher import exit_with, start  # noqa: E402  (importable only once the line above ran)
from monadapter.agent.runner import run  # noqa: E402

# The program runs from this frame through run's: no other frame of ours stands above its own. This
# module is __main__, whose globals the runner clears for the program: exit_with is looked up
# before run runs (a call's callee is evaluated before its arguments), never after.
exit_with(run(*start()))
