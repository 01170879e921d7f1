"""The ``launch`` and ``attach`` arguments (debugpy's names) and their validation; the plan they make
(the debuggee's command line and environment) is adapter/plan.py's.

Everything a launch or attach can get wrong on the user's side (two targets, a missing program, a
bad ``cwd``, a missing or too old interpreter, no ``connect`` port) is found here, before any
process is started or connection made, and reported as a
:class:`~monadapter.adapter.errors.LaunchError` with a message that says what to fix.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Annotated, Any, Literal

import anyio
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

from monadapter.adapter.errors import LaunchError
from monadapter.adapter.plan import LaunchPlan, make_plan

#: Oldest Python the agent runs on (it needs sys.monitoring, PEP 669).
MIN_PYTHON = (3, 12)
#: How long the interpreter may take to report its version.
INTERPRETER_CHECK_TIMEOUT = 10.0


class ClientArguments(BaseModel):
    """A JSON object in the arguments of ``launch`` or ``attach``. Unknown keys are accepted and
    ignored (VS Code adds ``type``, ``name``, ``request``, ``__sessionId``; debugpy configurations
    carry options we don't use)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_unset(cls, data: Any) -> Any:
        """Some clients (dap-python) send every optional field, the unset ones as null."""
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


#: Where a category of an object's members goes in the Variables view (debugpy's values).
Placement = Literal["group", "inline", "hide"]


class VariablePresentation(BaseModel):
    """debugpy's ``variablePresentation``: where each category of members is listed when an object
    is expanded. A category left out takes ``all``, else the agent's default (agent/presentation.py,
    ``Presentation``), so no default is filled in here. Unknown keys are refused: a misspelt
    category would otherwise be silently ignored."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    all: Placement | None = Field(None, description="Every category not given on its own.")
    special: Placement | None = Field(None, description="Special names such as __init__ (default group).")
    function: Placement | None = Field(None, description="Functions and methods (default group).")
    class_: Placement | None = Field(None, alias="class", description="Classes (default group).")
    protected: Placement | None = Field(None, description="Names starting with _ (default inline).")

    @model_validator(mode="before")
    @classmethod
    def _known_categories(cls, data: Any) -> Any:
        """Name the categories there are (pydantic would only say "Extra inputs are not permitted")."""
        if isinstance(data, dict):
            known = [field.alias or name for name, field in cls.model_fields.items()]
            unknown = [key for key in data if key not in known]
            if unknown:
                raise ValueError(
                    f"unknown category {', '.join(map(repr, unknown))}; the categories are {', '.join(known)}"
                )
        return data


class CodeRule(BaseModel):
    """One of debugpy's ``rules``: a path glob or a module glob, and whether what it matches is user code."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    path: str | None = Field(
        None, description="A glob over absolute file paths (** for any directories); a directory covers its files."
    )
    module: str | None = Field(None, description="A glob over module names; it covers the module's submodules.")
    include: bool = Field(description="true: what the rule matches is user code; false: it is library code.")

    @model_validator(mode="after")
    def _path_or_module(self) -> CodeRule:
        if (self.path is None) == (self.module is None):
            raise ValueError("a rule needs exactly one of 'path' or 'module'")
        if not (self.path or self.module):
            raise ValueError("a rule's 'path' or 'module' must not be empty")
        return self


class PathMapping(ClientArguments):
    """One entry of ``pathMappings`` (debugpy's names)."""

    localRoot: str = Field(min_length=1, description="A directory as the client (the editor) sees it.")
    remoteRoot: str = Field(min_length=1, description="The same directory as the program sees it.")


class AgentOptions(ClientArguments):
    """The options the agent reads from ``monadapter/configure``, the same for launch and attach."""

    stopOnEntry: bool = Field(False, description="Stop at the first line of the program.")
    justMyCode: bool = Field(True, description="Debug only user code, not the standard library or site-packages.")
    showReturnValue: bool = Field(False, description="Show the return value of the function stepped out of.")
    hoverRunsCode: bool = Field(
        False,
        description="Let evaluate with context hover run the program's code (calls, properties) as a watch does, "
        "for clients whose explicit evaluation sends that context (Emacs dap-mode's dap-eval, nvim-dap's K). "
        "Off, a hover reads values without running any of the program's code (a VS Code mouse hover).",
    )
    evaluateTimeout: float = Field(
        10.0,
        ge=0,
        description="Seconds the program's code run for one request (an evaluated expression, a __repr__ or "
        "property shown in Variables), or for one hit of a breakpoint condition or logpoint expression, may take "
        "before it is interrupted; 0: no limit.",
    )
    rules: list[CodeRule] | None = Field(
        None,
        description="Which code is user code, before justMyCode decides: a list of {path | module, include}, "
        "the first rule that matches a file wins.",
    )
    variablePresentation: VariablePresentation | None = Field(
        None, description="Group, inline or hide special names, functions, classes and _protected members."
    )
    pathMappings: list[PathMapping] = Field(
        default_factory=list,
        description="Where the client's files are in the program's file system (the longest localRoot "
        "that holds a path wins); breakpoints, stack frames and sources are translated both ways.",
    )


