"""monadapter: a Debug Adapter Protocol server for Python 3.12+ built on sys.monitoring.

Importing this package must stay cheap and standard-library only: the debuggee imports
``monadapter.agent`` through it, and the agent may not pull in pydantic or anyio.
"""

__version__ = "0.1.0"
