"""pathMappings (agent/pathmap.py): the longest root wins, matches stop at path components, and each
side is compared the way its own OS would (a Windows-looking client root: any case, either separator)."""

from __future__ import annotations

import os

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
