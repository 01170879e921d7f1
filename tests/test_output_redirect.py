"""The attached program's output copy (agent/output.py) taken away while the program prints.

Runs in a child interpreter: on 3.12 and 3.13 ``print()`` keeps only a borrowed reference to
``sys.stdout``, so a wrapper freed in the middle of a ``print`` made that ``print`` write to freed
memory (endless recursion in the wrapper's ``__getattr__``, seen in CI when a client detached while the
program printed). Here the detach happens inside the wrapper's own ``write``, deterministically.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent(
    """
    import sys
    from monadapter.agent.output import OutputRedirect

    sent = []

    def send_event(event, body):
        sent.append(body["output"])
        redirect.stop()  # the client detaches while print() is between its two writes

    redirect = OutputRedirect(send_event)
    redirect.start()
    print("first")
    print("second")
    sys.stderr.write(f"sent {sent!r}\\n")
    """
)


def test_a_print_that_the_detach_interrupts_finishes_on_the_original_stream() -> None:
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "first\nsecond\n", "sent ['first']\n")
