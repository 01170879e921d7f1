"""Exception breakpoints through the real adapter: the raised, uncaught and userUnhandled filters, their
conditions, exceptionOptions, SystemExit and KeyboardInterrupt, exceptionInfo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import launch_arguments, line_of, next_stop, run_to_exit, session, stop_location, write_program

from monadapter.agent import exceptions
from monadapter.client import DapClient, DapError

PROGRAM = """
    import threading
    def deep(n):
        if n == 0:
            raise KeyError("boom")  # raise here
        return deep(n - 1)  # recurse
    def caught():
        try:
            deep(1)
        except KeyError:
            return "handled"
    print(caught())
    def worker():
        deep(2)  # worker call
    thread = threading.Thread(target=worker, name="worker")
    thread.start()
    thread.join()
    deep(0)  # main call
"""


async def launch_with(client: DapClient, program: Path, arguments: dict[str, Any], **extra: Any) -> None:
    """The configuration sequence with setExceptionBreakpoints ``arguments`` (filterOptions, exceptionOptions)."""
    launched = await client.launch(**launch_arguments(program, **extra))
    await client.wait_for_event("initialized")
    response = await client.set_exception_breakpoints(**arguments)
    count = sum(len(arguments.get(name) or []) for name in ("filters", "filterOptions", "exceptionOptions"))
    assert response["breakpoints"] == [{"verified": True}] * count
    await client.configuration_done()
    await launched


async def stops_until_exit(client: DapClient, count: int) -> list[tuple[str, str, int]]:
    """(exception type, breakMode, line) of the next ``count`` stops, continuing each; then the program
    must end without stopping again."""
    seen: list[tuple[str, str, int]] = []
    for _ in range(count):
        thread_id = (await client.wait_for_event("stopped"))["body"]["threadId"]
        info = await client.request("exceptionInfo", {"threadId": thread_id})
        frames = await client.stack_trace(thread_id)
        seen.append((info["exceptionId"], info["breakMode"], frames[0]["line"]))
        await client.continue_(thread_id)
    await client.wait_for_event("exited")
    stops = [event for event in client.events if event.get("event") == "stopped"]
    assert len(stops) == count, [event["body"].get("description") for event in stops[count:]]
    return seen


async def test_uncaught_stops_in_the_raising_frame_of_each_thread_with_the_whole_stack(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    raise_line = line_of(program, "# raise here")
    async with session() as client:
        stopped = await client.launch_and_stop(exception_filters=["uncaught"], **launch_arguments(program))
        # the exception caught inside caught() never stops; the worker's escapes its thread
        assert stopped["body"]["reason"] == "exception"
        assert stopped["body"]["description"] == "KeyError: 'boom'"
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert [(frame["name"], frame["line"]) for frame in frames[:4]] == [
            ("deep", raise_line),
            ("deep", raise_line + 1),
            ("deep", raise_line + 1),
            ("worker", line_of(program, "# worker call")),
        ]
        threads = {thread["id"]: thread["name"] for thread in await client.threads()}
        assert threads[stopped["body"]["threadId"]] == "worker"
        assert (await client.evaluate("n", frames[1]["id"], context="watch"))["result"] == "1"
        info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        assert info["exceptionId"] == "KeyError" and info["breakMode"] == "unhandled"
        assert "raise KeyError" in info["details"]["stackTrace"]
        stopped = await next_stop(client, stopped)  # then the main thread's
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert [(frame["name"], frame["line"]) for frame in frames] == [
            ("deep", raise_line),
            ("<module>", line_of(program, "# main call")),
        ]
        assert await run_to_exit(client, stopped) == 1
        assert "KeyError: 'boom'" in client.output("stderr")


async def test_raised_stops_once_where_each_exception_is_raised(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    raise_line = line_of(program, "# raise here")
    async with session() as client:
        stopped = await client.launch_and_stop(exception_filters=["raised"], **launch_arguments(program))
        callers = []
        for _ in range(3):
            frames = await client.stack_trace(stopped["body"]["threadId"])
            assert (frames[0]["name"], frames[0]["line"]) == ("deep", raise_line)
            callers.append(next(frame["name"] for frame in frames if frame["name"] != "deep"))
            info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
            assert info["breakMode"] == "always"
            if len(callers) < 3:
                stopped = await next_stop(client, stopped)
        assert callers == ["caught", "worker", "<module>"]
        assert await run_to_exit(client, stopped) == 1
        assert len([event for event in client.events if event.get("event") == "stopped"]) == 3


async def test_system_exit_zero_never_stops_system_exit_3_stops_as_uncaught(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        import sys
        def quiet():
            try:
                raise ValueError("caught")
            except ValueError:
                pass
            try:
                sys.exit(0)
            except SystemExit:
                pass
        quiet()
        sys.exit(int(sys.argv[1]))  # exit here
    """,
    )
    async with session() as client:
        # the ValueError stops as raised; neither SystemExit(0) does, raised or ending the program
        await launch_with(client, program, {"filters": ["uncaught", "raised"]}, args=["0"])
        assert await stops_until_exit(client, 1) == [("ValueError", "always", line_of(program, "caught"))]
    async with session() as client:
        stopped = await client.launch_and_stop(exception_filters=["uncaught"], **launch_arguments(program, args=["3"]))
        assert stopped["body"]["description"] == "SystemExit: 3"
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# exit here"))
        info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        assert (info["exceptionId"], info["breakMode"]) == ("SystemExit", "unhandled")
        assert await run_to_exit(client, stopped) == 3


