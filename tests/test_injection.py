"""Workflow-command injection and terminal escapes (issue 17 items 1-3), with real processes.

Every command runs as ``python -m dedup`` on a corpus whose file names, JSON
Lines ids, feed guids and texts hold newlines followed by ``::error``, ANSI
CSI and OSC sequences. GitHub's runner reads workflow commands from stdout
and stderr alike, so no line of either may start with ``::`` unless
``--format github`` wrote it, and no ESC byte may reach the output.

Lines printed by the CLI itself (the per-file problem lines on stderr, the
table) are sanitised by the CLI's one printer (``dedup.report.sanitize``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .texts import MARKET, MUSEUM, RIVER, join

EVIL_NAME = "x\n::error file=README.md,line=1::INJECTED.txt"
ESC_NAME = "\x1b[31mred\x1b[0m.txt"
OSC = "\x1b]0;pwned\x07"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _corpus(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    (content / "plain.txt").write_text(join(RIVER), encoding="utf-8")
    (content / EVIL_NAME).write_text(join(RIVER), encoding="utf-8")
    (content / ESC_NAME).write_text(join(MUSEUM), encoding="utf-8")
    # The OSC title-change sequence sits inside a shared paragraph, so `show` prints it.
    (content / "museum-copy.txt").write_text(join([MUSEUM[0], OSC + MUSEUM[1], *MUSEUM[2:]]), encoding="utf-8")
    import json

    records = [
        {"id": "j\n::error::INJECTED-ID", "text": join(MARKET)},
        {"id": "j\n::error::INJECTED-ID", "text": join(MARKET)},  # duplicate id: an error line names it
        {"id": "\u2028::error::U2028", "text": join(MARKET[:2])},
    ]
    (tmp_path / "export.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    item = "<item><guid>g&#10;::error::INJECTED-GUID</guid><title>t</title><description>{}</description></item>"
    (tmp_path / "feed.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
        + item.format(" ".join(MARKET))
        + item.format(" ".join(MARKET))
        + item.format("")
        + "</channel></rss>",
        encoding="utf-8",
    )
    return content


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1", COLUMNS="100")
    proc = subprocess.run(
        [sys.executable, "-m", "dedup", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=600,
    )
    out = proc.stdout.decode("utf-8", "replace") + "\n" + proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in out, out
    return proc.returncode, out


def _assert_clean(out: str, github: bool = False) -> None:
    for line in _LINE_BREAK.split(out):
        if line.startswith("::"):
            assert github and line.startswith(("::error file=", "::warning file=", "::notice file=")), (
                f"injected workflow command: {line!r}"
            )
    assert "\x1b" not in out, "a raw ESC reached the output"


INPUTS = ("content", "export.jsonl", "feed.rss")


@pytest.mark.parametrize(
    "fmt",
    [
        "table",
        "json",
        "jsonl",
        "github",
        "sarif",
    ],
)
def test_scan_output_and_problem_lines_start_no_workflow_command(tmp_path, fmt):
    _corpus(tmp_path)
    rc, out = _run(tmp_path, "scan", *INPUTS, "--format", fmt, "--jobs", "1")
    assert rc in (0, 1), out
    _assert_clean(out, github=fmt == "github")


@pytest.mark.parametrize("fmt", ["json", "jsonl", "github", "sarif"])
def test_scan_stdout_alone_starts_no_workflow_command(tmp_path, fmt):
    """The report itself (stdout), written by the formatters, is clean without the CLI branch."""
    _corpus(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "dedup", "scan", *INPUTS, "--format", fmt, "--jobs", "1", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr
    out = proc.stdout.decode("utf-8")
    assert "INJECTED" in out  # the hostile ids are in the report, defused
    _assert_clean(out, github=fmt == "github")


@pytest.mark.parametrize("fmt", ["table", "github"])
def test_index_add_and_check_lines_start_no_workflow_command(tmp_path, fmt):
    content = _corpus(tmp_path)
    rc, out = _run(tmp_path, "index", "add", "content", "--index", "idx.sqlite")
    assert rc == 0, out
    _assert_clean(out)
    new = tmp_path / "new"
    new.mkdir()
    (new / EVIL_NAME).write_text((content / "plain.txt").read_text())
    rc, out = _run(tmp_path, "check", "new", "--index", "idx.sqlite", "--format", fmt, "--quiet")
    assert rc == 1, out
    _assert_clean(out, github=fmt == "github")


def test_index_add_problem_lines_start_no_workflow_command(tmp_path):
    _corpus(tmp_path)
    rc, out = _run(tmp_path, "index", "add", "content", "export.jsonl", "feed.rss", "--index", "idx.sqlite")
    assert rc in (0, 2), out  # 2: some inputs were unusable (the CLI's rule)
    assert "INJECTED" in out  # the duplicate-id problem lines name the hostile ids
    _assert_clean(out)


def test_show_no_color_prints_no_escape_from_document_text(tmp_path):
    content = _corpus(tmp_path)
    rc, out = _run(tmp_path, "show", str(content / ESC_NAME), str(content / "museum-copy.txt"), "--no-color")
    assert rc == 0, out
    assert "pwned" in out  # the OSC payload is shown, as visible escapes
    _assert_clean(out)


def test_show_of_a_file_named_like_a_workflow_command(tmp_path):
    content = _corpus(tmp_path)
    rc, out = _run(tmp_path, "show", str(content / EVIL_NAME), str(content / "plain.txt"), "--no-color")
    assert rc == 0, out
    _assert_clean(out)


def test_compare_lines_start_no_workflow_command(tmp_path):
    content = _corpus(tmp_path)
    rc, out = _run(tmp_path, "compare", str(content / EVIL_NAME), str(content / "plain.txt"), str(content / ESC_NAME))
    assert rc in (0, 1), out
    _assert_clean(out)
