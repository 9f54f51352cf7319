"""Ctrl-C with real processes: exit 130, exactly one line, no traceback, no output file.

SIGINT is sent to the whole process group, as a terminal's Ctrl-C is, at
several moments: while the worker processes start (their imports), while they
are busy fingerprinting, in the single-process stages after fingerprinting,
with ``--jobs 1``, and during ``index add``.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process-group signals and /proc are Linux-only")

ENV = dict(os.environ, PYTHONPATH=str(ROOT))
ENV.pop("DEDUP_CONFIG", None)
#: Bound on "the process hangs"; not a latency assertion (see benchmarks/interrupt_latency.py).
HANG = 30


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """2,000 documents of 8 paragraphs (some shared): seconds of work in every stage."""
    folder = tmp_path_factory.mktemp("interrupt-corpus")
    rng = random.Random(7)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrst") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    shared = [" ".join(rng.choices(vocab, k=120)) for _ in range(300)]
    for i in range(2000):
        paras = [" ".join(rng.choices(vocab, k=160)) for _ in range(8)]
        if i % 3 == 0:
            paras[rng.randrange(8)] = rng.choice(shared)
        (folder / f"d{i:05d}.txt").write_text("\n\n".join(paras))
    return folder


def _own_group_with_default_sigint() -> None:
    # A test run in the background inherits "SIGINT ignored" (and dedup keeps an
    # ignored SIGINT ignored, as nohup users expect): restore the terminal default.
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """A ``python -m dedup`` process in its own process group, its stderr read by a thread."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dedup", *args],
            cwd=str(cwd),
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_own_group_with_default_sigint,
        )
        self.lines: list[str] = []
        self._out: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stderr, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stdout, self._out), daemon=True),
        ]
        for t in self._readers:
            t.start()

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    def wait_for_line(self, text: str) -> None:
        deadline = time.monotonic() + HANG
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None, f"exited before {text!r}: {''.join(self.lines)}"
            assert time.monotonic() < deadline, f"no {text!r} on stderr: {''.join(self.lines)}"
            time.sleep(0.02)

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def wait_for_busy_workers(self, cpu_seconds: float = 0.7) -> list[int]:
        """Wait until two worker processes have used ``cpu_seconds`` of CPU each.

        0.7 s is past their imports (about 0.3 s): they are fingerprinting.
        0.1 s: they have been launched and are importing dedup.
        """
        tick = os.sysconf("SC_CLK_TCK")
        deadline = time.monotonic() + HANG
        while True:
            assert self.proc.poll() is None, "the scan finished before its workers were busy"
            assert time.monotonic() < deadline, "workers never got busy"
            used = []
            for pid in self.children():  # the workers, and multiprocessing's resource tracker
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                used.append(((int(fields[11]) + int(fields[12])) / tick, pid))
            busiest = sorted(used)[-2:]
            if len(busiest) == 2 and busiest[0][0] >= cpu_seconds:
                return [pid for _, pid in busiest]
            time.sleep(0.05)

    def interrupt(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)  # like Ctrl-C: the whole process group
        self.proc.wait(timeout=HANG)
        for t in self._readers:
            t.join(timeout=HANG)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


#: A progress line of a stage (``--progress`` off a terminal): a scan may write one between the
#: test's last look at stderr and the moment the signal reaches it (seen in CI: "Verification ...").
PROGRESS_LINE = re.compile(r"[A-Z][a-z]+ (\.\.\.|done( \(\d+/\d+\))?)")


def assert_interrupted(run: Run, before: list[str], output: Path | None = None) -> None:
    """Exit 130, one new line on stderr (after any progress lines written before the signal), nothing else written."""
    assert run.proc.returncode == 130, run.stderr
    new = [line.rstrip("\n") for line in run.lines[len(before) :] if line.strip()]
    assert new[-1:] == ["dedup: interrupted"], run.stderr
    assert all(PROGRESS_LINE.fullmatch(line) for line in new[:-1]), run.stderr
    assert "Traceback" not in run.stderr
    if output is not None:
        assert not output.exists()
        assert not list(output.parent.glob(".dedup-*")), "a temporary output file was left behind"


def assert_workers_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + HANG
    for pid in pids:
        while Path(f"/proc/{pid}").exists():
            stat = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}").exists() else ""
            if stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]:
                break
            assert time.monotonic() < deadline, f"worker {pid} still running"
            time.sleep(0.05)


def scan(corpus: Path, out: Path, *extra: str) -> Run:
    return Run("scan", "--progress", "--format", "json", "-o", str(out), *extra, str(corpus), cwd=ROOT)


def test_sigint_while_workers_start_jobs_0(corpus, tmp_path):
    out = tmp_path / "report.json"
    run = scan(corpus, out, "--jobs", "0")
    run.wait_for_line("Fingerprinting")
    run.wait_for_busy_workers(cpu_seconds=0.1)  # launched, importing dedup
    before = list(run.lines)
    run.interrupt()
    assert_interrupted(run, before, out)


def test_sigint_while_workers_are_busy_jobs_0(corpus, tmp_path):
    out = tmp_path / "report.json"
    run = scan(corpus, out, "--jobs", "0")
    run.wait_for_line("Fingerprinting")
    workers = run.wait_for_busy_workers()
    before = list(run.lines)
    run.interrupt()
    assert_interrupted(run, before, out)
    assert_workers_gone(workers)