async def test_unknown_filter_is_refused(tmp_path: Path) -> None:
    program = write_program(tmp_path, "print('x')\n")
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        with pytest.raises(DapError, match="sometimes"):
            await client.set_exception_breakpoints(["sometimes"])
        await client.configuration_done()
        await launched
        assert await run_to_exit(client) == 0


async def test_exception_info_on_a_breakpoint_stop_fails_clearly(tmp_path: Path) -> None:
    program = write_program(tmp_path, "x = 1\nprint(x)\n")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [2]}, **launch_arguments(program))
        with pytest.raises(DapError, match="did not stop because of an exception"):
            await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        assert await run_to_exit(client, stopped) == 0


DEPTHS = """
    import json
    def level2(kind):
        raise kind("deep")  # raise 2
    def level1(kind):
        level2(kind)
    def at_depth(depth, kind):
        try:
            if depth == 0:
                raise kind("here")  # raise 0
            elif depth == 1:
                level2(kind)
            else:
                level1(kind)
        except Exception as exc:
            return type(exc).__name__
    print(at_depth(0, ValueError), at_depth(1, KeyError), at_depth(2, TypeError))
    try:
        json.loads("{")
    except json.JSONDecodeError:
        print("bad json")
"""


async def test_raised_stops_at_every_raise_at_any_depth_and_uncaught_never_for_caught_ones(tmp_path: Path) -> None:
    program = write_program(tmp_path, DEPTHS)
    raise0, raise2 = line_of(program, "# raise 0"), line_of(program, "# raise 2")
    async with session() as client:
        await launch_with(client, program, {"filters": ["raised", "uncaught"]})
        # json raises inside the library: with justMyCode the stop is where it reaches user code
        assert await stops_until_exit(client, 4) == [
            ("ValueError", "always", raise0),
            ("KeyError", "always", raise2),
            ("TypeError", "always", raise2),
            ("json.decoder.JSONDecodeError", "always", line_of(program, "json.loads")),
        ]
        assert "ValueError KeyError TypeError" in client.output("stdout")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("ValueError, KeyError", ["ValueError", "KeyError", "json.decoder.JSONDecodeError"]),
        ("  builtins.LookupError ", ["KeyError"]),  # a subclass matches its base's name
        ("not KeyError", ["ValueError", "TypeError", "json.decoder.JSONDecodeError"]),
        ("!ValueError,KeyError", ["TypeError"]),
    ],
)
async def test_filter_condition_narrows_by_exception_type(tmp_path: Path, condition: str, expected: list[str]) -> None:
    program = write_program(tmp_path, DEPTHS)
    async with session() as client:
        await launch_with(
            client, program, {"filters": [], "filterOptions": [{"filterId": "raised", "condition": condition}]}
        )
        assert [kind for kind, _mode, _line in await stops_until_exit(client, len(expected))] == expected


