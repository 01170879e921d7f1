"""A real debugging session end to end, driven by monadapter's headless client.

Starts ``python -m monadapter`` over stdio, launches ``inventory.py``, stops at a breakpoint,
prints the stack and the local variables, evaluates an expression, changes a variable, and runs
the program to its end. Run it with ``bash scripts/demo`` (which sets up a virtual environment).
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from monadapter.client import DapClient, adapter_command

PROGRAM = Path(__file__).with_name("inventory.py")
BREAKPOINT_LINE = 11  # ordered.append(name)


async def main() -> None:
    async with DapClient.spawn(adapter_command()) as client:
        capabilities = await client.initialize(clientID="monadapter-demo")
        print(f"adapter capabilities: {sorted(k for k, v in capabilities.items() if v is True)}")
        stopped = await client.launch_and_stop({PROGRAM: [BREAKPOINT_LINE]}, program=str(PROGRAM), args=["5"])
        thread_id = stopped["body"]["threadId"]
        print(f"\nstopped: reason={stopped['body']['reason']} thread={thread_id}")
        frames = await client.stack_trace(thread_id)
        for frame in frames:
            print(f"  at {frame['name']} ({Path(frame['source']['path']).name}:{frame['line']})")
        scopes = await client.scopes(frames[0]["id"])
        print("locals of", frames[0]["name"] + ":")
        for variable in await client.variables(scopes[0]["variablesReference"]):
            print(f"  {variable['name']} = {variable['value']}")
        result = await client.evaluate("stock[name] + 1", frame_id=frames[0]["id"], context="repl")
        print(f"evaluate 'stock[name] + 1' -> {result['result']}")
        await client.evaluate("minimum = 7", frame_id=frames[0]["id"], context="repl")
        print("set minimum = 7 in the paused frame; clearing the breakpoint and continuing")
        await client.set_breakpoints(PROGRAM, [])
        await client.continue_(thread_id)
        exited = await client.wait_for_event("exited")
        await client.wait_for_event("terminated")
        print("\nprogram output:")
        print("  " + client.output("stdout").rstrip().replace("\n", "\n  "))
        print(f"exit code: {exited['body']['exitCode']}")


if __name__ == "__main__":
    anyio.run(main)
    sys.exit(0)
