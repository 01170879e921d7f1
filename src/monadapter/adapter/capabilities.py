"""The ``initialize`` response: what this adapter and its agent really implement, one comment per flag."""

from __future__ import annotations

from typing import Any

#: What the agent inside the debuggee implements (requests the adapter relays to it). The one
#: place to extend when the engine grows a feature: add the flag here with a comment saying
#: which agent module implements it.
AGENT_CAPABILITIES: dict[str, Any] = {
    # completions: names, attributes and dict keys found by static lookups (agent/completions.py).
    "supportsCompletionsRequest": True,
    # modules, and module events for modules imported while debugging (agent/modules.py).
    "supportsModulesRequest": True,
    # loadedSources, and loadedSource events for files and exec'd text loaded while debugging (agent/modules.py).
    "supportsLoadedSourcesRequest": True,
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
        "supportsTerminateDebuggee": True,
        **AGENT_CAPABILITIES,
    }