async def test_condition_names_a_library_subclass_by_its_dotted_name(tmp_path: Path) -> None:
    """json.JSONDecodeError (a ValueError) raised inside json: seen by "raised" without justMyCode only."""
    program = write_program(tmp_path, DEPTHS)
    async with session() as client:
        await launch_with(
            client,
            program,
            {"filters": [], "filterOptions": [{"filterId": "raised", "condition": "json.JSONDecodeError"}]},
            justMyCode=False,
        )
        assert [kind for kind, _mode, _line in await stops_until_exit(client, 1)] == ["json.decoder.JSONDecodeError"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"filters": [], "filterOptions": [{"filterId": "raised", "condition": "ValueError KeyError"}]},
            "'ValueError KeyError' is not an exception type name",
        ),
        ({"filters": [], "filterOptions": [{"filterId": "uncaught", "condition": "not"}]}, "'not' needs exception"),
        (
            {"filters": [], "filterOptions": [{"filterId": "raised", "condition": "x > 1"}]},
            "not an exception type name",
        ),
        ({"filters": [], "exceptionOptions": [{"breakMode": "sometimes"}]}, "breakMode"),
        (
            {
                "filters": [],
                "exceptionOptions": [
                    {"breakMode": "always", "path": [{"names": ["Python Exceptions"]}, {"names": ["1x"]}]}
                ],
            },
            r"exceptionOptions\[0\].path\[1\]: '1x'",
        ),
    ],
)
async def test_bad_condition_or_option_fails_clearly_and_the_session_goes_on(
    tmp_path: Path, arguments: dict[str, Any], message: str
) -> None:
    program = write_program(tmp_path, "raise ValueError('end')\n")
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        with pytest.raises(DapError, match=message):
            await client.set_exception_breakpoints(**arguments)
        await client.set_exception_breakpoints(["uncaught"])
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["description"] == "ValueError: end"
        assert await run_to_exit(client, stopped) == 1


async def test_exception_options_choose_the_break_mode_per_type_most_specific_first(tmp_path: Path) -> None:
    program = write_program(tmp_path, DEPTHS + '    raise KeyError("the end")\n')
    category = {"names": ["Python Exceptions"]}
    options = [
        {"path": [category], "breakMode": "always"},
        {"path": [category, {"names": ["LookupError"]}], "breakMode": "never"},  # KeyError is a LookupError
        {"path": [category, {"names": ["TypeError"]}], "breakMode": "unhandled"},
    ]
    async with session() as client:
        # the uncaught filter is on too, but "never" decides for KeyError: the program ends without a stop
        await launch_with(client, program, {"filters": ["uncaught"], "exceptionOptions": options})
        assert await stops_until_exit(client, 2) == [
            ("ValueError", "always", line_of(program, "# raise 0")),
            ("json.decoder.JSONDecodeError", "always", line_of(program, "json.loads")),
        ]


USER_UNHANDLED = """
    import copy, threading
    class Fragile:
        def __deepcopy__(self, memo):
            raise RuntimeError("cannot copy")  # callback raises
    def copy_it():
        try:
            copy.deepcopy([Fragile()])  # into the library
        except RuntimeError:
            return "caught by the user"
    print(copy_it())
    def worker():
        raise LookupError("worker fails")  # worker raises
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
"""


async def test_user_unhandled_stops_where_an_exception_leaves_user_code_for_the_library(tmp_path: Path) -> None:
    program = write_program(tmp_path, USER_UNHANDLED)
    async with session() as client:
        await launch_with(client, program, {"filters": ["uncaught", "userUnhandled"]})
        stopped = await client.wait_for_event("stopped")
        thread_id = stopped["body"]["threadId"]
        frames = await client.stack_trace(thread_id)
        # the user frame is alive and on top; below it the library frame it escapes into, then the user caller
        assert (frames[0]["name"], frames[0]["line"]) == ("Fragile.__deepcopy__", line_of(program, "# callback raises"))
        assert frames[1]["source"]["path"].endswith("copy.py")
        assert "copy_it" in [frame["name"] for frame in frames]
        assert (await client.evaluate("memo", frames[0]["id"], context="watch"))["result"].startswith("{")
        info = await client.request("exceptionInfo", {"threadId": thread_id})
        assert (info["exceptionId"], info["breakMode"]) == ("RuntimeError", "userUnhandled")
        await client.continue_(thread_id)
        # the worker's exception escapes into threading: one stop (userUnhandled), not a second as uncaught
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["description"] == "LookupError: worker fails"
        assert await stop_location(client, stopped) == ("worker", line_of(program, "# worker raises"))
        info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        assert info["breakMode"] == "userUnhandled"
        assert await run_to_exit(client, stopped) == 0
        assert len([event for event in client.events if event.get("event") == "stopped"]) == 2
        assert "caught by the user" in client.output("stdout")


async def test_user_unhandled_follows_just_my_code(tmp_path: Path) -> None:
    """Without justMyCode the library is user code too: nothing escapes into the library; the worker's
    exception ends its thread, which "uncaught" sees."""
    program = write_program(tmp_path, USER_UNHANDLED)
    async with session() as client:
        await launch_with(client, program, {"filters": ["userUnhandled", "uncaught"]}, justMyCode=False)
        assert await stops_until_exit(client, 1) == [("LookupError", "unhandled", line_of(program, "# worker raises"))]


