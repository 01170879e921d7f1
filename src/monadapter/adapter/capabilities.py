"""The ``initialize`` response: what this adapter and its agent really implement, one comment per flag."""

from __future__ import annotations

from typing import Any

#: The conditionDescription of every exception filter (the agent parses it: agent/exceptions.py CONDITION_HELP).
_CONDITION_HELP = (
    "Exception types, comma-separated: 'ValueError, KeyError' stops only for those (subclasses included); "
    "'not KeyError' or '!KeyError' stops for all but those. A bare name matches the class in any module; "
    "a dotted one the class in that module or its submodules (json.JSONDecodeError)."
)

#: What the agent inside the debuggee implements (requests the adapter relays to it). The one
#: place to extend when the engine grows a feature: add the flag here with a comment saying
#: which agent module implements it.
AGENT_CAPABILITIES: dict[str, Any] = {
    # breakpoint conditions, hit counts (N, == N, >= N, > N, < N, <= N, % N) and logpoints with {expression}
    # (agent/breakpoints.py, evaluated on the hitting thread by agent/engine.py).
    "supportsConditionalBreakpoints": True,
    "supportsHitConditionalBreakpoints": True,
    "supportsLogPoints": True,
    # setFunctionBreakpoints: stop on entry to functions by (qualified, optionally module-prefixed) name
    # (agent/breakpoints.py FunctionBreakpoint, armed by agent/engine.py).
    "supportsFunctionBreakpoints": True,
    # breakpointLocations: the lines of a range where code starts (agent/engine.py, agent/sources.py SourceMap).
    "supportsBreakpointLocationsRequest": True,
    # continue/next/stepIn/stepOut with singleThread resume only that thread (agent/engine.py).
    "supportsSingleThreadExecutionRequests": True,
    # gotoTargets/goto: jump within the top frame of a thread paused at a line, run by that thread in its own
    # LINE callback; loop bodies, other functions and deeper blocks refused up front (agent/goto.py).
    "supportsGotoTargetsRequest": True,
    # stepInTargets: the calls the paused line is still to make; stepIn with targetId enters that one
    # (agent/step_targets.py, the engine's CALL event in agent/engine.py).
    "supportsStepInTargetsRequest": True,
    # exception filters "raised", "uncaught" and "userUnhandled", and exceptionInfo for an exception stop
    # (agent/exceptions.py). The agent accepts exactly these filter names (agent/exceptions.py FILTER_NAMES);
    # each takes a condition naming exception types (agent/exceptions.py TypeSelector, CONDITION_HELP).
    "exceptionBreakpointFilters": [
        {
            "filter": "raised",
            "label": "Raised Exceptions",
            "default": False,
            "description": "Stop wherever user code raises an exception, caught or not.",
            "supportsCondition": True,
            "conditionDescription": _CONDITION_HELP,
        },
        {
            "filter": "uncaught",
            "label": "Uncaught Exceptions",
            "default": True,
            "description": "Stop when an exception is about to end a thread or the program.",
            "supportsCondition": True,
            "conditionDescription": _CONDITION_HELP,
        },
        {
            "filter": "userUnhandled",
            "label": "User Uncaught Exceptions",
            "default": False,
            "description": "Stop when an exception escapes from user code into library code.",
            "supportsCondition": True,
            "conditionDescription": _CONDITION_HELP,
        },
    ],
    # setExceptionBreakpoints' filterOptions carry those conditions (agent/exceptions.py ExceptionFilters).
    "supportsExceptionFilterOptions": True,
    # exceptionOptions: a break mode per exception type path, the most specific rule deciding
    # (agent/exceptions.py ExceptionRule).
    "supportsExceptionOptions": True,
    "supportsExceptionInfoRequest": True,
    # dataBreakpointInfo/setDataBreakpoints: "break when this value changes" for a local, a global or an
    # attribute, accessType write only (agent/data_targets.py, agent/data_watches.py; probes on the aux id).
    "supportsDataBreakpoints": True,
    # completions: names, attributes and dict keys found by static lookups (agent/completions.py);
    # typing "." asks for attributes and "[" for dict keys.
    "supportsCompletionsRequest": True,
    "completionTriggerCharacters": [".", "["],
    # modules, and module events for modules imported while debugging (agent/modules.py).
    "supportsModulesRequest": True,
    # loadedSources, and loadedSource events for files and exec'd text loaded while debugging (agent/modules.py).
    "supportsLoadedSourcesRequest": True,
    # stackTrace paging with startFrame/levels and totalFrames; evaluate for hovers by static lookups only
    # (no program code runs); setVariable and setExpression that really change the paused frame;
    # evaluate's clipboard context (the whole repr); format.hex (agent/frames.py Inspector,
    # agent/expander.py, agent/set_variable.py, agent/evaluate.py).
    "supportsDelayedStackTraceLoading": True,
    "supportsEvaluateForHovers": True,
    "supportsSetVariable": True,
    "supportsSetExpression": True,
    "supportsClipboardContext": True,
    "supportsValueFormattingOptions": True,
}


def capabilities() -> dict[str, Any]:
    """The body of the ``initialize`` response."""
    return {
        # configurationDone is relayed to the agent, which starts the program when it gets it.
        "supportsConfigurationDoneRequest": True,
        # terminate: SIGTERM to the debuggee's process group, SIGKILL after a grace period
        # (adapter/debuggee.py Debuggee.terminate).
        "supportsTerminateRequest": True,
        # disconnect honours terminateDebuggee: false detaches the agent and lets the program run on.
        # supportTerminateDebuggee is the spec's key; supportsTerminateDebuggee is what debugpy sends
        # and some clients read: both, so either kind of client knows.
        "supportTerminateDebuggee": True,
        "supportsTerminateDebuggee": True,
        # cancel of a request relayed to the agent and still running on a paused thread (an endless
        # evaluate): the adapter finds the agent's seq of it (adapter/handlers.py cancel), the agent
        # interrupts it (agent/paused_jobs.py PausedJobs.cancel, agent/interrupt.py).
        "supportsCancelRequest": True,
        **AGENT_CAPABILITIES,
    }
