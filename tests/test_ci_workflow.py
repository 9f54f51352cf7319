"""The example GitHub workflow's shell steps, run as written against a local git repository.

The ``run:`` blocks of examples/ci/github-workflow.yml are taken from the file,
the ``${{ github... }}`` expressions are replaced by what GitHub would put
there, and each block runs with ``bash -e`` (as Actions does) in a temporary
repository with a base commit and a pull-request commit. ``dedup`` on PATH is
this checkout (``python -m dedup``); the install step itself is not run.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .ci_articles import article

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "ci" / "github-workflow.yml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git, bash")


def steps(text: str) -> list[dict[str, str]]:
    """The steps of the (only) job: ``name``, ``id``, ``if``, ``uses`` and ``run`` as strings."""
    out: list[dict[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)- (\w[\w-]*):\s?(.*)$", lines[i])
        if m and m.group(2) in ("name", "uses", "id", "if", "run"):
            out.append({})
        m = re.match(r"^(\s*)(?:- )?(name|uses|id|if|run):\s?(.*)$", lines[i])
        if m and out:
            indent, key, value = len(m.group(1)), m.group(2), m.group(3)
            if key == "run" and value == "|":
                body = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                    body.append(lines[i])
                    i += 1
                width = min(len(b) - len(b.lstrip()) for b in body if b.strip())
                out[-1]["run"] = "\n".join(b[width:] for b in body).strip("\n") + "\n"
                continue
            out[-1][key] = value
        i += 1
    return out


def substitute(script: str, values: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        expr = m.group(1).strip()
        return values[expr]

    return re.sub(r"\$\{\{(.*?)\}\}", repl, script)


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


class Runner:
    """Runs the workflow's ``run:`` steps for one event in a repository."""

    def __init__(self, repo: Path, tmp: Path) -> None:
        self.repo = repo
        self.tmp = tmp
        bindir = tmp / "bin"
        bindir.mkdir(exist_ok=True)
        shim = bindir / "dedup"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dedup "$@"\n', encoding="utf-8")
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
        self.env = {
            **os.environ,
            "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),
            "DEDUP_INDEX": ".dedup/content.sqlite",
            "NO_COLOR": "1",
        }
        self.env.pop("DEDUP_CONFIG", None)

    def run(self, event: str, skip: tuple[str, ...] = ("Install dedup",)) -> dict[str, subprocess.CompletedProcess]:
        head = git(self.repo, "rev-parse", "HEAD").strip()
        base = git(self.repo, "rev-parse", "origin/main").strip()
        values = {
            "github.base_ref": "main",
            "github.sha": head,
            "github.event.pull_request.base.sha": base,
            "github.event.pull_request.base.sha || github.sha": base if event == "pull_request" else head,
        }
        results: dict[str, subprocess.CompletedProcess] = {}
        for n, step in enumerate(steps(WORKFLOW.read_text(encoding="utf-8"))):
            cond = step.get("if", "")
            if "run" not in step or step.get("name") in skip:
                continue
            if cond and f"github.event_name == '{event}'" not in cond:
                continue
            runner_temp = self.tmp / f"runner-{event}-{n}"
            runner_temp.mkdir(exist_ok=True)
            output = self.tmp / f"output-{event}-{n}"
            output.write_text("", encoding="utf-8")
            env = {**self.env, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output)}
            proc = subprocess.run(
                ["bash", "-e", "-c", substitute(step["run"], values)],
                cwd=self.repo,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            proc.github_output = output.read_text(encoding="utf-8")  # type: ignore[attr-defined]
            results[step.get("name", f"step {n}")] = proc
            if proc.returncode != 0:
                break
        return results


@pytest.fixture()
def repo(tmp_path):
    repo = tmp_path / "site"
    (repo / "content" / "posts").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "content" / "posts" / "original.md").write_text(article(1), encoding="utf-8")
    (repo / "content" / "posts" / "old-name.md").write_text(article(2), encoding="utf-8")
    (repo / "content" / "about.md").write_text(article(3), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-qb", "pr")
    return repo


def pull_request_commit(repo: Path) -> None:
    """A copy of a published post, a renamed post, a new post and an image."""
    (repo / "content" / "posts" / "copy.md").write_text(
        "Republished\n\n" + article(1).split("\n\n", 1)[1], encoding="utf-8"
    )
    git(repo, "mv", "content/posts/old-name.md", "content/posts/new-name.md")
    (repo / "content" / "posts" / "fresh.md").write_text(article(4), encoding="utf-8")
    (repo / "content" / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pr")


def test_workflow_first_run_builds_and_saves_the_index_then_fails_on_the_copy(repo, tmp_path):
    pull_request_commit(repo)
    out = Runner(repo, tmp_path).run("pull_request")
    base = out["Index the base branch (first run)"]
    assert base.returncode == 0, base.stderr
    # The step's output is what the cache-save step's condition reads: the first index is saved.
    assert "built=true" in base.github_output  # type: ignore[attr-defined]
    assert (repo / ".dedup" / "content.sqlite").is_file()
    check = out["Check changed content"]
    assert check.returncode == 1, check.stdout + check.stderr
    annotations = [ln for ln in check.stdout.splitlines() if ln.startswith("::")]
    # The copy is reported against the published original, on the copy's file.
    assert any("file=content/posts/copy.md" in a and "posts/original.md" in a for a in annotations), annotations
    # The renamed post is not a copy of its own old version; the image is not read at all.
    assert not any("new-name.md" in a or "old-name.md" in a for a in annotations), annotations
    assert not any("fresh.md" in a for a in annotations)
    assert "not content, skipped: content/photo.png" in check.stdout


def test_workflow_second_run_reuses_the_saved_index(repo, tmp_path):
    pull_request_commit(repo)
    runner = Runner(repo, tmp_path)
    runner.run("pull_request")
    again = runner.run("pull_request")
    assert "built=true" not in again["Index the base branch (first run)"].github_output  # type: ignore[attr-defined]
    assert again["Check changed content"].returncode == 1


def test_workflow_rename_only_pull_request_passes(repo, tmp_path):
    git(repo, "mv", "content/posts/old-name.md", "content/posts/moved.md")
    git(repo, "commit", "-qm", "rename")
    check = Runner(repo, tmp_path).run("pull_request")["Check changed content"]
    assert check.returncode == 0, check.stdout + check.stderr
    assert not [ln for ln in check.stdout.splitlines() if ln.startswith("::")]


def test_workflow_push_indexes_content_and_forgets_renamed_files(repo, tmp_path):
    runner = Runner(repo, tmp_path)
    git(repo, "checkout", "-q", "main")
    first = runner.run("push")
    assert first["Add published content to the index"].returncode == 0
    git(repo, "mv", "content/posts/old-name.md", "content/posts/new-name.md")
    git(repo, "commit", "-qm", "rename on main")
    step = runner.run("push")["Add published content to the index"]
    assert step.returncode == 0, step.stderr
    ids = subprocess.run(
        [sys.executable, "-m", "dedup", "index", "info", "--index", ".dedup/content.sqlite", "--ids"],
        cwd=repo,
        env=runner.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "posts/new-name.md" in ids and "posts/old-name.md" not in ids


def test_workflow_installs_from_the_checked_out_repository():
    text = WORKFLOW.read_text(encoding="utf-8")
    by_name = {s.get("name"): s for s in steps(text)}
    assert by_name["Install dedup"]["run"].strip() == 'pip install "./.dedup-tool[feeds,html]"'
    assert "path: .dedup-tool" in text and "--diff-filter=AM" not in text
    assert "actions/cache/save" in text.split("Check changed content")[0]  # saved before the check runs
