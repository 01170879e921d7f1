"""Source breakpoints through the real adapter: binding, relocation, conditions, hit counts, logpoints, run-time code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from engine_helpers import (
    evaluate_in_top_frame,
    launch_arguments,
    line_of,
    next_stop,
    run_to_exit,
    session,
    stop_location,
    top_frame,
    write_program,
)

LOOP = """
    def work(n):
        doubled = n * 2  # work body
        return doubled

    total = 0
    for i in range(4):
        total += work(i)  # loop body
    print("total", total)
"""


async def test_breakpoint_in_function_stops_on_every_call(tmp_path: Path) -> None:
    program = write_program(tmp_path, LOOP)
    body = line_of(program, "# work body")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [body]}, **launch_arguments(program))
        seen = []
        for _ in range(4):
            assert stopped["body"]["reason"] == "breakpoint"
            assert stopped["body"]["allThreadsStopped"] is True
            assert await stop_location(client, stopped) == ("work", body)
            seen.append(await evaluate_in_top_frame(client, stopped, "n"))
            if len(seen) < 4:
                stopped = await next_stop(client, stopped)
        assert seen == ["0", "1", "2", "3"]
        assert await run_to_exit(client, stopped) == 0
        assert "total 12" in client.output("stdout")


async def test_breakpoint_ids_and_hit_ids_match(tmp_path: Path) -> None:
    program = write_program(tmp_path, LOOP)
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        answered = await client.set_breakpoints(program, [line_of(program, "# loop body")])
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["hitBreakpointIds"] == [answered[0]["id"]]
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0


async def test_a_file_on_disk_not_run_yet_is_verified_at_once(tmp_path: Path) -> None:
    module = write_program(
        tmp_path,
        """
        def helper(x):
            # a comment: a breakpoint here binds to the next line
            return x + 1  # helper body
    """,
        name="helpermod.py",
    )
    program = write_program(
        tmp_path,
        """
        import helpermod
        print(helpermod.helper(1))
    """,
    )
    body = line_of(module, "# helper body")
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        # the line itself, a comment relocated to it, and a line past the end (no code: unverified)
        answers = await client.set_breakpoints(module, [body, body - 1, body + 5])
        assert [(answer["verified"], answer["line"]) for answer in answers[:2]] == [(True, body), (True, body)]
        assert "message" not in answers[0] and "message" not in answers[1]
        assert answers[2]["verified"] is False and "past the last line with code" in answers[2]["message"]
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("helper", body)
        assert await run_to_exit(client, stopped) == 0
        # nothing to change when the module loads: no breakpoint event says otherwise
        changed = [event["body"]["breakpoint"] for event in client.events if event.get("event") == "breakpoint"]
        assert all(item["verified"] for item in changed if item["id"] != answers[2]["id"])


async def test_frames_report_the_path_the_client_sent(tmp_path: Path) -> None:
    program = write_program(tmp_path / "real", LOOP)
    os.symlink(tmp_path / "real", tmp_path / "link")
    client_path = str(tmp_path / "link" / ".." / "link" / "prog.py")
    async with session() as client:
        stopped = await client.launch_and_stop(
            {client_path: [line_of(program, "# work body")]}, **launch_arguments(program)
        )
        frame = await top_frame(client, stopped)
        assert frame["source"]["path"] == client_path
        await client.set_breakpoints(client_path, [])
        assert await run_to_exit(client, stopped) == 0


async def test_lines_without_code_move_to_the_next_line_with_code(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def work(n):

            # a comment
            doubled = n * 2  # target
            call = max(
                doubled,  # inside the call
                1,
            )
            return call  # last line
        print(work(3))
    """,
    )
    target, inside, last = line_of(program, "# target"), line_of(program, "# inside"), line_of(program, "# last")
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        # a blank line, a comment, and the closing line of a multi-line call (no code of its own)
        answers = await client.set_breakpoints(program, [target - 2, target - 1, inside + 2, 500])
        assert [answer["line"] for answer in answers[:3]] == [target, target, last]
        assert answers[3]["verified"] is False
        assert "past the last line with code" in answers[3]["message"]
        locations = await client.request(
            "breakpointLocations", {"source": {"path": str(program)}, "line": 1, "endLine": last}
        )
        valid = [location["line"] for location in locations["breakpoints"]]
        assert target in valid and last in valid and inside in valid
        assert target - 1 not in valid and inside + 2 not in valid
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("work", target)
        stopped = await next_stop(client, stopped)
        assert await stop_location(client, stopped) == ("work", last)
        assert await run_to_exit(client, stopped) == 0


