"""Where scopes and variables are answered: on the agent's I/O thread when listing them runs none of the
program's code, else on the paused thread (agent/paused.py, ``PausedRequests.scopes_here`` and
``variables_here``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import launch_arguments, line_of

from monadapter.agent.frames import _FEW_ITEMS, _locals_run_no_code
from monadapter.agent.stack import _scopes_may_run_code
from monadapter.agent.variable_refs import ScopeRef
from monadapter.client import DapClient


class _Key(str):
    """A name whose ``str`` methods a subclass could replace: only the program's own thread may call them."""


def _frame_with(namespace: dict[str, Any]) -> Any:
    """The frame of a function defined in ``namespace`` (its globals), caught while it runs."""
    exec("import sys\ndef caught():\n    here = 1\n    return sys._getframe()\n", namespace)
    return namespace["caught"]()


@pytest.mark.unit
def test_only_plain_namespaces_with_plain_names_are_listed_off_the_paused_thread() -> None:
    class Globals(dict[str, Any]):
        pass

    assert not _scopes_may_run_code(_frame_with({}))  # a function's locals, a dict of str names
    assert not _scopes_may_run_code(sys._getframe())
    assert _scopes_may_run_code(_frame_with(Globals()))  # its items() may be the program's
    assert _scopes_may_run_code(_frame_with({_Key("odd"): 1}))  # str methods of a subclass
    module_level: dict[str, Any] = {}
    exec("import sys\nframe = sys._getframe()\n", module_level)
    assert not _scopes_may_run_code(module_level["frame"])  # its locals are its globals
    class_body: dict[str, Any] = {}
    exec("import sys\nclass Body:\n    frame = sys._getframe()\n", class_body)
    assert _scopes_may_run_code(class_body["Body"].frame)  # its namespace may be any mapping (__prepare__)


