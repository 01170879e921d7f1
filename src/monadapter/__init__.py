"""monadapter: a Debug Adapter Protocol server for Python 3.12+ built on sys.monitoring.

Importing this package must stay cheap and standard-library only: the debuggee imports
``monadapter.agent`` through it, and the agent may not pull in pydantic or anyio. The in-program
API (``listen``, ``wait_for_client``, ``is_client_connected``, ``breakpoint``; agent/api.py) is
loaded on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)

__version__ = "0.1.0"
__all__ = ["AttachError", "breakpoint", "is_client_connected", "listen", "wait_for_client"]

if TYPE_CHECKING:
    from typing import Any

    from monadapter.agent.api import AttachError, breakpoint, is_client_connected, listen, wait_for_client


def __getattr__(name: str) -> Any:
    """The API's names, imported when first asked for (``PYTHONBREAKPOINT=monadapter.breakpoint`` too),
    then kept here: the agent takes its modules out of ``sys.modules`` once it runs (agent/__init__.py),
    and a program that uses the API does not see them come back with every call."""
    if name in __all__:
        from monadapter.agent import api

        globals().update((public, getattr(api, public)) for public in __all__)
        return getattr(api, name)
    raise AttributeError(f"module 'monadapter' has no attribute {name!r}")