async def test_missing_file_breakpoint_is_unverified_with_a_message(tmp_path: Path) -> None:
    program = write_program(tmp_path, "print('hi')\n")
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        [answer] = await client.set_breakpoints(tmp_path / "nowhere.py", [3])
        assert answer["verified"] is False
        assert "nowhere.py" in answer["message"]
        await client.configuration_done()
        await launched
        assert await run_to_exit(client) == 0


async def test_multi_line_statement_stops_once(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def pair(a, b):
            return (a, b)
        for i in range(2):
            value = pair(  # statement head
                i,
                i + 1,
            )
        while i < 4:  # loop head
            i += 1
        print("done")
    """,
    )
    head, loop = line_of(program, "# statement head"), line_of(program, "# loop head")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [head, loop]}, **launch_arguments(program))
        stops = [(await stop_location(client, stopped))[1]]
        for _ in range(5):
            stopped = await next_stop(client, stopped)
            stops.append((await stop_location(client, stopped))[1])
        # two loop iterations stop once each at the call; the while head stops on each of its 4 tests
        assert stops == [head, head, loop, loop, loop, loop]
        assert await run_to_exit(client, stopped) == 0
        assert len([event for event in client.events if event.get("event") == "stopped"]) == 6


MULTI_LINE_SHAPES = """
    def pair(a, b):
        return (a, b)

    class Box:
        def put(self, value):
            return self

    def shapes(i):
        value = pair(  # call
            i,
            i + 1,
        )
        Box().put(  # method chain
            i,
        ).put(
            i)
        result = (  # parenthesized
            pair(i,
                 i)
        )
        items = [  # display
            pair(i, i),
            pair(i, i),
        ]
        total = {k: pair(  # comprehension
            k, k) for k in range(1)}
        return pair(  # return
            value,
            (result, items, total))

    for i in range(2):
        shapes(i)
        pair(  # expression
            i,
            i + 1,
        )
    print("done")
"""


async def test_multi_line_statements_of_every_shape_stop_once_per_execution(tmp_path: Path) -> None:
    """Every shape of statement whose head spans lines stops once each time it runs, on every Python:
    the statement's first line fires LINE again after its inner lines (a call), or only after them (a
    parenthesized value, a display, a comprehension), and either way it is one stop."""
    program = write_program(tmp_path, MULTI_LINE_SHAPES)
    names = ["call", "method chain", "parenthesized", "display", "comprehension", "return", "expression"]
    heads = [line_of(program, f"# {name}") for name in names]
    async with session() as client:
        stopped = await client.launch_and_stop({program: heads}, **launch_arguments(program))
        stops = [await stop_location(client, stopped)]
        for _ in range(2 * len(heads) - 1):
            stopped = await next_stop(client, stopped)
            stops.append(await stop_location(client, stopped))
        expected = [("shapes", line) for line in heads[:-1]] + [("<module>", heads[-1])]
        assert stops == expected * 2
        assert await run_to_exit(client, stopped) == 0
        assert len([event for event in client.events if event.get("event") == "stopped"]) == 2 * len(heads)
        assert "done" in client.output("stdout")


async def test_one_line_function_stops_on_every_call(tmp_path: Path) -> None:
    """3.13 emits no LINE for a one-line def's line unless PY_START is on too (cpython#155992)."""
    program = write_program(
        tmp_path,
        """
        def inc(x): return x + 1
        square = lambda y: y * y
        print(inc(1), inc(2), square(3))
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop({program: [1, 2]}, **launch_arguments(program))
        locations = [await stop_location(client, stopped)]
        for _ in range(4):
            stopped = await next_stop(client, stopped)
            locations.append(await stop_location(client, stopped))
        # module level runs the def line and the lambda line once each, then inc twice, square once
        assert locations == [("<module>", 1), ("<module>", 2), ("inc", 1), ("inc", 1), ("<lambda>", 2)]
        assert await run_to_exit(client, stopped) == 0
        assert "2 3 9" in client.output("stdout")


@pytest.mark.parametrize(
    ("hit_condition", "expected"),
    [
        ("2", ["1"]),
        ("== 3", ["2"]),
        (">= 3", ["2", "3"]),
        ("> 3", ["3"]),
        ("< 3", ["0", "1"]),
        ("<= 2", ["0", "1"]),
        ("% 2", ["1", "3"]),
    ],
)
async def test_hit_conditions(tmp_path: Path, hit_condition: str, expected: list[str]) -> None:
    program = write_program(tmp_path, LOOP)
    spec = {"line": line_of(program, "# work body"), "hitCondition": hit_condition}
    async with session() as client:
        stopped: dict | None = await client.launch_and_stop({program: [spec]}, **launch_arguments(program))
        seen = []
        while stopped is not None:
            seen.append(await evaluate_in_top_frame(client, stopped, "n"))
            await client.continue_(stopped["body"]["threadId"])
            if len(seen) == len(expected):
                break
            stopped = await client.wait_for_event("stopped")
        assert seen == expected
        assert await run_to_exit(client) == 0
        assert len([event for event in client.events if event.get("event") == "stopped"]) == len(expected)


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ({"hitCondition": "sometimes"}, "hit condition 'sometimes' is not valid"),
        ({"condition": "n >"}, "condition 'n >' is not valid Python"),
        ({"logMessage": "{n"}, "unclosed"),
        ({"line": 0}, "lines start at 1"),
    ],
)
async def test_spec_that_does_not_compile_is_refused_with_a_message(tmp_path: Path, spec: dict, complaint: str) -> None:
    program = write_program(tmp_path, LOOP)
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        [answer] = await client.set_breakpoints(program, [{"line": 2, **spec}])
        assert answer["verified"] is False and complaint in answer["message"]
        await client.configuration_done()
        await launched
        assert await run_to_exit(client) == 0
        assert not [event for event in client.events if event.get("event") == "stopped"]


async def test_condition_stops_only_where_true_and_keeps_its_probe(tmp_path: Path) -> None:
    program = write_program(tmp_path, LOOP)
    spec = {"line": line_of(program, "# work body"), "condition": "n in (0, 3)"}
    async with session() as client:
        stopped = await client.launch_and_stop({program: [spec]}, **launch_arguments(program))
        assert await evaluate_in_top_frame(client, stopped, "n") == "0"
        stopped = await next_stop(client, stopped)  # n == 1, 2 were false: the line must still fire at 3
        assert await evaluate_in_top_frame(client, stopped, "n") == "3"
        assert await run_to_exit(client, stopped) == 0


@pytest.mark.parametrize(("condition", "error"), [("undefined_name > 1", "NameError"), ("exit(3)", "SystemExit")])
async def test_condition_that_raises_stops_once_and_says_why_each_time(
    tmp_path: Path, condition: str, error: str
) -> None:
    """The first hit stops with the error; the other three iterations only report it, on stderr
    (a category dap-mode's output buffer shows by default)."""
    program = write_program(tmp_path, LOOP)
    spec = {"line": line_of(program, "# work body"), "condition": condition}
    async with session() as client:
        stopped = await client.launch_and_stop({program: [spec]}, **launch_arguments(program))
        assert await evaluate_in_top_frame(client, stopped, "n") == "0"
        message = await client.wait_for_output("condition at line", category="stderr")
        assert error in message and "stopped there" in message
        assert await run_to_exit(client, stopped) == 0
        assert len([event for event in client.events if event.get("event") == "stopped"]) == 1
        reports = [line for line in client.output("stderr").splitlines() if "condition at line" in line]
        assert len(reports) == 4 and all(error in report for report in reports)
        assert all("not stopping" in report for report in reports[1:])


async def test_logpoint_interpolates_and_never_stops(tmp_path: Path) -> None:
    program = write_program(tmp_path, LOOP)
    spec = {"line": line_of(program, "# work body"), "logMessage": "n={n} twice={n * 2!r} {{literal}} {nope}"}
    async with session() as client:
        await client.configuration_sequence({program: [spec]}, **launch_arguments(program))
        assert await run_to_exit(client) == 0
        logged = client.output("stdout")  # as debugpy's logpoints: a category every client shows
        for n in range(4):
            assert f"n={n} twice={n * 2} {{literal}} <error: NameError" in logged
        assert not [event for event in client.events if event.get("event") == "stopped"]


async def test_removing_a_breakpoint_stops_the_stops(tmp_path: Path) -> None:
    program = write_program(tmp_path, LOOP)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# work body")]}, **launch_arguments(program)
        )
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0
        assert len([event for event in client.events if event.get("event") == "stopped"]) == 1


async def test_moving_a_breakpoint_rearms_a_line_that_was_disabled(tmp_path: Path) -> None:
    """The loop line fired once as a non-breakpoint line (DISABLEd); moving the breakpoint there must
    bring it back (the per-code 0 -> LINE re-arm)."""
    program = write_program(tmp_path, LOOP)
    body, loop = line_of(program, "# work body"), line_of(program, "# loop body")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [body]}, **launch_arguments(program))
        await client.set_breakpoints(program, [loop])
        stopped = await next_stop(client, stopped)
        assert await stop_location(client, stopped) == ("<module>", loop)
        assert await evaluate_in_top_frame(client, stopped, "i") == "1"
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0


