"""The distribution name: every install line names this project, and the installed command reports its version."""

from __future__ import annotations

import configparser
import importlib
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import dedup

ROOT = Path(__file__).resolve().parent.parent
DIST = "article-dedup"

#: The package-index name "dedup" belongs to an unrelated project: these lines would install it.
#: (Built from pieces so that this file does not match itself.)
STALE = [
    re.compile("pip install " + r"['\"]?" + "dedup" + r"(?![\w-])"),
    re.compile("'" + "dedup" + r"\["),
    re.compile('"' + "dedup" + r"\["),
    re.compile("`" + "dedup" + r"\["),
]
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".ruff_cache", "build", "dist", ".hypothesis"}
TEXT_ENDINGS = (".py", ".md", ".cfg", ".toml", ".yml", ".yaml", ".txt", ".sh", ".json", ".html", ".in")


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return cfg


def _text_files():
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        rel = Path(folder).relative_to(ROOT)
        if rel.parts[:2] == ("examples", "corpus") or rel.parts[:2] == ("tests", "snapshots"):
            continue
        for f in files:
            if f.endswith(TEXT_ENDINGS) or f == "run":
                yield Path(folder) / f


def test_distribution_name_is_not_the_taken_one():
    assert _setup_cfg()["metadata"]["name"] == DIST
    assert "dedup" not in {DIST}, "the index name dedup belongs to another project"


def test_no_stale_install_lines_anywhere_in_the_repository():
    stale = []
    for path in _text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if any(p.search(line) for p in STALE):
                stale.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not stale, "install lines naming the package-index project 'dedup':\n" + "\n".join(stale)


def test_stale_patterns_catch_what_they_should():
    n = "dedup"
    bad = [f"pip install {n}", f"pip install '{n}[fast]'", f'pip install "{n}[feeds,html]"', f"`{n}[spark]`"]
    good = [f"pip install '{DIST}[fast]'", "pip install .", 'pip install ".[test]"', "pip install dedup-other"]
    assert all(any(p.search(b) for p in STALE) for b in bad)
    assert not any(p.search(g) for g in good for p in STALE)


def _entry_point() -> tuple[str, str, str]:
    spec = _setup_cfg()["options.entry_points"]["console_scripts"].strip()
    name, target = (x.strip() for x in spec.split("="))
    module, attr = target.split(":")
    return name, module, attr


def test_console_script_prints_the_version():
    """The entry point setup.cfg installs as ``dedup``, run as pip's generated script runs it."""
    name, module, attr = _entry_point()
    assert name == "dedup"
    assert callable(getattr(importlib.import_module(module), attr))
    code = f"import sys; sys.argv[0] = 'dedup'; from {module} import {attr}; sys.exit({attr}())"
    out = subprocess.run(
        [sys.executable, "-c", code, "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert dedup.__version__ in out.stdout


def test_installed_command_prints_the_version():
    """Where this project is installed (the CI's fresh venv: pip install ".[test]"), its script runs."""
    try:
        installed = metadata.version(DIST)
    except metadata.PackageNotFoundError:
        pytest.skip(f"{DIST} is not installed (pip install . to run this)")
    script = shutil.which("dedup", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip(f"no dedup script beside {sys.executable} (not installed into this environment)")
    out = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert installed in out.stdout and installed == dedup.__version__
