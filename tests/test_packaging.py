"""The package's metadata agrees with itself: one version everywhere, and both command lines report it."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import monadapter

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.unit
def test_pyproject_takes_the_version_from_the_package() -> None:
    """The version is written once, in ``monadapter/__init__.py``; pyproject reads it from there."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/monadapter/__init__.py"
    assert importlib.metadata.version("monadapter") == monadapter.__version__


@pytest.mark.unit
def test_the_vscode_extension_has_the_same_version() -> None:
    package = json.loads((REPO / "vscode-extension" / "package.json").read_text(encoding="utf-8"))
    assert package["version"] == monadapter.__version__


@pytest.mark.unit
def test_the_changelog_has_a_section_for_the_version() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## {monadapter.__version__} " in changelog


@pytest.mark.unit
def test_the_package_says_it_is_typed_and_licensed() -> None:
    assert (REPO / "src" / "monadapter" / "py.typed").is_file()
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


@pytest.mark.parametrize("module", ["monadapter", "monadapter.agent"])
def test_version_option(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"monadapter {monadapter.__version__}\n", "")