async def test_scopes_whose_listing_runs_the_programs_code_are_listed_on_the_paused_thread(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    """The code scopes may run (a ``dict`` subclass's ``items`` as globals, a ``str`` subclass's
    ``startswith`` on a name, a class body's mapping from ``__prepare__``) runs on the program's own
    thread, as it expects, never on ours."""
    helper = make_program(
        """
        def work():
            value = 1
            return value  # stop in helper
        """,
        name="helper.py",
    )
    program = make_program(
        f"""
        import threading

        readers = []

        def note():
            readers.append(threading.get_ident())

        class Namespace(dict):
            def items(self):
                note()
                return dict.items(self)

        class Name(str):
            def startswith(self, *args):
                note()
                return str.startswith(self, *args)

        class Meta(type):
            @classmethod
            def __prepare__(mcs, name, bases):
                return Namespace()

        namespace = Namespace()
        exec(compile(open({str(helper)!r}).read(), {str(helper)!r}, "exec"), namespace)
        namespace["work"]()
        globals()[Name("odd_name")] = 1

        def in_function():
            local = 2
            return local  # stop in function

        in_function()

        class Body(metaclass=Meta):
            inside = 3  # stop in class body

        print("readers", set(readers) == {{threading.get_ident()}}, len(readers) >= 3)
        """
    )
    markers = [(helper, "# stop in helper"), (program, "# stop in function"), (program, "# stop in class body")]
    stopped = await client.launch_and_stop(
        {helper: [line_of(helper, markers[0][1])], program: [line_of(program, marker) for _, marker in markers[1:]]},
        **launch_arguments(program),
    )
    for index, (path, marker) in enumerate(markers):
        thread_id = stopped["body"]["threadId"]
        top = (await client.stack_trace(thread_id))[0]
        assert (top["source"]["path"], top["line"]) == (str(path), line_of(path, marker))
        assert [scope["name"] for scope in await client.scopes(top["id"])] == ["Locals", "Globals"]
        await client.continue_(thread_id)
        if index < len(markers) - 1:
            stopped = await client.wait_for_event("stopped")
    await client.wait_for_event("terminated")
    assert "readers True True" in client.output("stdout")


def _locals_of(**values: Any) -> Any:
    """The frame of a function whose locals are ``values`` (and nothing else), caught while it runs."""
    namespace: dict[str, Any] = {}
    exec(f"import sys\ndef holder({', '.join(values)}):\n    return sys._getframe()\n", namespace)
    return namespace["holder"](**values)


@pytest.mark.unit
def test_only_a_functions_plain_locals_whose_classes_are_known_are_listed_off_the_paused_thread() -> None:
    class Shown:
        pass

    def known(klass: type) -> bool:
        return klass is not set

    plain = _locals_of(n=1, text="x", items=[1, "a", None, 2.5], pair=(b"k", True), table={"k": 2})
    assert _locals_run_no_code(ScopeRef(plain, "locals"), known)
    assert not _locals_run_no_code(ScopeRef(plain, "locals"), lambda klass: False)  # facts not read yet
    assert not _locals_run_no_code(ScopeRef(plain, "locals", ("result", 1)), known)  # a return value shown
    assert not _locals_run_no_code(ScopeRef(plain, "globals"), known)
    assert not _locals_run_no_code(ScopeRef(_locals_of(items=[1, Shown()]), "locals"), known)  # its repr
    assert not _locals_run_no_code(ScopeRef(_locals_of(value=Shown()), "locals"), known)
    assert not _locals_run_no_code(ScopeRef(_locals_of(value=_Key("s")), "locals"), known)
    assert not _locals_run_no_code(ScopeRef(_locals_of(table={_Key("k"): 1}), "locals"), known)
    assert not _locals_run_no_code(ScopeRef(_locals_of(items=[[1]]), "locals"), known)  # nested
    assert not _locals_run_no_code(ScopeRef(_locals_of(items={1}), "locals"), known)
    assert not _locals_run_no_code(ScopeRef(_locals_of(items=[0] * (_FEW_ITEMS + 1)), "locals"), known)
    module_level: dict[str, Any] = {}
    exec("import sys\nframe = sys._getframe()\n", module_level)
    assert not _locals_run_no_code(ScopeRef(module_level["frame"], "locals"), known)


async def test_variables_whose_listing_runs_the_programs_code_are_listed_on_the_paused_thread(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    """A ``__repr__`` of the program's, inside a list among the locals, runs on the program's own thread
    at every stop; locals of plain values are listed the same at every stop (the first on the paused
    thread, which reads their classes' facts, the next ones on ours)."""
    program = make_program(
        """
        import threading

        readers = []

        class Shown:
            def __repr__(self):
                readers.append(threading.get_ident())
                return "shown"

        def plain(n):
            names = ["alpha", "beta"]
            table = {"k": n}
            return names, table  # stop in plain

        def odd(n):
            held = [n, Shown()]
            return held  # stop in odd

        for n in range(2):
            plain(n)
            odd(n)
        print("readers", set(readers) == {threading.get_ident()}, len(readers))
        """
    )
    markers = ["# stop in plain", "# stop in odd"] * 2
    stopped = await client.launch_and_stop(
        {program: [line_of(program, marker) for marker in markers[:2]]}, **launch_arguments(program)
    )
    for index, marker in enumerate(markers):
        thread_id = stopped["body"]["threadId"]
        top = (await client.stack_trace(thread_id))[0]
        assert top["line"] == line_of(program, marker)
        scopes = await client.scopes(top["id"])
        shown = {v["name"]: v["value"] for v in await client.variables(scopes[0]["variablesReference"])}
        n = index // 2
        if marker == "# stop in plain":
            assert shown == {"n": str(n), "names": "['alpha', 'beta']", "table": f"{{'k': {n}}}"}
        else:
            assert shown == {"n": str(n), "held": f"[{n}, shown]"}
        await client.continue_(thread_id)
        if index < len(markers) - 1:
            stopped = await client.wait_for_event("stopped")
    await client.wait_for_event("terminated")
    assert "readers True 2" in client.output("stdout")
