"""How :class:`~monadapter.client_connection.DapConnection` answers the requests an adapter sends
it (reverse requests): ``runInTerminal`` really starts the command, as an editor's terminal would;
``startDebugging`` is said yes to only when the client follows child processes.

One thin handler per request, each giving the response to write; the adapter waits for it.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any


class ReverseRequestHandler:
    """The client's answers to reverse requests, what shapes them, and the processes they started."""

    def __init__(self) -> None:
        #: processes started for runInTerminal; killed when the client closes
        self.terminal_processes: list[subprocess.Popen[bytes]] = []
        #: say yes to startDebugging (then open each child's session: wait_for_child, attached_child);
        #: off, the client declines, and a child process runs on undebugged at once instead of
        #: waiting for a session nobody opens
        self.follow_children = False
        #: run runInTerminal's command as Emacs dap-mode does: its arguments joined with spaces,
        #: unquoted, through ``sh -c``, in its cwd, without its env
        self.terminal_joins_arguments = False
        #: stdin of the runInTerminal processes (``subprocess.PIPE`` to type into the program)
        self.terminal_stdin: int | None = None

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The response to ``request`` (``seq`` not yet assigned)."""
        command = request.get("command")
        response: dict[str, Any] = {
            "type": "response",
            "request_seq": request.get("seq"),
            "command": command,
            "success": True,
        }
        if command == "runInTerminal":
            self._run_in_terminal(request.get("arguments") or {}, response)
        elif command == "startDebugging":
            self._start_debugging(response)
        else:
            response.update(success=False, message=f"unknown reverse request {command!r}")
        return response

    def _run_in_terminal(self, arguments: dict[str, Any], response: dict[str, Any]) -> None:
        """Start the command in its cwd with its env changes (a None value unsets the variable)."""
        env = dict(os.environ)
        for name, value in (arguments.get("env") or {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        argv: list[str] = arguments["args"]
        if self.terminal_joins_arguments:
            argv, env = ["sh", "-c", " ".join(argv)], dict(os.environ)
        try:
            process = subprocess.Popen(argv, cwd=arguments.get("cwd") or None, env=env, stdin=self.terminal_stdin)
        except OSError as exc:
            response.update(success=False, message=f"could not start {arguments['args'][:1]}: {exc}")
        else:
            self.terminal_processes.append(process)
            response["body"] = {"processId": process.pid}

    def _start_debugging(self, response: dict[str, Any]) -> None:
        """Yes only when following children: a child that nobody will open a session for would wait."""
        if not self.follow_children:
            response.update(success=False, message="this client does not follow child processes (follow_children)")

    def close(self) -> None:
        """Kill the runInTerminal processes still running, and reap them all."""
        for process in self.terminal_processes:
            if process.poll() is None:
                process.kill()
            process.wait()
