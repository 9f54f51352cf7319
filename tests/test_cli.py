from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

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