def adapter_access_token() -> Any:
    """The field both launch and attach take for a server started with ``--access-token`` (adapter/access.py)."""
    return Field(
        None,
        description="The access token of an adapter server started with --access-token (or "
        "$MONADAPTER_ADAPTER_ACCESS_TOKEN): it debugs nothing for a client without it.",
    )


class LaunchArguments(AgentOptions):
    """``launch`` arguments."""

    program: str | None = Field(None, description="Path of the script to run (python PROGRAM).")
    module: str | None = Field(None, description="Module to run as python -m MODULE.")
    code: str | None = Field(None, description="Code to run as python -c CODE.")
    args: list[str] | str = Field(
        default_factory=list,
        description="Command-line arguments of the program: a list, or one string that a shell splits and expands "
        "(quotes, $VARIABLES, globs) as debugpy does.",
    )
    cwd: str | None = Field(None, description="Working directory; default: the adapter's.")
    env: dict[str, str | None] = Field(
        default_factory=dict, description="Environment changes; a null value removes the variable."
    )
    envFile: str | None = Field(
        None,
        description="A file of NAME=VALUE lines for the program's environment (env wins over it; a missing file "
        "is ignored). Relative to cwd.",
    )
    python: str | list[str] | None = Field(
        None, description="Interpreter path, or an argv list; default: the adapter's own interpreter."
    )
    pythonArgs: list[str] = Field(default_factory=list, description="Extra interpreter options.")
    console: Literal["internalConsole", "integratedTerminal", "externalTerminal"] = Field(
        "internalConsole", description="Where the program's output goes."
    )
    redirectOutput: bool = Field(True, description="Send the program's output to the debug console.")
    subProcess: bool = Field(
        True,
        description="Debug the Python 3.12+ child processes the program starts (subprocess, multiprocessing "
        "fork/spawn/forkserver), each as a session of its own (startDebugging).",
    )
    noDebug: bool = Field(False, description="Run the program with the debugger off (VS Code's Run Without Debugging).")
    adapterAccessToken: str | None = adapter_access_token()

    @model_validator(mode="after")
    def _one_target(self) -> LaunchArguments:
        given = [name for name in ("program", "module", "code") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "exactly one of 'program', 'module' or 'code' is required"
                + (f", got {' and '.join(given)}" if given else "")
            )
        return self


#: The host attach connects to when none is given (where ``--listen PORT`` listens by default).
DEFAULT_ATTACH_HOST = "127.0.0.1"
#: A TCP port one can connect to (0 only asks --listen to pick one); strict: "5678" is a mistake.


def _number_from_text(value: object) -> object:
    """A port or process id given as decimal text is that number: VS Code's ``${input:...}`` and
    ``${command:pickProcess}`` variables substitute strings, and debugpy accepts ``"port": "5678"`` too."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return value


TcpPort = Annotated[int, Field(strict=True, ge=1, le=65535), BeforeValidator(_number_from_text)]


#: A process id; as text too (``${command:pickProcess}`` gives one), which the schema says.
ProcessId = Annotated[
    int,
    Field(strict=True, ge=1),
    BeforeValidator(_number_from_text),
    WithJsonSchema({"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}]}),
]


class ConnectAddress(ClientArguments):
    """``attach``'s ``connect``: where ``python -m monadapter --listen [HOST:]PORT`` waits."""

    host: str = Field(DEFAULT_ATTACH_HOST, description="Host the program listens on.")
    port: TcpPort = Field(description="Port the program listens on (the one --listen printed when given port 0).")


