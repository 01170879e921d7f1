"""monadapter's bootstrap for the child processes of a debuggee: makes a Python 3.12+ child a debug session.

The launcher puts this directory on the ``PYTHONPATH`` a debuggee's children inherit when the launch
asked for ``subProcess``, so every Python child imports this module at start-up. It first runs the
``sitecustomize`` it shadows, if there is one, as python would have. Then, only in Python 3.12+ and
only with the adapter's notify address in the environment, it hands over to
``monadapter.agent.children``, which returns once the child's session is configured (or nobody
came, or the adapter is gone). Anywhere else it does nothing. It is written to be imported by any
Python 3 a debuggee may start, so it uses no newer syntax.
"""

import os
import sys

#: Same as monadapter.agent.children.NOTIFY_ENV (this file may not import it before the version check).
_NOTIFY_ENV = "MONADAPTER_CHILD_NOTIFY"
_HERE = os.path.dirname(os.path.abspath(__file__))


def _hide_this_directory():
    """The program must not see our directory on sys.path (its children still get it from PYTHONPATH)."""
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _HERE]


def _run_shadowed_sitecustomize():
    """Import the sitecustomize this module hides, if any; its errors are reported as site.py would."""
    ours = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # noqa: F401  (the next one on sys.path: ours is off it now)
    except ImportError as exc:
        if getattr(exc, "name", None) != "sitecustomize":
            _report_error()
        sys.modules["sitecustomize"] = ours
    except Exception:
        _report_error()
        sys.modules["sitecustomize"] = ours


def _report_error():
    import traceback

    sys.stderr.write("Error in sitecustomize; the traceback follows:\n")
    traceback.print_exc()


def _follow():
    """Start this child's debug session (Python 3.12+ with the notify address only)."""
    if sys.version_info < (3, 12) or not os.environ.get(_NOTIFY_ENV):
        return
    root = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))  # the directory holding monadapter
    sys.path.insert(0, root)
    try:
        from monadapter.agent import hide
        from monadapter.agent.children import follow_this_process
    except Exception as exc:
        sys.stderr.write("monadapter: this child process is not debugged (%s: %s)\n" % (type(exc).__name__, exc))  # noqa: UP031 (no f-strings: see the docstring)
        return
    finally:
        if sys.path and sys.path[0] == root:
            del sys.path[0]
    try:
        follow_this_process()
    except Exception as exc:
        sys.stderr.write("monadapter: this child process runs on undebugged (%s: %s)\n" % (type(exc).__name__, exc))  # noqa: UP031 (no f-strings: see the docstring)
    finally:
        hide()  # the program sees none of our modules in sys.modules


_hide_this_directory()
_run_shadowed_sitecustomize()
_follow()
