"""debugpy launch configurations run as they are: ``envFile`` and ``args`` given as one string.

The env file format and its precedence are those of VS Code's Python debugger extension (where
debugpy configurations read ``envFile``); a string ``args`` is split and expanded by a shell, as
debugpy's terminal launch does.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from monadapter.adapter.launch import LaunchArguments
from monadapter.client import DapClient, DapError

#: Prints the program's arguments and the variables the env file tests look at, as one JSON line.
REPORT = """
import json, os, sys
names = ("PLAIN", "SPACED", "SINGLE", "DOUBLE", "EMPTY", "FROM_FILE", "FROM_LAUNCH", "MISSING", "ESCAPED",
         "BAD_REF", "WINS", "_UNDERSCORED", "PYTHONPATH", "COMMENTED", "EXPORTED", "INHERITED")
print(json.dumps({"argv": sys.argv[1:], "env": {name: os.environ.get(name) for name in names}}))
"""

ENV_FILE = r"""
# a comment line, skipped
PLAIN=value
  SPACED  =  padded value
SINGLE='single quoted\nsecond line'
DOUBLE="double quoted"
EMPTY=
FROM_FILE=${PLAIN}-and-${FROM_LAUNCH}
MISSING=[${NOT_SET_ANYWHERE}]
ESCAPED=\${PLAIN}
BAD_REF=${PLAIN} ${not-a-name}
WINS=from the file
_UNDERSCORED=yes
PYTHONPATH=/from/the/file
export EXPORTED=skipped
INHERITED=from the file
not a variable line
"""


def report(client: DapClient) -> dict[str, object]:
    (line,) = client.output("stdout").splitlines()
    return json.loads(line)


@pytest.fixture(autouse=True)
def adapter_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables of the adapter's own environment (inherited by the adapter fixture)."""
    monkeypatch.setenv("INHERITED", "from the adapter")
    monkeypatch.setenv("PYTHONPATH", "/from/the/adapter")


async def test_env_file_is_read_as_vscodes_python_debugger_reads_it(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    program = make_program(REPORT)
    (tmp_path / "settings.env").write_text(ENV_FILE)
    code = await client.run_to_end(
        program=str(program),
        cwd=str(tmp_path),
        envFile="settings.env",  # relative to cwd
        env={"FROM_LAUNCH": "launch", "WINS": "from the launch"},
        subProcess=False,  # the child bootstrap would go first on PYTHONPATH
    )
    assert code == 0, client.output("stderr")
    assert report(client)["env"] == {
        "PLAIN": "value",
        "SPACED": "padded value",
        "SINGLE": "single quoted\nsecond line",
        "DOUBLE": "double quoted",
        "EMPTY": "",
        "FROM_FILE": "value-and-launch",
        "FROM_LAUNCH": "launch",
        "MISSING": "[]",
        "ESCAPED": "${PLAIN}",
        "BAD_REF": "${PLAIN} ${not-a-name}",
        "WINS": "from the launch",
        "_UNDERSCORED": "yes",
        "PYTHONPATH": "/from/the/file" + os.pathsep + "/from/the/adapter",
        "COMMENTED": None,
        "EXPORTED": None,
        "INHERITED": "from the file",
    }


async def test_a_missing_env_file_is_ignored_and_an_unreadable_one_refused(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    program = make_program(REPORT)
    launched = await client.launch(program=str(program), envFile=str(tmp_path))  # a directory
    with pytest.raises(DapError, match="the envFile .* cannot be read"):
        await launched
    assert await client.run_to_end(program=str(program), envFile=str(tmp_path / "no.env")) == 0
    assert report(client)["env"]["INHERITED"] == "from the adapter"


async def test_env_file_reaches_a_program_started_in_the_terminal(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.txt"
    program = make_program(f"import os; open({str(out)!r}, 'w').write(os.environ['PLAIN'])")
    (tmp_path / ".env").write_text("PLAIN=through runInTerminal\n")
    await client.configuration_sequence(
        program=str(program), envFile=str(tmp_path / ".env"), console="integratedTerminal"
    )
    await client.wait_for_event("terminated")
    assert out.read_text() == "through runInTerminal"


async def test_args_as_one_string_are_split_and_expanded_by_a_shell(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    program = make_program(REPORT)
    (tmp_path / "a.txt").write_text("")
    (tmp_path / "b.txt").write_text("")
    code = await client.run_to_end(
        program=str(program),
        cwd=str(tmp_path),
        env={"WHO": "launch env"},
        args="plain 'two words' \"$WHO\" *.txt escaped\\ space",
    )
    assert code == 0, client.output("stderr")
    assert report(client)["argv"] == ["plain", "two words", "launch env", "a.txt", "b.txt", "escaped space"]


async def test_args_as_a_string_that_is_not_shell_words_is_refused(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    launched = await client.launch(program=str(make_program(REPORT)), args="'unclosed")
    with pytest.raises(DapError, match="args .* is not valid shell words"):
        await launched


async def test_args_as_a_list_are_passed_as_they_are(client: DapClient, make_program: Callable[..., Path]) -> None:
    program = make_program(REPORT)
    assert await client.run_to_end(program=str(program), args=["$HOME", "*", "'q'"]) == 0
    assert report(client)["argv"] == ["$HOME", "*", "'q'"]


def test_the_readme_table_says_what_becomes_of_every_launch_attribute() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| attribute | what monadapter does with it |") :].split("\n\n")[0]
    listed = set(re.findall(r"`(\w+)`", "\n".join(row.split(" | ")[0] for row in table.splitlines())))
    ours = {field.alias or name for name, field in LaunchArguments.model_fields.items()}
    debugpys = {"envFile", "args", "breakOnSystemExit", "pathMappings", "django", "jinja", "gevent", "sudo"}
    assert ours | debugpys <= listed, sorted((ours | debugpys) - listed)
