"""Explicit evaluation from editors that send it with context ``hover`` (Emacs dap-mode's ``dap-eval``,
Neovim nvim-dap's ``K``): the launch option ``hoverRunsCode`` lets those hovers run calls and
properties; without it (VS Code, whose hover is the mouse) a hover runs none of the program's code.

The requests are the ones those clients send: ``{"expression", "frameId", "context": "hover"}``
(dap-mode 0.7 ``dap-eval``/``dap-tooltip``, nvim-dap ``widgets.hover`` through ``Session:evaluate``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import launch_arguments, line_of, run_to_exit, session, top_frame, write_program

from monadapter.client import DapError

PROGRAM = """
    calls = []
    class Box:
        def __init__(self):
            self.n = 21
        @property
        def doubled(self):
            calls.append("doubled")
            return self.n * 2
    def answer():
        calls.append("answer")
        return 42
    box = Box()
    print(len(calls))  # stop here
"""

#: initialize arguments of each client that sends explicit evaluations as hovers (notes on real clients)
CLIENTS = {
    "dap-mode": {"clientID": "vscode", "clientName": "Visual Studio Code", "supportsRunInTerminalRequest": True},
    "nvim-dap": {
        "clientID": "neovim",
        "supportsRunInTerminalRequest": True,
        "supportsStartDebuggingRequest": True,
        "supportsProgressReporting": True,
    },
}


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_hover_runs_calls_and_properties_when_the_launch_allows_it(tmp_path: Path, client_name: str) -> None:
    program = write_program(tmp_path, PROGRAM)
    async with session(**CLIENTS[client_name]) as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# stop here")]}, **launch_arguments(program, hoverRunsCode=True)
        )
        frame_id = (await top_frame(client, stopped))["id"]
        for expression, result in (("answer()", "42"), ("box.doubled", "42"), ("box.n + 1", "22")):
            body = await client.request("evaluate", {"expression": expression, "frameId": frame_id, "context": "hover"})
            assert body["result"] == result
        assert await run_to_exit(client, stopped) == 0
        assert client.output("stdout") == "2\n"  # both ran, once each


async def test_without_the_option_a_hover_runs_none_of_the_programs_code(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# stop here")]}, **launch_arguments(program)
        )
        frame_id = (await top_frame(client, stopped))["id"]
        for expression in ("answer()", "box.doubled"):
            with pytest.raises(DapError, match="hover"):
                await client.request("evaluate", {"expression": expression, "frameId": frame_id, "context": "hover"})
        body = await client.request("evaluate", {"expression": "box.n", "frameId": frame_id, "context": "hover"})
        assert body["result"] == "21"
        assert await run_to_exit(client, stopped) == 0
        assert client.output("stdout") == "0\n"
