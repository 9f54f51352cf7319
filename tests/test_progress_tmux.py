"""A terminal capture of the progress display: ``dedup scan`` in tmux, read with ``capture-pane``.

On a real terminal every stage the library reports (``progress(stage, done,
total)``) gets its own line, named, plus "Writing" for the output; the same
command with stderr redirected to a file draws nothing. The capture is also
written to ``benchmarks/results/progress_capture.txt`` when
``DEDUP_WRITE_CAPTURE=1``.
"""

from __future__ import annotations

import os
import random
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dedup import Detector

from .conftest import ROOT

HANG = 120


def _need_tmux() -> str:
    tmux = shutil.which("tmux")
    if tmux is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is missing in CI (.ci/run installs it)")
        pytest.skip("tmux is not installed (apt-get install tmux)")
    return tmux


def _corpus(folder: Path) -> None:
    rng = random.Random(3)
    vocab = ["".join(rng.choice("abcdefghijklmnop") for _ in range(rng.randint(3, 8))) for _ in range(3000)]
    shared = [" ".join(rng.choices(vocab, k=50)) for _ in range(40)]
    for i in range(300):
        paras = [" ".join(rng.choices(vocab, k=50)) for _ in range(5)]
        if i % 2 == 0:
            paras[i % 5] = shared[i % 40]
        (folder / f"a{i:04d}.txt").write_text("\n\n".join(paras))


def _library_stages(folder: Path) -> list[str]:
    """The stage names the library reports for this corpus, in order."""
    stages: list[str] = []

    def record(*args: object) -> None:
        stage = str(args[0]) if len(args) == 3 else "fingerprinting"
        if not stages or stages[-1] != stage:
            stages.append(stage)

    det = Detector()
    det.add_paths([str(folder)])
    det.run(progress=record)
    return stages


def test_progress_on_a_terminal_names_every_stage(tmp_path):
    tmux = _need_tmux()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _corpus(corpus)
    stages = [*_library_stages(corpus), "writing"]
    assert stages[0] == "fingerprinting"
    out = tmp_path / "out.json"
    done = tmp_path / "exit-code"
    command = (
        f"cd {shlex.quote(str(ROOT))} && PYTHONPATH={shlex.quote(str(ROOT))} "
        f"{shlex.quote(sys.executable)} -m dedup scan --jobs 1 --format json "
        f"-o {shlex.quote(str(out))} {shlex.quote(str(corpus))}; echo $? > {shlex.quote(str(done))}; sleep 60"
    )
    session = f"dedup-progress-{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "DEDUP_CONFIG")}
    subprocess.run([tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command], check=True, env=env)
    try:
        deadline = time.monotonic() + HANG
        while not done.exists() or not done.read_text().strip():
            assert time.monotonic() < deadline, "dedup scan did not finish in tmux"
            time.sleep(0.1)
        pane = subprocess.run(
            [tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True, env=env
        ).stdout
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], capture_output=True, env=env)
    assert done.read_text().strip() == "0", pane
    lines = [ln.rstrip() for ln in pane.splitlines() if ln.strip()]
    shown = [ln.split()[0].lower() for ln in lines]
    assert shown == stages, pane  # one line per stage, in pipeline order
    for ln in lines:
        if "[" in ln:
            assert ln.endswith("100%"), pane  # every stage drawn to completion
    if os.environ.get("DEDUP_WRITE_CAPTURE"):
        target = ROOT / "benchmarks" / "results" / "progress_capture.txt"
        head = "$ dedup scan --format json -o out.json corpus/   # in tmux, 120x40\n"
        target.write_text(head + "\n".join(lines) + "\n")

    # Redirected stderr: not a terminal, so nothing is drawn.
    log = tmp_path / "stderr.txt"
    with open(log, "w") as fh:
        proc = subprocess.run(
            [sys.executable, "-m", "dedup", "scan", "--jobs", "1", "--format", "json", str(corpus)],
            stdout=subprocess.DEVNULL,
            stderr=fh,
            cwd=str(ROOT),
            env=dict(env, PYTHONPATH=str(ROOT)),
            timeout=HANG,
        )
    assert proc.returncode == 0 and log.read_text() == ""
