"""S9 workload: import about a hundred standard library modules, then reach the marked line.

The runner measures launch to the first stop at the marked line, against the plain run's whole
process time (start, imports, exit).
"""

import importlib
import time

from benchresult import report

MODULES = (
    "argparse array ast asyncio base64 bdb binascii bisect bz2 calendar collections "
    "concurrent.futures configparser contextlib contextvars copy cProfile csv ctypes dataclasses "
    "datetime decimal difflib dis doctest email email.mime.text enum fnmatch fractions functools "
    "getopt gettext glob gzip hashlib heapq hmac html html.parser http.client http.server "
    "importlib.metadata inspect ipaddress json locale logging logging.handlers lzma mimetypes "
    "multiprocessing numbers optparse pathlib pickle pkgutil platform plistlib pprint pstats "
    "queue random re secrets selectors shelve shlex shutil socket sqlite3 ssl statistics string "
    "struct subprocess sysconfig tarfile tempfile textwrap threading timeit tokenize tomllib "
    "trace traceback typing unittest unittest.mock urllib.parse urllib.request uuid weakref "
    "wsgiref.simple_server xml.dom.minidom xml.etree.ElementTree xml.sax xmlrpc.client zipfile "
    "zipimport zoneinfo"
).split()

if __name__ == "__main__":
    t0 = time.perf_counter()
    for name in MODULES:
        importlib.import_module(name)
    imported = len(MODULES)  # bench: after-imports
    report(compute=time.perf_counter() - t0, modules=imported)
