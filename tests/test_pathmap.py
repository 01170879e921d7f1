"""pathMappings (agent/pathmap.py): the longest root wins, matches stop at path components, and each
side is compared the way its own OS would (a Windows-looking client root: any case, either separator)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monadapter.agent.pathmap import PathMapper

pytestmark = pytest.mark.unit


def test_the_longest_local_root_wins_and_a_match_stops_at_a_component() -> None:
    mapper = PathMapper(
        [
            {"localRoot": "/home/me/proj", "remoteRoot": "/app"},
            {"localRoot": "/home/me/proj/vendor", "remoteRoot": "/opt/vendor"},
        ]
    )
    assert mapper.to_program("/home/me/proj/src/main.py") == "/app/src/main.py"
    assert mapper.to_program("/home/me/proj/vendor/lib.py") == "/opt/vendor/lib.py"
    assert mapper.to_program("/home/me/project2/main.py") is None  # "proj" is not a prefix of "project2"
    assert mapper.to_program("/home/me/proj") == "/app"
    assert mapper.to_client("/opt/vendor/lib.py") == "/home/me/proj/vendor/lib.py"
    assert mapper.to_client("/app/src/main.py") == "/home/me/proj/src/main.py"
    assert mapper.to_client("/application/x.py") is None


@pytest.mark.skipif(os.name == "nt", reason="the program side here is POSIX")
def test_a_windows_client_root_matches_any_case_and_separator_and_gets_backslashes_back() -> None:
    mapper = PathMapper([{"localRoot": "C:\\Users\\Me\\Proj\\", "remoteRoot": "/app"}])
    assert mapper.to_program("c:/users/me/proj/pkg/mod.py") == "/app/pkg/mod.py"
    assert mapper.to_program("C:\\Users\\Me\\Proj\\pkg\\mod.py") == "/app/pkg/mod.py"
    assert mapper.to_client("/app/pkg/mod.py") == "C:\\Users\\Me\\Proj\\pkg\\mod.py"
    assert mapper.to_client("/App/pkg/mod.py") is None  # the program's side is POSIX: case matters


def test_a_posix_client_root_is_case_sensitive_and_a_relative_remote_root_is_the_cwd() -> None:
    mapper = PathMapper([{"localRoot": "/Users/me/proj", "remoteRoot": "."}])
    assert mapper.to_program("/users/me/proj/a.py") is None
    assert mapper.to_program("/Users/me/proj/a.py") == os.path.join(os.getcwd(), "a.py")


def test_malformed_mappings_are_ignored_and_none_maps_nothing() -> None:
    mapper = PathMapper([{"localRoot": "", "remoteRoot": "/app"}, {"localRoot": 3}, "x", {"remoteRoot": "/a"}])
    assert not mapper and mapper.to_program("/x.py") is None and mapper.to_client("/x.py") is None
    assert not PathMapper(None) and not PathMapper({"localRoot": "/a", "remoteRoot": "/b"})


def test_path_key_is_the_real_path_through_linked_directories_and_files(tmp_path: Path) -> None:
    """path_key takes a plain file's directory real path (remembered) and its name (benchmarks S9):
    the same key as realpath wherever a symlink, ``..``, a missing file or a relative name is met."""
    from monadapter.agent.codes import path_key

    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "sub" / "f.py").write_text("")
    os.symlink(tmp_path / "real", tmp_path / "link")
    os.symlink(tmp_path / "real" / "sub" / "f.py", tmp_path / "real" / "g.py")
    for path in ("link/sub/f.py", "real/g.py", "link/sub/../sub/f.py", "link/missing.py", "link/sub/", "link/sub/.."):
        full = str(tmp_path / path)
        assert path_key(full) == os.path.normcase(os.path.realpath(full)), path
    assert path_key("relative.py") == os.path.normcase(os.path.realpath("relative.py"))


def test_our_files_and_library_files_are_known_through_links(tmp_path: Path) -> None:
    """is_own_file and is_library_file compare path_key (one lstat per file, not realpath's one per
    directory: benchmarks S9's stop announces ~270 modules): a link into the package is ours, a link
    to a program file is not, a link into the standard library is library code."""
    import json

    import monadapter
    from monadapter.agent.codes import is_library_file, is_own_file

    package = os.path.dirname(monadapter.__file__)
    os.symlink(package, tmp_path / "pkg")
    os.symlink(os.path.dirname(json.__file__), tmp_path / "lib")
    (tmp_path / "prog.py").write_text("")
    os.symlink(tmp_path / "prog.py", tmp_path / "linked_prog.py")
    assert is_own_file(str(tmp_path / "pkg" / "agent" / "codes.py"))
    assert is_own_file(os.path.join(package, "agent", "..", "agent", "codes.py"))
    assert not is_own_file(str(tmp_path / "linked_prog.py")) and not is_own_file(str(tmp_path / "prog.py"))
    assert is_library_file(str(tmp_path / "lib" / "decoder.py")) and is_library_file(json.__file__)
    assert not is_library_file(str(tmp_path / "linked_prog.py"))
