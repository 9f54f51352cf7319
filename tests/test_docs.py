"""The documentation matches the code: generated reference pages, command lines, links, runnable examples."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from dedup import Config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
#: Pages written by other work in progress; links to them are allowed before they exist.
PENDING_PAGES = {"docs/reliability.md"}


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _generator()


def _pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", ["cli.md", "settings.md"])
def test_generated_reference_pages_are_up_to_date(page):
    expected = gen.render()[page]
    actual = (DOCS / page).read_text(encoding="utf-8")
    assert actual == expected, f"docs/{page} is out of date: run python docs/generate.py"


def test_every_command_and_option_is_in_the_cli_reference():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (dedup[^\n]*)\n\n```text\n(.*?)```", text, re.S | re.M))
    for path, cmd in gen.commands(gen.root_command()):
        name = " ".join(("dedup", *path))
        assert name in sections, f"{name} is not documented in docs/cli.md"
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.hidden:
                for opt in (*p.opts, *p.secondary_opts):
                    assert opt in sections[name], f"{name} {opt} is not documented in docs/cli.md"


def test_every_setting_is_in_the_settings_table_with_its_default():
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| `([^`]*)` \|", text, re.M)}
    for f in dataclasses.fields(Config):
        if not f.repr:
            continue
        assert f.name in rows, f"setting {f.name} is not in docs/settings.md"
        default = f.default
        if default is None or isinstance(default, bool):
            shown = {None: "none", True: "true", False: "false"}[default]
        else:
            shown = str(default)
        assert rows[f.name] == shown, f"{f.name}: documented default {rows[f.name]}, code {shown}"
    assert set(rows) <= {f.name for f in dataclasses.fields(Config)}, "a documented setting does not exist"


def test_settings_table_names_the_flags_the_commands_have():
    flags = gen.flags_by_setting()
    assert "`--threshold`" in (DOCS / "settings.md").read_text(encoding="utf-8")
    assert any("--no-story" in f for f in flags["story"])


def _code_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced code block, fences paired in order."""
    blocks = []
    lang, body = None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, body = line[3:].strip(), []
            else:
                blocks.append((lang, "\n".join(body) + "\n"))
                lang = None
        elif lang is not None:
            body.append(line)
    return blocks


def _command_lines(text: str) -> list[str]:
    """``dedup ...`` command lines inside shell/text code blocks (``$`` prompts, ``\\`` continuations)."""
    out = []
    for lang, block in _code_blocks(text):
        if lang not in ("", "bash", "sh", "text", "console"):
            continue
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip()
            if line.startswith("$ "):
                line = line[2:]
            if line.startswith("dedup ") and not line.startswith("dedup [OPTIONS]"):
                out.append(" ".join(line.split("  #")[0].split(" # ")[0].split()))
    return out


def _resolve(words: list[str]):
    cmd = gen.root_command()
    for i, w in enumerate(words):
        if isinstance(cmd, click.Group) and w in cmd.commands:
            cmd = cmd.commands[w]
        else:
            return cmd, words[:i]
    return cmd, words


def test_documented_command_lines_use_real_commands_and_options():
    problems = []
    seen = 0
    for page in _pages():
        for line in _command_lines(page.read_text(encoding="utf-8")):
            try:
                words = shlex.split(line)[1:]
            except ValueError:
                words = line.split()[1:]
            cmd, path = _resolve(words)
            if isinstance(cmd, click.Group) and len(path) == len(words):
                continue
            seen += 1
            known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
            for w in words[len(path) :]:
                for flag in re.split(r"[/|]", w.strip("[]").split("=")[0]):
                    if re.fullmatch(r"--[a-z][a-z0-9-]*", flag) and flag not in known:
                        problems.append(f"{page.relative_to(ROOT)}: `dedup {' '.join(path)}` has no option {flag}")
    assert seen > 10
    assert not problems, "\n".join(problems)


def test_command_line_check_catches_an_unknown_option():
    cmd, path = _resolve(["scan", "x", "--no-such-option"])
    assert path == ["scan"] and "--no-such-option" not in {o for p in cmd.params for o in p.opts}
    assert _command_lines("```bash\n$ dedup scan a \\\n    --threshold 0.5\n```\n") == ["dedup scan a --threshold 0.5"]


def test_relative_links_point_to_existing_files():
    broken = []
    for page in _pages():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            resolved = (page.parent / target).resolve()
            rel = os.path.relpath(resolved, ROOT)
            if not resolved.exists() and rel not in PENDING_PAGES:
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors of a Markdown page."""
    out = set()
    for title in re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M):
        out.add(re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-"))
    return out


def test_links_to_sections_point_to_existing_headings():
    broken = []
    for page in _pages():
        for target, frag in re.findall(r"\]\(([^)#\s]*\.md)#([^)\s]+)\)", page.read_text(encoding="utf-8")):
            resolved = (page.parent / target).resolve()
            if resolved.exists() and frag not in _anchors(resolved):
                broken.append(f"{page.relative_to(ROOT)} -> {target}#{frag}")
    assert not broken, broken


def test_readme_is_short_and_keeps_the_two_newcomer_commands():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 130
    lines = text.splitlines()
    run = "python3 -m venv .venv && . .venv/bin/activate && pip install . && dedup scan examples/corpus"
    test = 'python3 -m venv .venv && . .venv/bin/activate && pip install ".[test]" && python -m pytest -q'
    assert run in lines and test in lines  # .ci/run follows these two lines
    for page in ("cli.md", "python-api.md", "json.md", "settings.md", "index-and-ci.md", "how-it-works.md"):
        assert f"docs/{page}" in text
    assert "docs/scaling.md" in text and "docs/contributing.md" in text and "docs/reliability.md" in text


def _python_blocks(page: Path) -> list[str]:
    return [body for lang, body in _code_blocks(page.read_text(encoding="utf-8")) if lang == "python"]


@pytest.mark.parametrize(
    "page, n",
    [(README, i) for i in range(len(_python_blocks(README)))]
    + [(DOCS / "python-api.md", i) for i in range(len(_python_blocks(DOCS / "python-api.md")))],
    ids=lambda x: x.name if isinstance(x, Path) else str(x),
)
def test_python_examples_run_as_written(page, n, tmp_path):
    code = _python_blocks(page)[n]
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DEDUP_CONFIG", None)
    out = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip(), "the example printed nothing"


def test_readme_python_example_reports_the_bundled_copies():
    code = _python_blocks(README)[0]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "near_duplicate coastal-courier-bridge.txt harbor-bridge.md" in out.stdout
    assert "drop: ['harbor-bridge.md']" in out.stdout
    assert "('near_duplicate', 'draft-1', 'draft-2')" in out.stdout
