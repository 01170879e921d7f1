"""A forked child (multiprocessing's fork) leaves the parent's debug session behind and never hangs.

The child inherits our monitoring callbacks, armed breakpoints and the parent's socket, but not
the agent's I/O thread: without the fork hook (agent/children.py) it sent ``stopped`` down the
parent's connection and parked for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from monadapter.client import DapClient

POOL = """
import multiprocessing as mp, os, sys

def work(x):
    y = x * 2  # worker line
    return y

if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(2) as pool:
        print(pool.map(work, range(4)))
    pid = os.fork()
    if pid == 0:
        work(5)  # a plain fork runs the worker line too
        os._exit(7)
    print("fork child exit code", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    done = True  # parent line
    sys.exit(3)
"""


async def test_forked_children_run_undebugged_without_subprocess(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program(POOL)
    await client.configuration_sequence({program: [4, 17]}, program=str(program), subProcess=False)
    stopped = await client.wait_for_event("stopped", timeout=30)
    # the parent's own stop, after every child ran: no child ever spoke on the parent's connection
    frames = await client.stack_trace(stopped["body"]["threadId"])
    assert (frames[0]["name"], frames[0]["line"]) == ("<module>", 17)
    # what the program printed comes through its stdout pipe, the stop over the agent's connection:
    # either may reach the client first
    await client.wait_for_output("[0, 2, 4, 6]\nfork child exit code 7\n", category="stdout", timeout=30)
    await client.continue_(stopped["body"]["threadId"])
    exited = await client.wait_for_event("exited", timeout=30)
    assert exited["body"]["exitCode"] == 3
    assert [event for event in client.events if event["event"] == "stopped"] == [stopped]
    assert client.reverse_requests == []


STEP_INTO_FORK = """
import os, sys
pid = os.fork()  # fork line
if pid == 0:
    print("child runs", flush=True)
    os._exit(7)
print("fork child exit code", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


async def test_a_step_into_fork_does_not_hold_the_child(client: DapClient, make_program: Callable[..., Path]) -> None:
    """A step-in turns on LINE everywhere; the child's first lines (threading's own fork hooks, in
    the child, before ours dropped the session there) must not stop where nobody can resume them."""
    program = make_program(STEP_INTO_FORK)
    await client.configuration_sequence({program: [2]}, program=str(program), justMyCode=False, subProcess=False)
    stopped = await client.wait_for_event("stopped", timeout=30)
    await client.step_in(stopped["body"]["threadId"])
    stepped = await client.wait_for_event("stopped", timeout=30)  # in the parent: where is not the point
    await client.continue_(stepped["body"]["threadId"])
    exited = await client.wait_for_event("exited", timeout=30)
    assert exited["body"]["exitCode"] == 0
    assert client.output("stdout") == "child runs\nfork child exit code 7\n"
