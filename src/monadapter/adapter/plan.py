"""A launch's plan: what to run, where, with which interpreter and environment, and how to start it.

Standard library only (with the package's light modules): the head start (adapter/headstart.py)
makes the same plan from a launch it is certain of before pydantic is imported, and starts the
debuggee from it; the session makes it from the validated arguments (adapter/launch.py) and keeps
that process only when both plans give the same command line, directory and environment.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import monadapter
from monadapter.adapter.envfile import environment_changes
from monadapter.adapter.errors import LaunchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import Any, Protocol

    class Target(Protocol):
        """What a plan reads of the launch arguments (``launch.LaunchArguments`` has each)."""

        program: str | None
        module: str | None
        code: str | None
        args: list[str] | str
        cwd: str | None
        env: dict[str, str | None]
        envFile: str | None
        python: str | list[str] | None
        pythonArgs: list[str]
        noDebug: bool
        subProcess: bool
        redirectOutput: bool

        @property
        def console(self) -> str: ...


#: The script the debuggee runs first (docs/architecture.md, "Launching the debuggee"): run by its
#: path, it finds the package next to itself, so the command line holds no code to quote.
START_SCRIPT = str(Path(monadapter.__file__).resolve().parent / "agent" / "entry" / "start_debuggee.py")
#: The variable naming the child notify listener, ``HOST:PORT:TOKEN`` (adapter/children.py; agent/children.py
#: reads it: same name there).
NOTIFY_ENV = "MONADAPTER_CHILD_NOTIFY"


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    """A validated launch: what to run, where, with which interpreter and environment."""

    arguments: Target
    #: the launch arguments exactly as the client sent them (the agent gets these)
    launch_arguments: dict[str, Any]
    python: list[str]
    cwd: str
    #: the program's arguments (``args``, a string of them split and expanded by a shell)
    program_args: list[str]
    #: changes to the adapter's environment (None = unset), including PYTHONUNBUFFERED
    env_changes: dict[str, str | None]

    @property
    def env(self) -> dict[str, str]:
        """The debuggee's full environment."""
        env = dict(os.environ)
        for name, value in self.env_changes.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    @property
    def target_kind(self) -> str:
        """``program``, ``module`` or ``code``: the one the arguments name."""
        return next(name for name in ("program", "module", "code") if getattr(self.arguments, name) is not None)

    @property
    def target_name(self) -> str:
        """A name for the debuggee (DAP ``process`` event): the program, the module, or ``-c``."""
        return "-c" if self.target_kind == "code" else getattr(self.arguments, self.target_kind)

    def with_env(self, **changes: str | None) -> LaunchPlan:
        """This plan with more environment changes."""
        return replace(self, env_changes={**self.env_changes, **changes})

    def with_notify(self, listener: tuple[int, str] | None) -> LaunchPlan:
        """This plan with the child notify listener (its port and token) named in the environment, or,
        for None, with no such variable at all (the adapter may itself run under a debuggee that follows
        children). The session and the head start name it alike: ``HeadStart.fits`` compares the two."""
        if listener is None:
            return self.with_env(**{NOTIFY_ENV: None})
        port, token = listener
        return self.with_env(**{NOTIFY_ENV: f"127.0.0.1:{port}:{token}"})

    def command(self, agent_port: int, secret_file: str | None = None) -> list[str]:
        """The debuggee's argv: the interpreter running the agent's start script, then the target.

        Every word of ours is free of spaces and shell metacharacters (but the install path and the
        user's own values), so a client that joins them with spaces for a shell (Emacs dap-mode's
        ``runInTerminal``) runs the same command. ``secret_file``: where the agent finds the launch's
        secret when it may not get the environment (a terminal the client opens).
        """
        arguments = self.arguments
        kind = self.target_kind
        return [
            *self.python,
            *arguments.pythonArgs,
            START_SCRIPT,
            "--connect",
            f"127.0.0.1:{agent_port}",
            *(["--secret-file", secret_file] if secret_file is not None else []),
            f"--{kind}",
            getattr(arguments, kind),
            "--",
            *self.program_args,
        ]

    def spawn(self, agent_port: int) -> subprocess.Popen[bytes]:
        """Start the debuggee with piped output in its own session (raises OSError)."""
        import subprocess

        return subprocess.Popen(
            self.command(agent_port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,
        )


def make_plan(arguments: Target, raw: dict[str, Any]) -> LaunchPlan:
    """The plan of valid launch ``arguments`` (``raw``: as the client sent them), with the program
    and directory checked; a string ``args`` is left for the shell to split (``program_args`` empty).

    Raises:
        LaunchError: the directory or the program is missing, the interpreter path is empty, the
            envFile cannot be read.
    """
    cwd = os.path.abspath(arguments.cwd) if arguments.cwd is not None else os.getcwd()
    if not os.path.isdir(cwd):
        raise LaunchError(f"the working directory {cwd!r} (cwd) does not exist or is not a directory")
    if arguments.program is not None and not os.path.exists(os.path.join(cwd, arguments.program)):
        raise LaunchError(f"the program {arguments.program!r} does not exist (looked in {cwd!r})")
    python = interpreter_argv(arguments.python)
    try:
        env_changes = environment_changes(
            None if arguments.envFile is None else os.path.join(cwd, arguments.envFile), arguments.env
        )
    except OSError as exc:
        raise LaunchError(f"the envFile {arguments.envFile!r} cannot be read: {exc.strerror or exc}") from None
    program_args = [] if isinstance(arguments.args, str) else arguments.args
    plan = LaunchPlan(arguments, raw, python, cwd, program_args, {**env_changes, "PYTHONUNBUFFERED": "1"})
    if arguments.noDebug and not plan.env.get("PYTHONBREAKPOINT"):
        # Run Without Debugging: breakpoint() does nothing (pdb would read the program's stdin),
        # unless the user chose a hook themselves (empty is python's default, as unset).
        plan = plan.with_env(PYTHONBREAKPOINT="0")
    return plan


def follows_children(arguments: Target, client_arguments: dict[str, Any]) -> bool:
    """Whether the launch debugs the program's children: ``subProcess``, not ``noDebug``, and a client
    that can start child sessions (its ``initialize`` said ``supportsStartDebuggingRequest``)."""
    return (
        arguments.subProcess and not arguments.noDebug and bool(client_arguments.get("supportsStartDebuggingRequest"))
    )


def interpreter_argv(python: str | list[str] | None) -> list[str]:
    """The interpreter's argv: the launch's ``python`` (a path or an argv), else our own interpreter."""
    if python is None:
        return [sys.executable]
    argv = [python] if isinstance(python, str) else list(python)
    if not argv or not argv[0]:
        raise LaunchError("invalid launch arguments: python: the interpreter path is empty")
    return argv