async def test_code_compiled_under_a_virtual_path(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        SOURCE = "def vf(a):\\n    b = a + 1\\n    return b\\nRESULT = vf(1)\\n"
        namespace = {}
        exec(compile(SOURCE, "/virtual/x.py", "exec"), namespace)
        print("result", namespace["RESULT"])
    """,
    )
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        [answer] = await client.set_breakpoints("/virtual/x.py", [2])
        assert answer["verified"] is False and "/virtual/x.py" in answer["message"]
        await client.configuration_done()
        await launched
        changed = await client.wait_for_event("breakpoint")
        assert changed["body"]["breakpoint"] | {"source": None} == {
            "id": answer["id"],
            "verified": True,
            "line": 2,
            "source": None,
        }
        stopped = await client.wait_for_event("stopped")
        frame = await top_frame(client, stopped)
        assert (frame["name"], frame["line"], frame["source"]["path"]) == ("vf", 2, "/virtual/x.py")
        content = await client.request(
            "source", {"source": frame["source"], "sourceReference": frame["source"]["sourceReference"]}
        )
        assert content["content"].startswith("def vf(a):\n    b = a + 1")
        assert await run_to_exit(client, stopped) == 0
        assert "result 2" in client.output("stdout")


async def test_string_code_gets_a_source_reference_and_takes_breakpoints(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def helper():
            return 1  # helper body
        SOURCE = "def generated():\\n    helper()\\n    x = 2\\n    return x\\n"
        namespace = {"helper": helper}
        exec(SOURCE, namespace)
        namespace["generated"]()
        namespace["generated"]()
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# helper body")]}, **launch_arguments(program)
        )
        frames = await client.stack_trace(stopped["body"]["threadId"])
        generated = frames[1]
        assert generated["name"] == "generated" and generated["source"]["name"] == "<string>"
        reference = generated["source"]["sourceReference"]
        assert reference > 0 and "path" not in generated["source"]
        content = await client.request("source", {"source": generated["source"], "sourceReference": reference})
        assert content["content"] == "def generated():\n    helper()\n    x = 2\n    return x\n"
        await client.set_breakpoints(program, [])
        answer = await client.request("setBreakpoints", {"source": generated["source"], "breakpoints": [{"line": 3}]})
        assert answer["breakpoints"][0]["verified"] is True
        stopped = await next_stop(client, stopped)
        assert await stop_location(client, stopped) == ("generated", 3)
        stopped = await next_stop(client, stopped)  # the second call stops too
        assert await stop_location(client, stopped) == ("generated", 3)
        assert await run_to_exit(client, stopped) == 0


async def test_source_request_for_an_unknown_reference_fails_clearly(tmp_path: Path) -> None:
    program = write_program(tmp_path, "print('x')\n")
    async with session() as client:
        stopped = await client.launch_and_stop(**launch_arguments(program, stopOnEntry=True))
        pending = await client.send_request("source", {"source": {"sourceReference": 999}, "sourceReference": 999})
        response = await client.response(pending.seq)
        assert response["success"] is False and "999" in response["message"]
        assert await run_to_exit(client, stopped) == 0


async def test_stop_on_entry_stops_at_the_first_line(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        import os
        print("ran")
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(**launch_arguments(program, stopOnEntry=True))
        assert stopped["body"]["reason"] == "entry"
        assert await stop_location(client, stopped) == ("<module>", 1)
        assert "ran" not in client.output("stdout")
        assert await run_to_exit(client, stopped) == 0
        assert "ran" in client.output("stdout")


async def test_stop_on_entry_of_a_code_string_shows_its_text(tmp_path: Path) -> None:
    async with session() as client:
        arguments = {"code": "x = 1\nprint('from code', x)\n", "console": "internalConsole", "cwd": str(tmp_path)}
        stopped = await client.launch_and_stop(stopOnEntry=True, **arguments)
        assert stopped["body"]["reason"] == "entry"
        frame = await top_frame(client, stopped)
        assert (frame["name"], frame["line"], frame["source"]["name"]) == ("<module>", 1, "<string>")
        reference = frame["source"]["sourceReference"]
        content = await client.request("source", {"source": frame["source"], "sourceReference": reference})
        assert content["content"] == "x = 1\nprint('from code', x)\n"
        assert await run_to_exit(client, stopped) == 0
        assert "from code 1" in client.output("stdout")


async def test_breakpoint_builtin_stops_on_the_next_line(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def work():
            before = 1
            breakpoint()
            after = 2  # after the call
            return after
        print(work())
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(**launch_arguments(program))
        assert stopped["body"]["reason"] == "breakpoint"
        assert await stop_location(client, stopped) == ("work", line_of(program, "# after the call"))
        assert await run_to_exit(client, stopped) == 0
        assert "2" in client.output("stdout")


async def test_function_breakpoints_stop_on_entry_by_name(tmp_path: Path) -> None:
    write_program(
        tmp_path,
        """
        class Greeter:
            def greet(self, who):
                text = "hi " + who  # greet body
                return text
        def shout(word): return word.upper()
    """,
        name="greetings.py",
    )
    program = write_program(
        tmp_path,
        """
        import greetings
        for who in ("a", "b"):
            greetings.Greeter().greet(who)
        print(greetings.shout("x"))
    """,
    )
    module = tmp_path / "greetings.py"
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        answers = (
            await client.request(
                "setFunctionBreakpoints",
                {
                    "breakpoints": [
                        {"name": "Greeter.greet", "hitCondition": "2"},
                        {"name": "greetings.shout"},
                        {"name": "nowhere"},
                    ]
                },
            )
        )["breakpoints"]
        assert [answer["verified"] for answer in answers] == [False, False, False]
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "function breakpoint"
        assert await stop_location(client, stopped) == ("Greeter.greet", line_of(module, "# greet body"))
        assert await evaluate_in_top_frame(client, stopped, "who") == "'b'"  # the second call (hit count 2)
        assert stopped["body"]["hitBreakpointIds"] == [answers[0]["id"]]
        stopped = await next_stop(client, stopped)
        assert stopped["body"]["reason"] == "function breakpoint"
        assert await stop_location(client, stopped) == ("shout", line_of(module, "def shout"))  # one-line def
        changed = [event["body"]["breakpoint"] for event in client.events if event.get("event") == "breakpoint"]
        assert {item["id"] for item in changed if item["verified"]} == {answers[0]["id"], answers[1]["id"]}
        await client.request("setFunctionBreakpoints", {"breakpoints": []})
        assert await run_to_exit(client, stopped) == 0
        assert "X" in client.output("stdout")


async def test_the_deprecated_lines_array_sets_breakpoints(tmp_path: Path) -> None:
    """Old clients send ``lines`` instead of ``breakpoints`` (the field is deprecated, not gone)."""
    program = write_program(tmp_path, LOOP)
    body = line_of(program, "# work body")
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        answered = await client.request("setBreakpoints", {"source": {"path": str(program)}, "lines": [body]})
        assert [item["line"] for item in answered["breakpoints"]] == [body]  # verified once the file loads
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("work", body)
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0


async def test_breakpoints_set_later_in_a_module_imported_without_any_find_its_code(tmp_path: Path) -> None:
    """A module imported while no breakpoint is in it is only noted (CodeRegistry.note, benchmarks S9),
    its module code gone once imported: a breakpoint set there while stopped still binds to a method
    and to a closure never run yet, and a function breakpoint set then is verified at once."""
    module = write_program(
        tmp_path,
        """
        class Box:
            def put(self, item):
                def check():
                    return item is not None  # check body
                kept = check()  # put body
                return kept
        def unused():
            return 0
    """,
        name="boxes.py",
    )
    program = write_program(
        tmp_path,
        """
        import boxes
        box = boxes.Box()  # after import
        print(box.put(1))
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# after import")]}, **launch_arguments(program)
        )
        answered = await client.set_breakpoints(
            module, [line_of(module, "# put body"), line_of(module, "# check body")]
        )
        assert [answer["verified"] for answer in answered] == [True, True]
        functions = await client.request("setFunctionBreakpoints", {"breakpoints": [{"name": "unused"}]})
        assert [answer["verified"] for answer in functions["breakpoints"]] == [True]
        stopped = await next_stop(client, stopped)
        assert await stop_location(client, stopped) == ("Box.put", line_of(module, "# put body"))
        stopped = await next_stop(client, stopped)
        assert await stop_location(client, stopped) == ("Box.put.<locals>.check", line_of(module, "# check body"))
        await client.request("setFunctionBreakpoints", {"breakpoints": []})
        assert await run_to_exit(client, stopped) == 0
