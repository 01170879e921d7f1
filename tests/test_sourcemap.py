"""SourceMap: the statement heads that span several lines, found in every kind of nested body."""

from __future__ import annotations

import ast
import textwrap

import pytest

from monadapter.agent.sources import SourceMap, statement_heads

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
    heads = statement_heads(ast.parse(SOURCE))
    # except handlers and match cases are no statements (no entry of their own), their bodies are
    assert heads == {1: 2, 3: 4, 5: 6, 7: 8, 10: 11, 13: 14, 17: 18, 20: 21, 22: 26, 25: 26, 27: 28, 29: 30, 31: 32}


def test_the_same_text_is_mapped_once() -> None:
    first = SourceMap.from_text(SOURCE, "/tmp/sample.py")
    assert SourceMap.from_text("".join(SOURCE), "/tmp/sample.py") is first
    assert 1 in first.lines and 4 not in first.lines
