"""Run the atheris fuzz target for a bounded time (skipped without atheris outside CI)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from .conftest import ROOT


def test_fuzz_readers_bounded(tmp_path):
    if importlib.util.find_spec("atheris") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("atheris is not installed in CI (it is part of the test extra on Linux)")
        pytest.skip("atheris is not installed (pip install '.[test]' on Linux)")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed1").write_bytes("Tô Lâm visited\n|\n- item one two three\n\n\ufeffagain".encode())
    (corpus / "seed2").write_bytes(b"caf\xe9 \x93quoted\x94\r\nline two\rline three")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "fuzz" / "fuzz_readers.py"),
            "-max_total_time=15",
            "-rss_limit_mb=2048",
            "-max_len=4096",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done" in proc.stderr