def test_sigint_after_fingerprinting_in_the_later_stages(corpus, tmp_path):
    out = tmp_path / "report.json"
    run = scan(corpus, out, "--jobs", "0")
    run.wait_for_line("Fingerprinting done")
    before = list(run.lines)
    run.interrupt()
    assert_interrupted(run, before, out)


def test_sigint_single_process_jobs_1(corpus, tmp_path):
    out = tmp_path / "report.json"
    run = scan(corpus, out, "--jobs", "1")
    run.wait_for_line("Fingerprinting ...")
    before = list(run.lines)
    run.interrupt()
    assert_interrupted(run, before, out)


def test_sigint_while_stdout_is_the_output(corpus):
    run = Run("scan", "--progress", "--format", "json", str(corpus), cwd=ROOT)
    run.wait_for_line("Fingerprinting done")
    before = list(run.lines)
    run.interrupt()
    assert_interrupted(run, before)
    assert run.stdout == ""  # the report is printed whole or not at all


def test_sigint_during_index_add_keeps_nothing_half_written(corpus, tmp_path):
    index = tmp_path / "idx.sqlite"
    run = Run("index", "add", "--index", str(index), "--jobs", "0", str(corpus), cwd=ROOT)
    run.wait_for_busy_workers(cpu_seconds=0.1)  # fingerprinting workers started
    run.interrupt()
    assert_interrupted(run, [])
    if index.exists():  # created empty, or not at all: never a half add
        info = subprocess.run(
            [sys.executable, "-m", "dedup", "index", "info", "--index", str(index), "--format", "json"],
            capture_output=True,
            text=True,
            env=ENV,
            cwd=str(ROOT),
        )
        assert info.returncode == 0, info.stderr
        assert json.loads(info.stdout)["documents"] == 0


@pytest.fixture(scope="module")
def interpreter_start_up() -> float:
    """Seconds until the command can install its handler: Python's start-up (``site`` and its
    ``.pth`` imports) plus ``import dedup.cli``, the slowest of three runs.

    A SIGINT inside that window is Python's own business (its default handler, or
    "Fatal Python error: init_import_site"); the delays below count from its end.
    """
    times = []
    for _ in range(3):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "import dedup.cli"], env=ENV, cwd=str(ROOT), check=True)
        times.append(time.monotonic() - start)
    return max(times)


@pytest.mark.parametrize("delay", [0.01, 0.1, 0.25])
def test_sigint_during_start_up_and_imports_exits_130_without_a_traceback(delay, interpreter_start_up):
    # ``import dedup`` is lazy (PEP 562): the command installs its handler before the heavy imports.
    run = Run("scan", "--format", "json", str(ROOT / "examples" / "corpus"), cwd=ROOT)
    time.sleep(interpreter_start_up + delay)
    run.interrupt()
    # 130, or killed by SIGINT itself once the run is over (the shell reports both as 130).
    assert run.proc.returncode in (130, -signal.SIGINT), run.stderr
    assert "Traceback" not in run.stderr
    assert len([line for line in run.lines if line.strip()]) <= 1, run.stderr


def test_ctrl_c_swallowed_by_a_finaliser_is_raised_again_in_the_main_thread():
    # Python prints "Exception ignored in ..." for a KeyboardInterrupt raised inside a __del__ and
    # drops it; the CLI raises it again so the run still exits 130 with one line (seen in CI logs).
    from dedup.cli import interrupt

    class Finaliser:
        def __del__(self) -> None:
            raise KeyboardInterrupt

    old_handler, old_hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
    signals_before = interrupt._state["signals"]
    try:
        interrupt.install()
        with pytest.raises(KeyboardInterrupt):
            Finaliser()  # dropped at once: __del__ runs, its KeyboardInterrupt is unraisable
            deadline = time.monotonic() + HANG  # it comes back from a helper thread a moment later
            while time.monotonic() < deadline:
                pass
        assert interrupt._state["lost"] == 0
        assert interrupt._state["signals"] == signals_before  # not counted as a second Ctrl-C
    finally:
        signal.signal(signal.SIGINT, old_handler)
        sys.unraisablehook = old_hook
        atexit.unregister(interrupt._at_exit)


SWALLOWED = """
import os, signal, sys, time
from dedup.cli import interrupt
interrupt.install()
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
except BaseException:  # a library that swallows everything
    pass
print("finished")
sys.exit(0)
"""

AT_SHUTDOWN = """
import sys
from dedup.cli import interrupt
interrupt.install()

class Finaliser:
    def __del__(self):
        raise KeyboardInterrupt  # as if Ctrl-C landed in a finaliser while the interpreter shuts down

keep = Finaliser()
print("finished")
sys.exit(0)
"""


@pytest.mark.parametrize("script", [SWALLOWED, AT_SHUTDOWN], ids=["swallowed", "at-shutdown"])
def test_a_run_that_saw_ctrl_c_never_exits_0_even_when_the_interrupt_was_swallowed(script):
    # CI saw exit 0 with nothing on stderr for a SIGINT at the very end of a scan.
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=HANG,
        preexec_fn=_own_group_with_default_sigint,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "dedup: interrupted\n"
    assert done.stdout == "finished\n"
