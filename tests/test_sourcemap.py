"""SourceMap: the statement heads that span several lines, found in every kind of nested body, and
found for one line by parsing only the def or class that holds it."""

from __future__ import annotations

import ast
import importlib.util
import marshal
import os
import py_compile
import textwrap
from pathlib import Path

import pytest

from monadapter.agent.sourcemap import SourceMap, statement_heads

pytestmark = pytest.mark.unit

SOURCE = textwrap.dedent(
    """\
    x = f(
        1)
    def g(a,
          b):
        if (a and
                b):
            return (a,
                    b)
        else:
            y = [
                1]
        try:
            z = (1,
                 2)
        except (ValueError,
                KeyError):
            w = {
                1: 2}
        finally:
            v = (3,
                 4)
        match a:
            case [1,
                  2]:
                u = (5,
                     6)
    class C(
            object):
        with open(
                "f") as f:
            t = (7,
                 8)
    """
)


def test_statement_heads_in_every_kind_of_body() -> None:
    heads = statement_heads(ast.parse(SOURCE).body)
    # except handlers and match cases are no statements (no entry of their own), their bodies are
    assert heads == {1: 2, 3: 4, 5: 6, 7: 8, 10: 11, 13: 14, 17: 18, 20: 21, 22: 26, 25: 26, 27: 28, 29: 30, 31: 32}


def test_the_same_text_is_mapped_once() -> None:
    first = SourceMap.from_text(SOURCE, "/tmp/sample.py")
    assert SourceMap.from_text("".join(SOURCE), "/tmp/sample.py") is first
    assert 1 in first.lines and 4 not in first.lines


# Pieces a def or class cannot always be cut out at (the whole text is parsed then): decorators,
# a parameter list closed at the def's indentation, a string and a continued line reaching column 0,
# tabs, one-line bodies, generics, module code around them, and a class whose annotations 3.14
# compiles into an ``__annotate__`` of its own.
TRICKY = textwrap.dedent(
    """\
    import functools
    x = [
    1]
    @functools.cache
    @functools.wraps(
        print)
    def decorated(a,
                  b):
        return (a,
                b)
    class Outer:
        size: int = (
            3)
        @staticmethod
        def method(
            first,
            second,
        ) -> int:
            async def inner():
                await (
                    first)
            text = \"\"\"
    column zero
    \"\"\"
            return (first +
                    second)
        def continued(self):
            total = 1 + \\
    2
            return total
    def one_line(): return (
        1)
    def generic[T](item: T) -> T:
        if (item and
                item):
            return item
        return item
    y = (decorated,
         Outer)
    """
)
TABS = "class Tabbed:\n\tdef method(self,\n\t\t\tother):\n\t\treturn (self,\n\t\t\tother)\n"


@pytest.mark.parametrize(
    "text", [SOURCE, TRICKY, TABS, TRICKY.replace("\n", "\r\n")], ids=["bodies", "tricky", "tabs", "crlf"]
)
def test_a_lines_head_end_is_the_whole_texts_statement_head(text: str) -> None:
    whole = statement_heads(ast.parse(text).body)
    for line in range(len(text.splitlines()) + 2):
        # a map of its own for each line: a map answers from what it parsed for an earlier line
        assert SourceMap.from_text(text, f"/tmp/heads{line}.py").heads.end(line) == whole.get(line), line


def test_a_line_inside_a_def_parses_only_that_def() -> None:
    text = "x = (\n    1)\n" * 1000 + "def small(a,\n          b):\n    return (a,\n            b)\n"
    source_map = SourceMap.from_text(text, "/tmp/long.py")
    assert (source_map.heads.end(2001), source_map.heads.end(2003), source_map.heads.end(2004)) == (2002, 2004, None)
    assert [(first, last) for first, last, _heads in source_map.heads._parsed] == [(2001, 2004)]
    assert source_map.heads.end(1) == 2  # module code: the whole text
    assert source_map.heads._parsed[-1][:2] == (1, float("inf"))


def _cache_other_code(path: Path, text: str, mode: py_compile.PycInvalidationMode) -> None:
    """Write ``text`` to ``path`` and a bytecode cache for it (``mode``) that holds other code: that
    of ``z = 3`` on line 3, as an edit within the same second and of the same size would leave it.
    A map whose lines are {3} read the cache."""
    path.write_text(text)
    cached = Path(importlib.util.cache_from_source(str(path)))
    py_compile.compile(str(path), cfile=str(cached), invalidation_mode=mode)
    cached.write_bytes(cached.read_bytes()[:16] + marshal.dumps(compile("\n\nz = 3\n", str(path), "exec")))


def test_a_files_up_to_date_bytecode_cache_stands_in_for_compiling_it(tmp_path: Path) -> None:
    path = tmp_path / "cached.py"
    _cache_other_code(path, "x = 1\ny = 2\n", py_compile.PycInvalidationMode.TIMESTAMP)
    text = path.read_text()
    assert SourceMap.from_text(text, str(path), on_disk=True).lines == {3}  # what import would run
    assert SourceMap.from_text(text, str(path)).lines == {1, 2}  # text not read from the file: never the cache
    path.write_text("x = 1\n\ny = 2\n")  # changed since: compiled
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))  # (even within the same second)
    assert SourceMap.from_text(path.read_text(), str(path), on_disk=True).lines == {1, 3}


def test_a_hash_based_bytecode_cache_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "hashed.py"
    _cache_other_code(path, "x = 1\n", py_compile.PycInvalidationMode.UNCHECKED_HASH)
    assert SourceMap.from_text(path.read_text(), str(path), on_disk=True).lines == {1}


def test_after_many_pieces_the_whole_text_is_parsed() -> None:
    text = "".join(f"def f{index}(a,\n       b):\n    pass\n" for index in range(40))
    heads = SourceMap.from_text(text, "/tmp/many.py").heads
    assert [heads.end(3 * index + 1) for index in range(40)] == [3 * index + 2 for index in range(40)]
    assert [last for _first, last, _heads in heads._parsed][31:] == [32 * 3, float("inf")]
