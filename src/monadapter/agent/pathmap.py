"""``pathMappings``: the client's paths (``localRoot``) and the program's (``remoteRoot``) for the same files.

Standard library only. debugpy's form: a list of ``{"localRoot": ..., "remoteRoot": ...}``; the
longest matching root wins. A path matches a root at a path component boundary. The client's side
is compared the way its own OS would: a root that looks like a Windows path (a drive letter or a
backslash) matches case-insensitively with either separator, and the rest of the path is joined with
backslashes; a POSIX root matches exactly with ``/``. The program's side follows the OS the agent
runs on (``os.path.normcase``, ``os.sep``); a relative ``remoteRoot`` is taken from the program's
working directory, as debugpy does.
"""

from __future__ import annotations

import os
import re

from .records import Value

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

_WINDOWS_ROOT = re.compile(r"^[A-Za-z]:|\\")


class _Mapping(Value):
    __slots__ = ("local", "remote", "local_windows")

    def __init__(self, local: str, remote: str, local_windows: bool) -> None:
        self.local = local
        self.remote = remote
        self.local_windows = local_windows


def _looks_windows(path: str) -> bool:
    return _WINDOWS_ROOT.search(path) is not None


def _components_after(path: str, root: str, *, windows: bool) -> list[str] | None:
    """The components of ``path`` below ``root``; None when ``path`` is not ``root`` or under it."""
    if windows:
        path, root = path.replace("\\", "/"), root.replace("\\", "/")
        compared_path, compared_root = path.lower(), root.lower()
    else:
        compared_path, compared_root = path, root
    compared_root = compared_root.rstrip("/")
    if compared_path == compared_root:
        return []
    if not compared_path.startswith(compared_root + "/"):
        return None
    return [part for part in path[len(compared_root) + 1 :].split("/") if part]


class PathMapper:
    """Translates between client paths and program paths; with no mappings both ways are the identity."""

    def __init__(self, mappings: Any = None) -> None:
        entries: list[_Mapping] = []
        for entry in mappings if isinstance(mappings, list) else []:
            if not isinstance(entry, dict):
                continue
            local, remote = entry.get("localRoot"), entry.get("remoteRoot")
            if isinstance(local, str) and isinstance(remote, str) and local and remote:
                entries.append(_Mapping(local, os.path.abspath(remote), _looks_windows(local)))
        self._by_local = sorted(entries, key=lambda mapping: len(mapping.local), reverse=True)
        self._by_remote = sorted(entries, key=lambda mapping: len(mapping.remote), reverse=True)

    def __bool__(self) -> bool:
        return bool(self._by_local)

    def to_program(self, client_path: str) -> str | None:
        """The program's path for a client path; None when no ``localRoot`` holds it."""
        for mapping in self._by_local:
            parts = _components_after(client_path, mapping.local, windows=mapping.local_windows)
            if parts is not None:
                return os.path.join(mapping.remote, *parts)
        return None

    def to_client(self, program_path: str) -> str | None:
        """The client's path for a program path; None when no ``remoteRoot`` holds it."""
        windows_program = os.name == "nt"
        for mapping in self._by_remote:
            parts = _components_after(program_path, mapping.remote, windows=windows_program)
            if parts is not None:
                separator = "\\" if mapping.local_windows else "/"
                return separator.join([mapping.local.rstrip("\\/"), *parts])
        return None

    def local_roots(self) -> list[str]:
        """The client roots, for messages."""
        return [mapping.local for mapping in self._by_local]
