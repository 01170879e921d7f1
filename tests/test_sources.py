"""In-process tier: how Sources reads the text of a file (its encoding) and of names no file has."""

from __future__ import annotations

import codecs
import io
import linecache
import tokenize
from pathlib import Path

import pytest

from monadapter.agent.sources import Sources, source_encoding

pytestmark = pytest.mark.unit  # the in-process tier: no process started

SOURCES = [
    b"x = 1\n",
    b"",
    codecs.BOM_UTF8 + b"x = '\xc3\xa9'\n",
    b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n",
    b"\n# coding=iso-8859-15\nx = 1\n",
    b"x = 1\n# coding: latin-1\n",  # too late: only the first two lines declare
    b"# a comment\n\n# coding: latin-1\n",  # third line: too late
    b"  \t# coding: utf-8\r\nx = 1\r\n",
    b"x = '\xc3\xa9'  # coding: latin-1\n",  # not a comment line: ``#`` after code does not declare
]


@pytest.mark.parametrize("source", SOURCES)
def test_the_encoding_of_a_source_is_the_one_tokenize_detects(source: bytes) -> None:
    """sources.source_encoding stands in for ``tokenize.detect_encoding``, which the agent does not
    import (benchmarks A2): the same codec for every way PEP 263 declares one, or does not."""
    detected, _lines = tokenize.detect_encoding(io.BytesIO(source).readline)
    assert codecs.lookup(source_encoding(source)).name == codecs.lookup(detected).name


@pytest.mark.parametrize("declared", [b"no-such-codec", b"rot13"])
def test_a_file_declaring_an_unusable_codec_is_read_as_utf8(tmp_path: Path, declared: bytes) -> None:
    path = tmp_path / "odd.py"
    path.write_bytes(b"# coding: " + declared + b"\nx = '\xc3\xa9'\n")
    assert Sources().text_of_file(str(path)) == f"# coding: {declared.decode()}\nx = 'é'\n"


def test_a_latin1_file_is_read_in_its_declared_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n")
    assert Sources().text_of_file(str(path)) == "# -*- coding: latin-1 -*-\nx = 'é'\n"


def test_the_text_of_a_name_no_file_has_comes_from_the_programs_linecache() -> None:
    """What a program put in its ``linecache`` (IPython's cells do) is the text of that name."""
    name = "<cell-41>"
    linecache.cache[name] = (10, None, ["x = 1\n", "y = 2\n"], name)
    try:
        assert Sources().text_of_file(name) == "x = 1\ny = 2\n"
        assert Sources().text_of_file("<cell-42>") is None
    finally:
        del linecache.cache[name]
