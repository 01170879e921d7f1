"""``envFile``: a dotenv file of variables for the debuggee, read as VS Code's Python debugger reads it.

The format is that of the Python debugger extension (the part of debugpy's launch that happens in
the editor), so an existing ``.env`` means the same here:

* one ``NAME=VALUE`` per line, ``NAME`` a letter or underscores then a letter, then word characters;
  spaces around ``=`` and at the ends are dropped; any other line (comments, ``export X=1``) is skipped;
* a value wholly inside ``'...'`` or ``"..."`` loses the quotes, and ``\\n`` in it becomes a newline;
* ``${NAME}`` is replaced by a variable set earlier in the file, else by the launch's ``env``, else by
  nothing; ``\\${NAME}`` stays as written (less the backslash), and a malformed ``${...}`` leaves the
  whole value untouched;
* the launch's ``env`` wins over the file, and the file wins over the adapter's environment, except
  that ``PATH`` and ``PYTHONPATH`` from the file are put in front of the value they would have
  otherwise (the launch's, else the adapter's), as the extension appends the system paths to them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_LINE = re.compile(r"^\s*(_*[a-zA-Z]\w*)\s*=\s*(.*?)?\s*$")
_REFERENCE = re.compile(r"\$\{([a-zA-Z]\w*)?([^}\w].*?)?\}")
#: Variables whose file value goes in front of the existing one instead of replacing it.
SEARCH_PATHS = ("PATH", "PYTHONPATH")


def parse_env_file(text: str, launch_env: Mapping[str, str | None]) -> dict[str, str]:
    """The variables ``text`` (a whole env file) sets, in file order, references substituted."""
    variables: dict[str, str] = {}
    for line in text.split("\n"):
        match = _LINE.match(line)
        if match is None:
            continue
        name, value = match[1], match[2] or ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1].replace("\\n", "\n")
        variables[name] = _substitute(value, variables, launch_env)
    return variables


def _substitute(value: str, earlier: Mapping[str, str], launch_env: Mapping[str, str | None]) -> str:
    malformed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal malformed
        if match.start() > 0 and value[match.start() - 1] == "\\":
            return match[0]
        name, junk = match[1], match[2]
        if not name or junk:
            malformed = True
            return match[0]
        return earlier.get(name) or launch_env.get(name) or ""

    substituted = _REFERENCE.sub(replace, value)
    return (value if malformed else substituted).replace("\\$", "$")


def environment_changes(env_file: str | None, launch_env: Mapping[str, str | None]) -> dict[str, str | None]:
    """The debuggee's changes to the adapter's environment: the env file's (if any), then ``env``'s.

    Raises OSError when the file exists but cannot be read; a missing file changes nothing (VS Code
    configurations name ``${workspaceFolder}/.env`` whether or not there is one).
    """
    if env_file is None:
        return dict(launch_env)
    try:
        with open(env_file, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except FileNotFoundError:
        return dict(launch_env)
    from_file = parse_env_file(text, launch_env)
    changes: dict[str, str | None] = {**from_file, **launch_env}
    for name, value in from_file.items():
        if name in SEARCH_PATHS and value:
            rest = launch_env[name] if name in launch_env else os.environ.get(name)
            changes[name] = value + os.pathsep + rest if rest else value
    return changes
