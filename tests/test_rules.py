"""debugpy's ``rules``: step into chosen libraries, skip chosen parts of one's own code, for steps and
exception filters alike; the first rule that matches a file decides, justMyCode decides the rest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from engine_helpers import launch_arguments, line_of, run_to_exit, session, stop_location, write_program

from monadapter.agent.coderules import Rules, RulesError
from monadapter.client import DapError

JSON_INIT = os.path.normcase(json.__file__)


def test_first_matching_rule_decides_and_no_match_leaves_it_to_just_my_code(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    rules = Rules.parse(
        [
            {"path": "pkg/keep.py", "include": True},
            {"path": "pkg", "include": False},  # a directory: everything under it
            {"path": "**/gen_*.py", "include": False},
            {"module": "json", "include": True},  # and its submodules
            {"path": str(Path(json.__file__).parent / "decoder.py"), "include": False},  # json matched first
        ],
        str(tmp_path),
    )
    assert rules.verdict(str(tmp_path / "pkg" / "keep.py")) is True
    assert rules.verdict(str(tmp_path / "pkg" / "sub" / "other.py")) is False
    assert rules.verdict(str(tmp_path / "deep" / "er" / "gen_x.py")) is False
    assert rules.verdict(JSON_INIT) is True
    assert rules.verdict(str(Path(json.__file__).parent / "decoder.py")) is True  # module json.decoder
    assert rules.verdict(str(tmp_path / "app.py")) is None
    assert Rules.parse(None, "/").verdict(JSON_INIT) is None


@pytest.mark.parametrize(
    "raw",
    [
        {"path": "x", "include": True},
        [{"path": "x"}],
        [{"include": True}],
        [{"path": "x", "module": "y", "include": True}],
        [{"module": "", "include": False}],
        ["x"],
    ],
)
def test_bad_rules_are_refused_with_what_is_wrong(raw: object) -> None:
    with pytest.raises(RulesError, match="rule"):
        Rules.parse(raw, "/")


PROGRAM = """
    import json
    from helpers import util

    def on_item(item):
        return item * 2  # callback body

    def main():
        text = json.dumps([1])  # call into json
        doubled = util.apply(on_item, 3)  # call into helpers
        try:
            util.fail()  # raising helper
        except ValueError:
            pass
        util.fail_and_catch()
        return text, doubled

    main()
"""

UTIL = """
    def apply(function, value):
        result = function(value)  # helper body
        return result

    def fail():
        raise ValueError("from the helper")  # helper raise

    def fail_and_catch():
        try:
            fail()
        except ValueError:
            return None
"""


def write_project(tmp_path: Path) -> tuple[Path, Path]:
    program = write_program(tmp_path, PROGRAM, name="app.py")
    write_program(tmp_path, "", name="helpers/__init__.py")
    util = write_program(tmp_path, UTIL, name="helpers/util.py")
    return program, util


async def test_step_in_enters_an_included_library_and_skips_excluded_own_code(tmp_path: Path) -> None:
    program, util = write_project(tmp_path)
    rules = [{"module": "json", "include": True}, {"path": "helpers", "include": False}]
    async with session() as client:
        arguments = launch_arguments(program, cwd=str(tmp_path), rules=rules)
        stopped = await client.launch_and_stop({program: [line_of(program, "# call into json")]}, **arguments)
        thread = stopped["body"]["threadId"]
        await client.step_in(thread)
        stopped = await client.wait_for_event("stopped")
        frame = (await client.stack_trace(thread))[0]
        assert os.path.normcase(frame["source"]["path"]) == JSON_INIT  # included: steps stop in the stdlib
        await client.request("stepOut", {"threadId": thread})
        await client.wait_for_event("stopped")
        await client.request("next", {"threadId": thread})
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("main", line_of(program, "# call into helpers"))
        await client.step_in(thread)
        stopped = await client.wait_for_event("stopped")
        # helpers/util.py is excluded: the step goes through it into the user's callback
        assert await stop_location(client, stopped) == ("on_item", line_of(program, "# callback body"))
        assert await run_to_exit(client, stopped) == 0


async def test_without_rules_the_same_steps_follow_just_my_code(tmp_path: Path) -> None:
    program, util = write_project(tmp_path)
    async with session() as client:
        arguments = launch_arguments(program, cwd=str(tmp_path))
        stopped = await client.launch_and_stop({program: [line_of(program, "# call into helpers")]}, **arguments)
        await client.step_in(stopped["body"]["threadId"])
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("apply", line_of(util, "# helper body"))
        assert await run_to_exit(client, stopped) == 0


async def test_exception_filters_count_excluded_code_as_library_code(tmp_path: Path) -> None:
    """``raised`` stops where the user's code raises, or where an exception from library code first
    reaches it: the helper's raise is not the user's, the call that receives it is; an exception
    raised and caught inside excluded code does not stop at all."""
    program, util = write_project(tmp_path)
    rules = [{"path": str(tmp_path / "helpers" / "*.py"), "include": False}]
    async with session() as client:
        arguments = launch_arguments(program, cwd=str(tmp_path), rules=rules)
        await client.configuration_sequence(exception_filters=["raised"], **arguments)
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "exception"
        assert await stop_location(client, stopped) == ("main", line_of(program, "# raising helper"))
        assert await run_to_exit(client, stopped) == 0
        assert [event for event in client.events if event.get("event") == "stopped"] == [stopped]
    async with session() as client:  # the same without rules: the helper's own raise stops twice
        await client.configuration_sequence(
            exception_filters=["raised"], **launch_arguments(program, cwd=str(tmp_path))
        )
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("fail", line_of(util, "# helper raise"))


async def test_bad_rules_fail_the_launch(tmp_path: Path) -> None:
    program, _ = write_project(tmp_path)
    async with session() as client:
        launched = await client.launch(
            **launch_arguments(program, rules=[{"path": "x", "module": "y", "include": True}])
        )
        with pytest.raises(DapError, match="exactly one of 'path' or 'module'"):
            await launched
