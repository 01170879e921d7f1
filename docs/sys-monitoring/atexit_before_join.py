"""A non-daemon thread held in a callback keeps the interpreter from exiting (it joins non-daemon
threads before atexit handlers run); threading._register_atexit runs before that join, so a debugger
releases (or waits for) its paused threads there. Shown in a child process, with a timeout."""

import subprocess
import sys

CHILD = """
import threading
release = threading.Event()
threading.Thread(target=release.wait).start()  # non-daemon: python waits for it at exit
threading._register_atexit(release.set)
"""
done = subprocess.run([sys.executable, "-c", CHILD], timeout=20)
assert done.returncode == 0, done
print("ok")
