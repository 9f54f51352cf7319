from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import dedup
from dedup.cli import cli

from .conftest import EXAMPLES, ROOT


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_json_contract_on_examples():
    res = invoke("scan", "--format", "json", str(EXAMPLES))
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["schema"] == 1
    assert set(data) >= {"documents", "pairs", "passages", "clusters", "errors"}
    ids = [d["id"] for d in data["documents"]]
    assert ids == sorted(ids) and "harbor-bridge.md" in ids
    kinds = {(p["a"], p["b"]): p["kind"] for p in data["pairs"]}
    assert kinds[("coastal-courier-bridge.txt", "harbor-bridge.md")] == "near_duplicate"
    for p in data["passages"]:
        for side in ("a", "b"):
            span = p[side]
            assert set(span) == {"doc", "start", "end"} and span["start"] < span["end"]
        assert p["kind"] in {"exact", "near"} and 0 < p["similarity"] <= 1
    assert data["clusters"] == [
        {"members": ["coastal-courier-bridge.txt", "harbor-bridge.md"], "canonical": "coastal-courier-bridge.txt"}
    ]
    # The school-garden article repeats a block inside itself.
    assert any(p["a"]["doc"] == p["b"]["doc"] == "school-garden.txt" and p["paragraphs"] == 2 for p in data["passages"])


def test_to_dict_equals_cli_json():
    res = invoke("scan", "--format", "json", "--threshold", "0.6", str(EXAMPLES))
    api = dedup.scan(str(EXAMPLES), threshold=0.6).to_dict()
    assert json.loads(res.output) == api


def test_output_is_byte_identical_across_runs(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        assert invoke("scan", "--format", "json", "-o", str(out), str(EXAMPLES)).exit_code == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_jsonl_and_csv_agree_with_json():
    data = json.loads(invoke("scan", "--format", "json", str(EXAMPLES)).output)
    lines = [json.loads(line) for line in invoke("scan", "--format", "jsonl", str(EXAMPLES)).output.splitlines()]
    assert [ln for ln in lines if ln["type"] == "pair"] == [{"type": "pair", **p} for p in data["pairs"]]
    assert len([ln for ln in lines if ln["type"] == "passage"]) == len(data["passages"])
    rows = list(csv.DictReader(io.StringIO(invoke("scan", "--format", "csv", str(EXAMPLES)).output)))
    passages = [r for r in rows if r["record"] == "passage"]
    assert [(int(r["a_start"]), int(r["b_end"])) for r in passages] == [
        (p["a"]["start"], p["b"]["end"]) for p in data["passages"]
    ]


def test_table_names_files_and_excerpts():
    out = invoke("scan", str(EXAMPLES)).output
    assert "near_duplicate" in out and "harbor-bridge.md" in out
    assert "Engineers replaced all 212 steel cables" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["scan", "--threshold", "2", str(EXAMPLES)], "threshold must be in"),
        (["scan", "--num-perm", "1", str(EXAMPLES)], "num_perm must be between"),
        (["scan", "does-not-exist"], "does not exist"),
        (["scan"], "Missing argument"),
        (["scan", "--format", "xml", str(EXAMPLES)], "Invalid value"),
    ],
)
def test_usage_errors_exit_2(args, message):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2
    assert message in res.output