class AttachArguments(AgentOptions):
    """``attach`` arguments: the address of a program that listens (``python -m monadapter --listen``,
    ``monadapter.listen()``), or the id of a running Python 3.14+ process."""

    connect: ConnectAddress | None = Field(
        None, description="Where the program listens: {host, port} of its --listen option or listen() call."
    )
    host: str | None = Field(
        None, description="debugpy's older form of connect.host, read only when connect is not given."
    )
    port: TcpPort | None = Field(
        None, description="debugpy's older form of connect.port, read only when connect is not given."
    )
    adapterAccessToken: str | None = adapter_access_token()
    accessToken: str | None = Field(
        None,
        description="The program's access token: the one it printed when it started listening, or was "
        "given with --access-token (or listen's access_token).",
    )
    processId: ProcessId | None = Field(
        None,
        description="Attach to this running process (Python 3.14+, through sys.remote_exec); instead of connect.",
    )
    redirectOutput: bool = Field(
        True, description="Send what the program writes to sys.stdout/sys.stderr to the client too."
    )

    @model_validator(mode="after")
    def _has_port(self) -> AttachArguments:
        address = self.connect is not None or self.port is not None
        if address and self.processId is not None:
            raise ValueError("give either 'processId' or 'connect', not both")
        if not address and self.processId is None:
            raise ValueError(
                "attach needs 'connect': {'host': ..., 'port': ...} naming where the program listens "
                "('python -m monadapter --listen', monadapter.listen()), or 'processId'"
            )
        return self

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) to connect to: ``connect``, else the top-level ``host``/``port``."""
        if self.connect is not None:
            return self.connect.host or DEFAULT_ATTACH_HOST, self.connect.port
        assert self.port is not None  # _has_port
        return self.host or DEFAULT_ATTACH_HOST, self.port


def parse_arguments[Arguments: ClientArguments](model: type[Arguments], raw: dict[str, Any], request: str) -> Arguments:
    """Validate the ``raw`` arguments of ``request``; raise LaunchError naming every bad field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise LaunchError(f"invalid {request} arguments: " + "; ".join(problems)) from None


def parse_attach_arguments(raw: dict[str, Any]) -> AttachArguments:
    """Validate ``raw`` attach arguments (the address is checked here, the connection later)."""
    return parse_arguments(AttachArguments, raw, "attach")


async def plan_launch(raw: dict[str, Any]) -> LaunchPlan:
    """Validate the launch request and check the program, cwd and interpreter exist and fit."""
    arguments = parse_arguments(LaunchArguments, raw, "launch")
    plan = make_plan(arguments, raw)
    if isinstance(arguments.args, str):
        plan = dataclasses.replace(plan, program_args=await shell_words(arguments.args, plan.env, plan.cwd))
    if plan.python != [sys.executable]:  # our own interpreter is known to be new enough
        await check_interpreter(plan.python, plan.env, plan.cwd)
    return plan


#: How long the shell may take to expand a string of arguments.
SHELL_WORDS_TIMEOUT = 10.0


async def shell_words(text: str, env: dict[str, str], cwd: str) -> list[str]:
    """The words a POSIX shell makes of ``text`` (quotes, variables, globs, as a terminal would).

    debugpy passes a string ``args`` to the terminal's shell (and refuses it for the debug
    console); here the shell runs once, in the program's environment and directory, for every
    console, and the program gets the words as its argv.
    """
    script = f'for word in {text}\ndo printf "%s\\0" "$word"; done'
    try:
        with anyio.fail_after(SHELL_WORDS_TIMEOUT):
            result = await anyio.run_process(["/bin/sh", "-c", script], check=False, env=env, cwd=cwd)
    except TimeoutError:
        raise LaunchError(f"the shell did not expand args within {SHELL_WORDS_TIMEOUT:g} s") from None
    if result.returncode != 0:
        problem = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["it failed"]
        raise LaunchError(f"args {text!r} is not valid shell words: {problem[0]}")
    return result.stdout.decode(errors="surrogateescape").split("\0")[:-1]


async def check_interpreter(python: list[str], env: dict[str, str], cwd: str) -> None:
    """Run the interpreter once to learn its version; raise LaunchError if it's missing, broken or too old."""
    probe = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
    try:
        with anyio.fail_after(INTERPRETER_CHECK_TIMEOUT):
            result = await anyio.run_process([*python, "-c", probe], check=False, env=env, cwd=cwd)
    except FileNotFoundError:
        raise LaunchError(f"the Python interpreter {python[0]!r} was not found") from None
    except PermissionError:
        raise LaunchError(f"the Python interpreter {python[0]!r} is not executable") from None
    except TimeoutError:
        raise LaunchError(
            f"the Python interpreter {python[0]!r} did not report its version within {INTERPRETER_CHECK_TIMEOUT:g} s"
        ) from None
    output = result.stdout.decode(errors="replace").strip()
    if result.returncode != 0 or not output.replace(".", "").isdigit():
        detail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or [output]
        raise LaunchError(f"the Python interpreter {python[0]!r} failed to run: {detail[0]}")
    version = tuple(int(part) for part in output.split("."))
    if version < MIN_PYTHON:
        raise LaunchError(
            f"monadapter needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer, but {python[0]!r} is Python {output}"
        )
