"""One session's debuggee and its agent link, from launch or attach to their end.

A session serves the client; this is what it starts and ends on the client's behalf: a launched
process (or the head start's, or one a terminal runs), or a program attached to, and the agent link
that is its voice. The session owns the task groups and the client connection: the lifecycle starts
its tasks there and speaks to the client only through the session, so every task it starts ends
when the session's task group does (or, for a debuggee's watchers, the server's).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import anyio

from monadapter.adapter import peerauth, sockets
from monadapter.adapter.agentlink import AgentLink
from monadapter.adapter.debuggee import DRAIN_TIMEOUT, Debuggee
from monadapter.adapter.errors import AdapterError, LaunchError, NoDebuggeeError
from monadapter.adapter.headstart import loopback_listener
from monadapter.adapter.sockets import SocketChannel
from monadapter.agent import auth
from monadapter.agent.wire import MessageReader

if TYPE_CHECKING:  # launch.py builds pydantic models: imported for a launch that is not certain, not here
    from monadapter.adapter.headstart import HeadStart
    from monadapter.adapter.launch import AttachArguments
    from monadapter.adapter.plan import LaunchPlan
    from monadapter.adapter.session import Session

logger = logging.getLogger(__name__)

#: How long the debuggee may take to connect back and say hello.
AGENT_CONNECT_TIMEOUT = 30.0
#: How long attach keeps trying to connect to a program that is not listening yet.
ATTACH_CONNECT_TIMEOUT = 5.0
#: Launch and attach arguments that are credentials: never passed on to the agent.
TOKENS = frozenset({"accessToken", "adapterAccessToken"})
#: How long a detaching agent may take to answer the forwarded disconnect.
DETACH_TIMEOUT = 5.0


class DebuggeeLifecycle:
    """The debuggee of one session and its agent: started or attached to, greeted, configured, ended."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.debuggee: Debuggee | None = None
        self.agent: AgentLink | None = None
        self.launch_started = False
        self.configured = anyio.Event()
        self._agent_hello: dict[str, Any] | None = None
        self._agent_error: str | None = None
        self._agent_greeted = anyio.Event()
        #: launch secrets written for a terminal's agent, removed at the end if it never read them
        self._secret_files: list[str] = []
        #: a debuggee started for the launch the client sent first, before this session validated it
        #: (adapter/headstart.py): kept by ``start`` if it runs what the launch says
        self.head_start: HeadStart | None = None

    def require_agent(self) -> AgentLink:
        """The connected agent, or NoDebuggeeError."""
        if self.agent is None or self.agent.gone:
            raise NoDebuggeeError()
        return self.agent

    def require_debuggee(self) -> Debuggee:
        """The running debuggee, or NoDebuggeeError."""
        if self.debuggee is None or self.debuggee.ended.is_set():
            raise NoDebuggeeError()
        return self.debuggee

    # --- starting ----------------------------------------------------------------------------

    async def start(self, plan: LaunchPlan) -> None:
        """Start the debuggee (or keep the head start's, when it runs what ``plan`` says), wait for
        its agent's hello, send it the launch arguments.

        Raises:
            LaunchError: the process could not start, exited, or its agent failed to start.
        """
        head, self.head_start = self.head_start, None
        if head is not None and (self._use_terminal(plan) or not head.fits(plan)):
            head.discard()
            head = None
        if head is not None:
            secret, listener = head.secret, head.listener
        else:
            secret = auth.new_token()  # never on the command line, which other users can read
            listener = loopback_listener()
        with listener:
            port = sockets.local_port(listener)
            if self._use_terminal(plan):
                self.debuggee = await self._start_in_terminal(plan, port, secret)
            else:
                try:
                    process = (
                        head.process if head is not None else plan.with_env(**{auth.SECRET_ENV: secret}).spawn(port)
                    )
                except OSError as exc:
                    raise LaunchError(f"could not start the debuggee: {exc}") from None
                self.debuggee = Debuggee(process.pid, process)
                self._session.run_in_background(
                    self.debuggee.watch, self._session.send_event, plan.arguments.redirectOutput
                )
            channel, reader = await self._until_debuggee_ends(
                peerauth.accept(listener, secret), "before the debugger connected"
            )
        await self._greet_agent(channel, reader, plan.launch_arguments, plan.target_name, "launch")

    def discard_head_start(self) -> None:
        """Kill the head start's debuggee, if the session did not keep it."""
        if self.head_start is not None:
            self.head_start.discard()
            self.head_start = None

    async def attach(self, attach: AttachArguments, arguments: dict[str, Any]) -> None:
        """Attach to a running program: connect to one that listens (``connect``), or make process
        ``processId`` connect to us (adapter/pidattach.py); ``arguments`` (as the client sent them)
        go to its agent.

        Raises:
            AdapterError: nothing listens there, the token is refused, the process cannot be attached to.
        """
        if attach.processId is not None:
            from monadapter.adapter.pidattach import attach_to_process

            self.debuggee = Debuggee(attach.processId, None, attached=True)
            channel, reader = await attach_to_process(attach.processId)
            await self._greet_agent(channel, reader, arguments, f"process {attach.processId}", "attach")
            return
        host, port = attach.address
        try:
            with anyio.fail_after(ATTACH_CONNECT_TIMEOUT):
                channel = await _connect_when_listening(host, port)
        except (OSError, TimeoutError) as exc:
            raise AdapterError(
                f"could not connect to {host}:{port} ({exc or 'timed out'}); start the program with "
                f"python -m monadapter --listen {host}:{port} PROGRAM (or call monadapter.listen in it)"
            ) from None
        try:
            # no token: only a program that listens with --allow-unauthenticated lets us in (its secret is "")
            reader = await peerauth.connect_side(channel, attach.accessToken or "")
        except auth.AuthenticationError:
            await channel.aclose()
            if not attach.accessToken:
                raise AdapterError(
                    f"the program at {host}:{port} requires an access token: give it as accessToken (the one "
                    "it printed when it started listening, or was given with --access-token)"
                ) from None
            raise AdapterError(
                f"the program at {host}:{port} did not accept the access token (or is no monadapter agent)"
            ) from None
        except BaseException:  # cancelled by a disconnect (DueAnswers.settle): the program goes on listening
            await channel.aclose()
            raise
        self.debuggee = Debuggee(0, None, attached=True)
        await self._greet_agent(channel, reader, arguments, f"{host}:{port}", "attach")

    async def _greet_agent(
        self, channel: SocketChannel, reader: MessageReader, arguments: dict[str, Any], name: str, start_method: str
    ) -> None:
        """Run the agent link: wait for hello, send the client's arguments, announce the process."""
        debuggee = self.debuggee
        assert debuggee is not None
        session = self._session
        self.agent = AgentLink(channel, session.log, reader)
        session.start_soon(self.agent.run, self._on_agent_event, session.writer)
        if debuggee.process is None:
            session.start_soon(self._watch_agent_only_debuggee, debuggee, self.agent)
        await self._until_debuggee_ends(self._agent_greeted.wait(), "before the debugger started")
        if self._agent_error is not None:
            raise LaunchError(self._agent_error)
        if debuggee.process is None and self._agent_hello is not None:
            debuggee.pid = int(self._agent_hello.get("pid", 0))
        options = {key: value for key, value in arguments.items() if key not in TOKENS}  # the program needs none
        await self._until_debuggee_ends(
            self.agent.request("monadapter/configure", options), "while it was being configured"
        )
        await session.send_event(
            "process",
            {
                "name": name,
                "systemProcessId": debuggee.pid,
                "isLocalProcess": not debuggee.attached,
                "startMethod": start_method,
            },
        )

    def _use_terminal(self, plan: LaunchPlan) -> bool:
        """runInTerminal only when asked for and the client can do it; else the debug console."""
        return plan.arguments.console != "internalConsole" and bool(
            self._session.client_arguments.get("supportsRunInTerminalRequest")
        )

    async def _start_in_terminal(self, plan: LaunchPlan, port: int, secret: str) -> Debuggee:
        """Ask the client to run the debuggee in a terminal; the secret goes in a private file too,
        since some clients drop runInTerminal's ``env`` (the agent removes the file once read)."""
        kind = "integrated" if plan.arguments.console == "integratedTerminal" else "external"
        secret_file = auth.write_secret_file(secret)
        self._secret_files.append(secret_file)
        body = await self._session.reverse_request(
            "runInTerminal",
            {
                "kind": kind,
                "title": "Python Debug Console",
                "cwd": plan.cwd,
                "args": plan.command(port, secret_file),
                "env": plan.env_changes,
            },
        )
        return Debuggee(int(body.get("processId") or 0), None)

    async def _on_agent_event(self, message: dict[str, Any]) -> None:
        """Relay an agent event, except the agent-only ``monadapter/*`` ones, which we consume; one
        the link gives as its ``text`` (agentlink.event_text) goes out as the agent wrote it."""
        text = message.get("text")
        if text is not None:
            if not self._session.closed:
                await self._session.writer.forward(text)
            return
        event = str(message.get("event"))
        body = message.get("body")
        if event == "monadapter/hello":
            self._agent_hello = body if isinstance(body, dict) else {}
            self._agent_greeted.set()
        elif event == "monadapter/error":
            self._agent_error = str((body or {}).get("message") or "the debugger failed to start")
            self._agent_greeted.set()
        elif not event.startswith("monadapter/"):
            await self._session.send_event(event, body if isinstance(body, dict) else None)

    # --- waiting and ending ------------------------------------------------------------------

    async def abandon(self) -> None:
        """After a failed launch: end what was started, and let the client launch again."""
        self.discard_head_start()
        with anyio.CancelScope(shield=True):
            if self.debuggee is not None and not self.debuggee.detached:  # a disconnect may have detached it
                await self.debuggee.terminate()
            if self.agent is not None:
                await self.agent.aclose()
        self.agent = None
        self._agent_hello = self._agent_error = None
        self._agent_greeted = anyio.Event()
        self.launch_started = False

    async def wait_configured(self) -> None:
        """Wait for the configurationDone answer; LaunchError if the debuggee ends first."""
        await self._until_debuggee_ends(self.configured.wait(), "before configurationDone", timeout=None)

    async def end(self, *, terminate: bool, disconnect_arguments: dict[str, Any]) -> None:
        """Terminate the debuggee, or detach from it (the agent lets the program run on)."""
        debuggee = self.debuggee
        if debuggee is None or debuggee.ended.is_set():
            return
        if terminate and not debuggee.attached:
            await debuggee.terminate()
            with anyio.move_on_after(DRAIN_TIMEOUT + 1):  # let exited/terminated go out first
                await debuggee.ended.wait()
            return
        debuggee.detached = True
        if self.agent is not None:
            with anyio.move_on_after(DETACH_TIMEOUT):
                try:
                    await self.agent.request("disconnect", disconnect_arguments)
                except AdapterError as exc:
                    logger.info("agent refused to detach: %s", exc)
            await self.agent.aclose()

    async def shut_down(self) -> None:
        """The session ends: end the debuggee (unless detached; an attached one runs on), close the
        agent link, remove the secret files no agent read."""
        self.discard_head_start()
        if self.debuggee is not None and not self.debuggee.detached:
            if self.debuggee.attached:  # not ours to end: let it run on
                await self.end(terminate=False, disconnect_arguments={})
            else:
                await self.debuggee.terminate()
        if self.agent is not None:
            await self.agent.aclose()
        for secret_file in self._secret_files:
            auth.remove_secret_file(secret_file)

    async def _watch_agent_only_debuggee(self, debuggee: Debuggee, agent: AgentLink) -> None:
        """Without a process handle, the agent hanging up is the debuggee's end (exit code unknown)."""
        await agent.closed.wait()
        if not debuggee.detached:
            await self._session.send_event("terminated", {})
        debuggee.ended.set()

    async def _until_debuggee_ends(
        self, awaitable: Awaitable[Any], when: str, *, timeout: float | None = AGENT_CONNECT_TIMEOUT
    ) -> Any:
        """Await ``awaitable``; raise LaunchError if the debuggee ends (or ``timeout`` passes) first."""
        debuggee = self.debuggee
        assert debuggee is not None
        result: list[Any] = []

        async def wait_for_it() -> None:
            result.append(await awaitable)
            scope.cancel()

        async def wait_for_end() -> None:
            await debuggee.ended.wait()
            scope.cancel()

        with anyio.move_on_after(timeout) as scope:
            async with anyio.create_task_group() as waiters:
                waiters.start_soon(wait_for_it)
                waiters.start_soon(wait_for_end)
        if result:
            return result[0]
        if debuggee.ended.is_set():
            code = f" with code {debuggee.exit_code}" if debuggee.exit_code is not None else ""
            raise LaunchError(f"the debuggee exited{code} {when} (see its output)")
        raise LaunchError(f"the debuggee did not respond within {AGENT_CONNECT_TIMEOUT:g} s {when}")


async def _connect_when_listening(host: str, port: int) -> SocketChannel:
    """Connect, retrying while the program is still starting (connection refused)."""
    while True:
        try:
            return await sockets.connect(host, port)
        except ConnectionRefusedError:
            await anyio.sleep(0.1)