def test_python_dash_m_and_exit_code(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "dedup", "scan", "--format", "json", str(EXAMPLES)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["schema"] == 1
    bad = subprocess.run(
        [sys.executable, "-m", "dedup", "scan", "--threshold", "0", str(EXAMPLES)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    assert bad.returncode == 2 and "threshold" in bad.stderr


def test_help_documents_exit_codes():
    out = invoke("scan", "--help").output
    assert "Exit codes" in out and "130" in out


def test_output_file_is_written_atomically(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    assert invoke("scan", "--format", "json", "-o", str(target), str(EXAMPLES)).exit_code == 0
    assert json.loads(target.read_text())["schema"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temp file left behind


# --- issue 13 item 6 / issues 16, 17: the CLI package -------------------------------------------

ENV = {k: v for k, v in __import__("os").environ.items() if k != "DEDUP_CONFIG"}
ENV["PYTHONPATH"] = str(ROOT)


def run_dedup(*args: str, cwd=None, input=None, pre: str = ""):
    """``python -m dedup ARGS`` in a real process (``pre``: Python run before main, e.g. a fault)."""
    code = pre + "\nfrom dedup.cli import main\nimport sys\nmain(sys.argv[1:])\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=str(cwd or ROOT),
        env=ENV,
        input=input,
        timeout=300,
    )


def _settings_commands():
    from dedup.cli.options import setting_fields

    names = [f.name for f in setting_fields()]
    commands = {
        "scan": cli.commands["scan"],
        "check": cli.commands["check"],
        "compare": cli.commands["compare"],
        "show": cli.commands["show"],
        "config": cli.commands["config"],
        "spark-scan": cli.commands["spark-scan"],
        "index add": cli.commands["index"].commands["add"],
    }
    return names, commands


def test_every_config_field_is_a_flag_of_every_settings_command_with_the_config_default():
    import dataclasses

    from dedup.config import Config

    names, commands = _settings_commands()
    assert "near_min_tokens" in names and "normalization_version" not in names
    defaults = {f.name: f.default for f in dataclasses.fields(Config)}
    for label, command in commands.items():
        options = {p.name: p for p in command.params}
        for name in names:
            assert name in options, f"{label} has no flag for {name}"
            help_text = options[name].help
            want = defaults[name]
            if name == "jobs":
                want = 0  # the CLI default: all cores
            if isinstance(want, bool):
                want = "on" if want else "off"
            if want is not None:
                assert f"[default: {want}]" in help_text, (label, name, help_text)


def test_near_min_tokens_flag_reaches_the_config():
    res = invoke("config", "--near-min-tokens", "5", "--format", "json")
    rows = {r["name"]: r for r in json.loads(res.output)["settings"]}
    assert rows["near_min_tokens"] == {"name": "near_min_tokens", "value": 5, "source": "command line"}
    assert rows["threshold"]["source"] == "default"


def test_a_field_added_to_config_gets_a_flag_from_its_type():
    import dataclasses
    from typing import Literal

    from dedup.cli.options import setting_option

    @dataclasses.dataclass(frozen=True)
    class Extra:
        story_mode: Literal["strict", "loose"] = "loose"
        max_windows: int = 7
        fast: bool = False

    hints = {"story_mode": Literal["strict", "loose"], "max_windows": int, "fast": bool}

    @click.command()
    def probe(**kw):
        click.echo(json.dumps(kw, sort_keys=True))

    for f in dataclasses.fields(Extra):
        probe = setting_option(f, hints[f.name])(probe)
    out = CliRunner().invoke(probe, ["--story-mode", "strict", "--max-windows", "9", "--fast"])
    assert json.loads(out.output) == {"fast": True, "max_windows": 9, "story_mode": "strict"}
    bad = CliRunner().invoke(probe, ["--story-mode", "medium"])
    assert bad.exit_code == 2 and "strict" in bad.output
    helps = {p.name: p.help for p in probe.params}
    assert "[default: loose]" in helps["story_mode"] and "[default: off]" in helps["fast"]


def test_package_has_no_import_cycle_and_keeps_its_entry_points():
    import ast
    import pathlib

    import dedup.cli

    assert callable(dedup.cli.main) and dedup.cli.cli.name == "cli"
    assert "dedup = dedup.cli:main" in (ROOT / "setup.cfg").read_text()
    folder = pathlib.Path(dedup.cli.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        mod = path.stem
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps.update([node.module] if node.module else [a.name for a in node.names])
        graph[mod] = {d for d in deps if (folder / f"{d}.py").exists()}

    def reaches(start, target, seen=()):
        return any(d == target or (d not in seen and reaches(d, target, (*seen, d))) for d in graph[start])

    assert graph["app"] >= {"indexing", "scanning"}
    assert [m for m in graph if reaches(m, m)] == []


def test_internal_error_exits_3_with_one_line_naming_it():
    fault = "import dedup.detector as d\nd.Detector.run = lambda self, progress=None: 1 / 0"
    proc = run_dedup("scan", str(EXAMPLES), pre=fault)
    assert proc.returncode == 3
    (line,) = proc.stderr.splitlines()
    assert line.startswith("dedup: internal error: ZeroDivisionError: division by zero")
    assert "Traceback" not in proc.stderr


def test_library_errors_are_one_line_exit_2_through_one_handler():
    proc = run_dedup("scan", "--threshold", "2", str(EXAMPLES))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["dedup: error: threshold must be in (0.0, 1.0], got 2.0"]


@pytest.mark.parametrize("bad", ["", ":memory:", " :memory: "])
def test_index_that_keeps_nothing_is_a_usage_error(bad, tmp_path):
    for args in (["index", "add", str(EXAMPLES)], ["check", str(EXAMPLES)], ["index", "info"]):
        res = CliRunner().invoke(cli, [*args, "--index", bad])
        assert res.exit_code == 2, (args, res.output)
        assert "keeps nothing" in res.output
    assert list(tmp_path.iterdir()) == []


HOSTILE = "x\n::error file=README.md,line=1::INJECTED\x1b[31m.txt"


def test_hostile_file_names_cannot_inject_workflow_commands_or_escapes(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / HOSTILE).write_bytes(b"\x00binary")  # an error line names it
    (folder / "a.txt").write_text((EXAMPLES / "harbor-bridge.md").read_text())
    copy = "y\n::warning::copy\x1b]0;title\x07.txt"
    (folder / copy).write_text((EXAMPLES / "harbor-bridge.md").read_text())
    for fmt in ("table", "json"):
        proc = run_dedup("scan", "--format", fmt, str(folder), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        out_lines = proc.stderr.splitlines() + (proc.stdout.splitlines() if fmt == "table" else [])
        assert not [ln for ln in out_lines if ln.lstrip().startswith("::")], out_lines
        assert "\x1b" not in proc.stderr and (fmt != "table" or "\x1b" not in proc.stdout)
        assert any("INJECTED" in ln and ln.startswith("dedup: error: ") for ln in proc.stderr.splitlines())
    table = run_dedup("scan", str(folder), cwd=tmp_path).stdout
    assert "\\x1b]0;title\\x07" in table  # shown as a visible escape


def _site(tmp_path):
    idx = tmp_path / "site.sqlite"
    assert invoke("index", "add", "--index", str(idx), str(EXAMPLES)).exit_code == 0
    new = tmp_path / "new"
    new.mkdir()
    (new / "copy.txt").write_text((EXAMPLES / "library-hours.txt").read_text())
    (new / "fresh.txt").write_text(
        "A completely different article about mountain goats.\n\n"
        "The goats climbed the dam wall to lick the salt from the stones, rangers said on Monday."
    )
    return idx, new


def test_check_json_carries_a_verdict(tmp_path):
    idx, new = _site(tmp_path)
    res = CliRunner().invoke(cli, ["check", "--index", str(idx), "--format", "json", str(new / "copy.txt")])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["verdict"] == {"failed": True, "findings": 1, "notices": 0, "accepted": 0}
    assert data["schema"] == 1 and data["pairs"][0]["kind"] == "duplicate"
    clean = CliRunner().invoke(cli, ["check", "--index", str(idx), "--format", "json", str(new / "fresh.txt")])
    assert clean.exit_code == 0
    assert json.loads(clean.stdout)["verdict"] == {"failed": False, "findings": 0, "notices": 0, "accepted": 0}
    lines = CliRunner().invoke(cli, ["check", "--index", str(idx), "--format", "jsonl", str(new / "copy.txt")])
    last = json.loads(lines.stdout.splitlines()[-1])
    assert last == {"type": "verdict", "failed": True, "findings": 1, "notices": 0, "accepted": 0}


def test_index_info_check_says_ok_or_what_is_wrong(tmp_path):
    idx, _ = _site(tmp_path)
    ok = invoke("index", "info", "--index", str(idx), "--check")
    assert ok.exit_code == 0 and "integrity:  ok" in ok.output
    assert (
        json.loads(invoke("index", "info", "--index", str(idx), "--check", "--format", "json").output)["integrity"]
        == "ok"
    )
    data = bytearray(idx.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 4096):
        data[i] ^= 0xFF
    idx.write_bytes(bytes(data))
    bad = CliRunner().invoke(cli, ["index", "info", "--index", str(idx), "--check"])
    assert bad.exit_code == 2
    (line,) = [ln for ln in bad.output.splitlines() if ln.startswith("integrity:")]
    assert line != "integrity:  ok" and len(line) > len("integrity:  ")


def test_config_accepts_the_documented_settings_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dedup]\nindex = ".dedup/content.sqlite"\nroot = "content"\nthreshold = 0.6\nformat = "github"\n'
        'fail-on = "passages"\next = [".md"]\ntext-field = "body"\nbaseline = "b.json"\nnear-min-tokens = 5\n'
    )
    proc = run_dedup("config", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r["value"] for r in json.loads(proc.stdout)["settings"]}
    assert rows["threshold"] == 0.6 and rows["near_min_tokens"] == 5
    assert rows["format"] == "github" and rows["index"] == ".dedup/content.sqlite" and rows["ext"] == [".md"]
    text = run_dedup("config", cwd=tmp_path)
    assert text.returncode == 0 and "github" in text.stdout
    (tmp_path / "pyproject.toml").write_text("[tool.dedup]\ntreshold = 0.6\n")
    typo = run_dedup("config", cwd=tmp_path)
    assert typo.returncode == 2 and "unknown setting(s): treshold" in typo.stderr


def test_dash_reads_one_document_from_stdin(tmp_path):
    text = (EXAMPLES / "harbor-bridge.md").read_text()
    proc = run_dedup("scan", "--format", "json", "-", str(EXAMPLES), input=text)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert "-" in [d["id"] for d in data["documents"]]
    assert any({p["a"], p["b"]} == {"-", "harbor-bridge.md"} and p["kind"] == "duplicate" for p in data["pairs"])
    empty = run_dedup("scan", "--format", "json", "-", str(EXAMPLES), input="")
    assert empty.returncode == 0 and "dedup: error: -: empty input" in empty.stderr


def test_dash_output_is_stdout_not_a_file(tmp_path):
    proc = run_dedup("scan", "--format", "json", "-o", "-", str(EXAMPLES), cwd=tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["schema"] == 1
    assert not (tmp_path / "-").exists()


def test_folder_of_html_scanning_to_nothing_hints_at_ext(tmp_path):
    for i in range(3):
        (tmp_path / f"p{i}.html").write_text(f"<html><body><p>Article {i} about the harbour bridge.</p></body></html>")
    res = CliRunner().invoke(cli, ["scan", "--format", "json", str(tmp_path)])
    assert res.exit_code == 0 and json.loads(res.stdout)["documents"] == []
    assert "hint: 0 documents" in res.stderr and "--ext .html" in res.stderr
    quiet = CliRunner().invoke(cli, ["scan", "-q", "--format", "json", str(tmp_path)])
    assert quiet.stderr == ""
    found = CliRunner().invoke(cli, ["scan", "--format", "json", "--ext", ".html", str(tmp_path)])
    assert len(json.loads(found.stdout)["documents"]) == 3 and "hint" not in found.stderr


def test_compare_json_has_a_schema_key():
    files = [str(EXAMPLES / "harbor-bridge.md"), str(EXAMPLES / "coastal-courier-bridge.txt")]
    data = json.loads(invoke("compare", "--format", "json", *files).output)
    assert data["schema"] == 1 and data["pairs"][0]["kind"] == "near_duplicate"


def test_ids_format_needs_drop_or_keep():
    assert CliRunner().invoke(cli, ["scan", "--format", "ids", str(EXAMPLES)]).exit_code == 2
    assert CliRunner().invoke(cli, ["scan", "--drop", str(EXAMPLES)]).exit_code == 2
    both = CliRunner().invoke(cli, ["scan", "--format", "ids", "--drop", "--keep", str(EXAMPLES)])
    assert both.exit_code == 2 and "exactly one of --drop or --keep" in both.output


@pytest.mark.skipif(not hasattr(dedup.ScanResult, "drop"), reason="ScanResult.drop()/keep() come from branch i16-docs")
def test_ids_format_drop_and_keep_partition_the_documents():
    drop = invoke("scan", "--format", "ids", "--drop", str(EXAMPLES)).output.splitlines()
    keep = invoke("scan", "--format", "ids", "--keep", str(EXAMPLES)).output.splitlines()
    assert drop == ["harbor-bridge.md"]  # the cluster's canonical member is the other one
    assert sorted(drop + keep) == sorted(p.name for p in EXAMPLES.iterdir())


def test_progress_names_stages_only_when_asked_or_on_a_terminal(tmp_path):
    on = CliRunner().invoke(cli, ["scan", "--progress", "-o", str(tmp_path / "a"), str(EXAMPLES)])
    assert on.exit_code == 0
    assert "Fingerprinting ..." in on.stderr and "Writing done" in on.stderr
    for args in ([], ["--quiet"], ["--quiet", "--no-progress"]):
        off = CliRunner().invoke(cli, ["scan", *args, "-o", str(tmp_path / "b"), str(EXAMPLES)])
        assert off.exit_code == 0 and "Fingerprinting" not in off.stderr  # stderr is not a terminal here


def test_progress_display_takes_the_stage_and_the_older_two_argument_form():
    from dedup.cli.progress import ProgressDisplay

    out = io.StringIO()
    p = ProgressDisplay(out, live=True)
    p(0, 10)
    p(10, 10)
    p("story", 3, 6)
    p.close()
    lines = out.getvalue().split("\n")
    assert lines[0].rsplit("\r", 1)[-1].startswith("Fingerprinting [" + "#" * 24 + "] 10/10 100%")
    assert lines[1].rsplit("\r", 1)[-1].startswith(f"{'Story':<15}[" + "#" * 12 + "-" * 12 + "] 3/6  50%")
    assert lines[2] == ""


def test_click_errors_quoting_a_hostile_argument_stay_one_visible_line(tmp_path):
    proc = run_dedup("scan", "missing\n::error file=a::INJECTED\x1b[2J", cwd=tmp_path)
    assert proc.returncode == 2
    assert not [ln for ln in proc.stderr.splitlines() if ln.lstrip().startswith("::")], proc.stderr
    assert "\x1b" not in proc.stderr and "INJECTED" in proc.stderr and "does not exist" in proc.stderr


@pytest.mark.parametrize("color", ["--color", "--no-color"])
def test_show_never_passes_terminal_escapes_from_document_text(tmp_path, color):
    body = "Engineers replaced all the steel cables and repainted the towers \x1b]0;PWNED\x07 in green."
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("The harbour bridge reopened on Monday after two years of repairs, officials said.\n\n" + body)
    b.write_text("The harbour bridge reopened on Monday after two long years of repairs, officials said.\n\n" + body)
    proc = run_dedup("show", color, "--min-shared", "1", str(a), str(b))
    assert proc.returncode == 0, proc.stderr
    assert "\\x1b]0;PWNED\\x07" in proc.stdout and "\x1b]" not in proc.stdout and "\x07" not in proc.stdout
    if color == "--color":
        assert "\x1b[32m" in proc.stdout  # the styles themselves are kept
    else:
        assert "\x1b" not in proc.stdout
