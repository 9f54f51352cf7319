"""Ctrl-C during a scan: exit code 130, a short message, no traceback."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from .conftest import ROOT


def test_sigint_during_scan_exits_130(tmp_path):
    rng = random.Random(7)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrst") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    for i in range(4):
        words = rng.choices(vocab, k=600_000)
        (tmp_path / f"big{i}.txt").write_text(
            "\n\n".join(" ".join(words[j : j + 80]) for j in range(0, len(words), 80))
        )
    out = tmp_path / "report.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "scan", "--format", "json", "-o", str(out), str(tmp_path)],
        cwd=str(ROOT),
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.5)
    assert proc.poll() is None, "the scan finished before it could be interrupted; make the corpus bigger"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err
    assert "Traceback" not in err
    assert not out.exists()  # no half-written report