async def test_exception_info_has_the_traceback_text_and_the_chain(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        class Broken(Exception):
            pass
        def parse(text):
            try:
                return int(text)
            except ValueError as exc:
                raise Broken("cannot parse") from exc  # raise broken
        def load():
            try:
                parse("x")
            finally:
                cleanup = {}["missing"]  # during handling
        load()
    """,
    )
    async with session() as client:
        await launch_with(client, program, {"filters": ["uncaught"]})
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("load", line_of(program, "# during handling"))
        info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        assert info["exceptionId"] == "KeyError" and info["description"] == "KeyError: 'missing'"
        details = info["details"]
        assert (details["typeName"], details["fullTypeName"], details["message"]) == (
            "KeyError",
            "KeyError",
            "'missing'",
        )
        text = details["stackTrace"]
        # python's own text: both chained exceptions, the linking sentences, the lines of the program
        assert text.startswith("Traceback (most recent call last):") and text.endswith("KeyError: 'missing'\n")
        assert "The above exception was the direct cause of the following exception:" in text
        assert "During handling of the above exception, another exception occurred:" in text
        assert 'raise Broken("cannot parse") from exc' in text
        broken = details["innerException"][0]  # the context
        assert (broken["typeName"], broken["fullTypeName"], broken["message"]) == (
            "Broken",
            "__main__.Broken",
            "cannot parse",
        )
        assert "During handling" not in broken["stackTrace"] and "in parse" in broken["stackTrace"]
        cause = broken["innerException"][0]
        assert cause["typeName"] == "ValueError" and "invalid literal" in cause["message"]
        assert "innerException" not in cause
        assert await run_to_exit(client, stopped) == 1


async def test_keyboard_interrupt_stops_as_uncaught(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        import signal
        def interrupt():
            signal.raise_signal(signal.SIGINT)  # interrupted
        interrupt()
    """,
    )
    async with session() as client:
        await launch_with(client, program, {"filters": ["uncaught"]})
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["description"] == "KeyboardInterrupt"
        assert await stop_location(client, stopped) == ("interrupt", line_of(program, "# interrupted"))
        info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        assert (info["exceptionId"], info["breakMode"]) == ("KeyboardInterrupt", "unhandled")
        assert await run_to_exit(client, stopped) in (130, -2)


async def test_the_adapter_announces_the_filters_and_condition_syntax_the_agent_implements(tmp_path: Path) -> None:
    """The adapter may not import the agent's modules, so the filter list and condition help are
    written twice; this keeps the copies equal."""
    async with session() as client:
        capabilities = client.capabilities
    filters = {entry["filter"]: entry for entry in capabilities["exceptionBreakpointFilters"]}
    assert set(filters) == exceptions.FILTER_NAMES
    assert filters["userUnhandled"]["label"] == "User Uncaught Exceptions" and not filters["userUnhandled"]["default"]
    assert filters["uncaught"]["default"] and not filters["raised"]["default"]
    assert all(entry["supportsCondition"] for entry in filters.values())
    assert {entry["conditionDescription"] for entry in filters.values()} == {exceptions.CONDITION_HELP}
    assert capabilities["supportsExceptionOptions"] and capabilities["supportsExceptionFilterOptions"]


async def test_uncaught_in_a_module_run_with_m_shows_no_frame_below_its_main_code(tmp_path: Path) -> None:
    write_program(
        tmp_path,
        """
        def fail():
            raise ValueError("from -m")  # raise here
        fail()  # call here
    """,
        name="failing.py",
    )
    program = tmp_path / "failing.py"
    async with session() as client:
        launched = await client.launch(
            module="failing", cwd=str(tmp_path), python=sys.executable, console="internalConsole"
        )
        await client.wait_for_event("initialized")
        await client.set_exception_breakpoints(["uncaught"])
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        frames = await client.stack_trace(stopped["body"]["threadId"])
        # runpy's frames under the module's code are the launcher's, not the program's
        assert [(frame["name"], frame["line"]) for frame in frames] == [
            ("fail", line_of(program, "# raise here")),
            ("<module>", line_of(program, "# call here")),
        ]
        assert await run_to_exit(client, stopped) == 1


async def test_a_program_that_does_not_compile_ends_without_an_exception_stop(tmp_path: Path) -> None:
    program = write_program(tmp_path, "x = (\n")
    async with session() as client:
        await launch_with(client, program, {"filters": ["raised", "uncaught", "userUnhandled"]})
        assert await stops_until_exit(client, 0) == []
        assert "SyntaxError" in client.output("stderr")
