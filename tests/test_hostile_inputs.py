"""Hostile inputs and outputs of issue 17: one test per failure of the second probe.

Items: SARIF URIs (3), symlinks out of the scanned folder (4), ``--output``
over inputs, the index, devices, FIFOs and symlinks (6, 7), lone surrogates
(9), deep nesting (12), HTML nested 260 deep and named files outside
``--ext`` (15), line numbering (20). Real processes where the case needs them.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import dedup
from dedup.baseline import Baseline
from dedup.errors import InputError, OutputError
from dedup.io.atomic import check_output_path, write_atomic, write_output
from dedup.io.nesting import MAX_NESTING, load_json, nesting_depth, too_deep
from dedup.io.readers import collect_inputs, read_paths
from dedup.io.sources import ReaderOptions
from dedup.report import ci
from dedup.report.ci import LineIndex, artifact_uri, line_range, to_github, to_sarif
from dedup.report.formatters import format_result

from .conftest import ROOT
from .texts import MARKET, MUSEUM, RIVER, join


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "dedup", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="strict",
        timeout=600,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


# --- item 3: SARIF artifact URIs --------------------------------------------------------------


def test_sarif_uris_are_percent_encoded_valid_uri_references(tmp_path):
    validate = pytest.importorskip("rfc3986_validator").validate_rfc3986
    from urllib.parse import unquote

    c = tmp_path / "c"
    c.mkdir()
    names = ["x%41.txt", "y#frag.txt", "a b.txt", "r\u00e9sum\u00e9:1.txt", "q?x=1.txt"]
    for n in names:
        (c / n).write_text(join(RIVER), encoding="utf-8")
    proc = _run(tmp_path, "scan", "c", "--format", "sarif", "--jobs", "1")
    assert proc.returncode in (0, 1), proc.stderr
    log = json.loads(proc.stdout)
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for res in log["runs"][0]["results"]
        for loc in res["locations"]
    }
    assert "c/x%2541.txt" in uris and "c/y%23frag.txt" in uris and "c/a%20b.txt" in uris
    for uri in uris:
        assert validate(uri, rule="URI_reference"), uri
        assert unquote(uri).removeprefix("c/") in names  # decoding gives the file back
    assert artifact_uri("/abs/a b#.txt") == "file:///abs/a%20b%23.txt"
    assert validate(artifact_uri("/abs/a b#.txt"), rule="URI")


# --- item 20: line numbering ------------------------------------------------------------------


def _reference_line(text: str, offset: int) -> int:
    head = text[:offset]
    breaks = head.count("\n") + head.count("\r") - head.count("\r\n")
    if head.endswith("\r") and text.startswith("\n", offset):
        breaks -= 1
    return breaks + 1


def test_line_index_equals_counting_the_breaks_before_each_offset():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(["a", "bc", "\n", "\r", "\r\n", " ", "\u2028"]), max_size=60).map("".join))
    def check(text):
        idx = LineIndex(text)
        for offset in range(len(text) + 1):
            assert idx.line(offset) == _reference_line(text, offset)

    check()


def test_ci_formats_index_each_document_once_however_many_passages(tmp_path, monkeypatch):
    # 300 repeated paragraphs between two long files: hundreds of passages, one index per file.
    paras = [f"Paragraph {i} tells how the {RIVER[i % 5][:60]} number {i * 7919} went." for i in range(300)]
    a = "\n\n".join(p + " " + MUSEUM[i % 5] for i, p in enumerate(paras))
    b = "\n\n".join(p + " " + MUSEUM[i % 5] if i % 2 else MARKET[i % 5] for i, p in enumerate(paras))
    (tmp_path / "a.txt").write_text(a, encoding="utf-8")
    (tmp_path / "b.txt").write_text(b, encoding="utf-8")
    result = dedup.scan(str(tmp_path), story=False, boilerplate=False)
    assert len(result.passages) >= 50
    built: list[int] = []
    original = LineIndex.__init__

    def counting(self, text):
        built.append(len(text))
        original(self, text)

    monkeypatch.setattr(LineIndex, "__init__", counting)
    gh = to_github(result)
    assert len(built) == 2  # one per document, not one per passage side
    built.clear()
    to_sarif(result)
    assert len(built) == 2
    docs = {d.id: d for d in result.documents}
    monkeypatch.setattr(LineIndex, "__init__", original)
    for p in result.passages[:20]:
        want = (_reference_line(docs[p.a.doc].text, p.a.start), _reference_line(docs[p.a.doc].text, p.a.end - 1))
        assert line_range(docs[p.a.doc], p.a.start, p.a.end) == want
        assert f"line={want[0]},endLine={want[1]}" in gh
    assert ci.line_range is line_range


# --- item 4: symlinks -------------------------------------------------------------------------


def _leak_setup(tmp_path: Path) -> tuple[Path, Path]:
    secret = tmp_path / "outside" / "passwd.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:secret-marker-7731:/root:/bin/bash\n" + join(MARKET), encoding="utf-8")
    content = tmp_path / "content"
    (content / "sub").mkdir(parents=True)
    (content / "a.txt").write_text(join(RIVER), encoding="utf-8")
    (content / "sub" / "b.txt").write_text(join(MUSEUM), encoding="utf-8")
    os.symlink(secret, content / "leak.txt")
    os.symlink(content / "a.txt", content / "inside-link.txt")  # inside the scanned folder: read
    os.symlink(secret.parent, content / "outdir")  # a symlinked folder pointing outside
    return content, secret


def test_symlink_out_of_the_scanned_folder_is_skipped_with_a_reason(tmp_path):
    content, _ = _leak_setup(tmp_path)
    out = read_paths([str(content)])
    assert [d.id for d in out.documents] == ["a.txt", "inside-link.txt", "sub/b.txt"]
    assert not any("secret-marker" in d.text for d in out.documents)
    warned = {w.path: w.message for w in out.warnings}
    assert set(warned) == {"leak.txt", "outdir"}
    assert "outside the scanned folders" in warned["leak.txt"]


def test_following_symlinks_is_an_explicit_option(tmp_path):
    content, _ = _leak_setup(tmp_path)
    out = read_paths([str(content)], options=ReaderOptions(follow_symlinks=True))
    ids = [d.id for d in out.documents]
    assert "leak.txt" in ids and "outdir/passwd.txt" in ids
    assert not out.warnings


def test_index_add_of_a_folder_with_a_leaking_symlink_stores_no_outside_text(tmp_path):
    _leak_setup(tmp_path)
    proc = _run(tmp_path, "index", "add", "content", "--index", "idx.sqlite")
    assert proc.returncode == 0, proc.stderr
    assert "leak.txt" in proc.stderr  # the warning names the skipped link
    with dedup.Index.open(str(tmp_path / "idx.sqlite"), create=False) as idx:
        assert idx.document_ids() == ["a.txt", "inside-link.txt", "sub/b.txt"]


def test_symlink_loop_with_follow_symlinks_ends(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text(join(RIVER), encoding="utf-8")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    listing = collect_inputs([str(tmp_path / "d")], follow_symlinks=True)
    assert [i for _, i in listing.files] == ["a.txt"]


# --- item 12: a folder nested 1,000 deep -------------------------------------------------------


def test_folder_nested_1000_deep_is_walked_without_recursion(tmp_path):
    deep = tmp_path / "top"
    deep.mkdir()
    fd = os.open(deep, os.O_RDONLY)
    try:
        for _ in range(1000):  # mkdir relative to a directory fd keeps each path short
            os.mkdir("d", dir_fd=fd)
            nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        leaf = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, join(RIVER).encode())
        os.close(leaf)
    finally:
        os.close(fd)
    (tmp_path / "top" / "copy.txt").write_text(join(RIVER), encoding="utf-8")
    try:
        out = read_paths([str(deep)])
        assert sorted(d.id for d in out.documents) == ["copy.txt", "d/" * 1000 + "deep.txt"]
        assert not out.errors
    finally:
        _remove_chain(deep)


def _remove_chain(top):
    """Remove top/d/d/.../d one level at a time (pytest's recursive clean-up overflows on it)."""
    while (top / "d").is_dir():
        level, inner = top / "d", top / "d" / "d"
        for entry in level.iterdir():
            if entry.name != "d":
                entry.unlink()
        if inner.is_dir():
            inner.rename(top / "d.next")
        level.rmdir()
        if (top / "d.next").is_dir():
            (top / "d.next").rename(top / "d")


# --- issue 16 item 6: named files go through --ext ---------------------------------------------


def test_named_file_outside_ext_is_skipped_with_a_warning_not_a_failure(tmp_path):
    new = tmp_path / "new"
    new.mkdir()
    (new / "clean.txt").write_text(join(RIVER), encoding="utf-8")
    (new / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert _run(tmp_path, "index", "add", str(new / "clean.txt"), "--index", "idx.sqlite").returncode == 0
    (tmp_path / "other.txt").write_text(join(MUSEUM), encoding="utf-8")
    proc = _run(tmp_path, "check", "other.txt", "new/photo.png", "--index", "idx.sqlite")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "photo.png" in proc.stderr and "--ext" in proc.stderr
    # The library: a warning, not an error; a named .jsonl / .html keeps its reader.
    listing = collect_inputs([str(new / "clean.txt"), str(new / "photo.png"), str(tmp_path / "x.jsonl")][:2])
    assert [i for _, i in listing.files] == ["clean.txt"]
    assert [i for i, _ in listing.warnings] == ["photo.png"]


# --- items 6, 7: --output never destroys anything ----------------------------------------------


def test_output_over_a_named_input_is_refused(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(join(RIVER))
    b.write_text(join(MUSEUM))
    with pytest.raises(OutputError, match="input"):
        write_output(str(a), "report", inputs=[str(a), str(b)])
    os.symlink(a, tmp_path / "link.json")  # a symlink to an input is the input
    with pytest.raises(OutputError, match="input"):
        write_output(str(tmp_path / "link.json"), "report", inputs=[str(a), str(b)])
    assert a.read_text() == join(RIVER)


def test_output_over_a_file_a_scanned_folder_reads_is_refused(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text(join(RIVER))
    (tmp_path / "c" / "report.json").write_text("{}")
    with pytest.raises(OutputError, match="read from"):
        check_output_path(str(tmp_path / "c" / "a.txt"), [str(tmp_path / "c")])
    # Not read by the scan (extension, or new): accepted.
    check_output_path(str(tmp_path / "c" / "report.json"), [str(tmp_path / "c")])
    check_output_path(str(tmp_path / "c" / "new.txt"), [str(tmp_path / "c")])
    with pytest.raises(OutputError):
        check_output_path(str(tmp_path / "c" / "report.json"), [str(tmp_path / "c")], extensions=(".json",))


def test_output_over_the_index_or_its_wal_is_refused(tmp_path):
    idx = tmp_path / "idx.sqlite"
    with dedup.Index.open(str(idx)) as index:
        index.add([dedup.Document("a", join(RIVER))])
    (tmp_path / "idx.sqlite-wal").write_bytes(b"")
    for target in (idx, tmp_path / "idx.sqlite-wal"):
        with pytest.raises(OutputError, match="index"):
            write_output(str(target), "report", index=str(idx))
    with dedup.Index.open(str(idx), create=False) as index:
        assert index.document_ids() == ["a"]


def test_output_to_dev_null_keeps_the_device(tmp_path):
    before = os.stat("/dev/null")
    write_output("/dev/null", "report\n")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


@pytest.mark.skipif(os.geteuid() != 0, reason="only root could replace a device node; the case needs root")
def test_output_to_dev_stdout_as_root_writes_through(tmp_path):
    if not os.path.islink("/dev/stdout"):
        pytest.skip("/dev/stdout is not a symbolic link here")
    proc = subprocess.run(
        [sys.executable, "-c", "from dedup.io.atomic import write_output; write_output('/dev/stdout', 'hello\\n')"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello\n"
    assert os.path.islink("/dev/stdout")  # the /dev entry itself was not replaced by a file


def test_output_to_a_fifo_writes_in_place(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_output(str(fifo), "through the pipe\n")
    reader.join(timeout=30)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_to_a_symlink_keeps_the_link_and_writes_its_target(tmp_path):
    target = tmp_path / "reports" / "latest.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "report.json"
    os.symlink(target, link)
    write_output(str(link), "new")
    assert os.path.islink(link) and target.read_text() == "new"


def test_new_output_files_follow_the_umask_and_existing_ones_keep_their_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_output(str(tmp_path / "new.json"), "x")
        write_atomic(str(tmp_path / "baseline.json"), "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(tmp_path / "baseline.json").st_mode) == 0o640
    (tmp_path / "kept.json").write_text("x")
    os.chmod(tmp_path / "kept.json", 0o604)
    write_output(str(tmp_path / "kept.json"), "y")
    assert stat.S_IMODE(os.stat(tmp_path / "kept.json").st_mode) == 0o604


def test_output_into_a_missing_folder_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot write"):
        write_output(str(tmp_path / "nope" / "r.json"), "x")


# --- item 9: lone surrogates ------------------------------------------------------------------


def _surrogate_export(tmp_path: Path) -> Path:
    lines = [
        json.dumps({"id": "good-1", "text": join(RIVER)}),
        '{"id": "bad\\ud800id", "text": ' + json.dumps(join(MUSEUM))[:-1] + ' \\udfff"}',
        json.dumps({"id": "good-2", "text": join(MARKET)}),
        '{"id": "good-3", "text": ' + json.dumps(join(RIVER))[:-1] + '\\ud83d\\ude00"}',  # a valid pair
    ]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_lone_surrogates_are_replaced_and_every_record_is_kept(tmp_path):
    out = read_paths([str(_surrogate_export(tmp_path))])
    docs = {d.id: d for d in out.documents}
    assert sorted(docs) == ["bad\ufffdid", "good-1", "good-2", "good-3"]
    assert docs["bad\ufffdid"].text.endswith(" \ufffd")
    assert docs["good-3"].text.endswith("\U0001f600")
    assert [(w.path, w.message) for w in out.warnings] == [
        ("export.jsonl#2", "lone surrogate code point(s) replaced with U+FFFD")
    ]
    assert not out.errors


@pytest.mark.parametrize("fmt", ["json", "jsonl", "html", "csv", "sarif", "github"])
def test_lone_surrogates_never_break_an_output_format(tmp_path, fmt):
    _surrogate_export(tmp_path)
    proc = _run(tmp_path, "scan", "export.jsonl", "--format", fmt, "--jobs", "1")
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stdout  # decoded as strict UTF-8 by _run


def test_index_add_of_surrogate_records_keeps_the_good_ones(tmp_path):
    _surrogate_export(tmp_path)
    proc = _run(tmp_path, "index", "add", "export.jsonl", "--index", "idx.sqlite")
    assert proc.returncode == 0, proc.stderr
    with dedup.Index.open(str(tmp_path / "idx.sqlite"), create=False) as idx:
        assert idx.document_ids() == ["bad\ufffdid", "good-1", "good-2", "good-3"]


# --- item 12: nesting limits ------------------------------------------------------------------


def test_deeply_nested_json_lines_record_is_a_per_item_error(tmp_path):
    path = tmp_path / "deep.jsonl"
    deep = '{"id": "deep", "text": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}"
    edge = '{"id": "edge", "text": ' + json.dumps(join(MUSEUM)) + ', "n": ' + "[" * 127 + "]" * 127 + "}"
    path.write_text("\n".join([json.dumps({"id": "a", "text": join(RIVER)}), deep, edge]) + "\n", encoding="utf-8")
    out = read_paths([str(path)])
    assert [d.id for d in out.documents] == ["a", "edge"]  # 128 levels: still read
    assert [(e.path, e.message) for e in out.errors] == [
        ("deep.jsonl#2", f"nested deeper than {MAX_NESTING} levels (arrays/objects)")
    ]
    proc = _run(tmp_path, "scan", "deep.jsonl", "--format", "json", "--jobs", "1")
    assert proc.returncode in (0, 1) and "nested deeper" in proc.stdout


def test_the_nesting_limit_does_not_depend_on_the_stack_depth():
    text = "[" * 129 + "]" * 129

    def nested(n):
        if n:
            return nested(n - 1)
        with pytest.raises(ValueError, match="nested deeper"):
            load_json(text)
        return load_json("[" * 128 + "]" * 128)

    assert nested(700) is not None
    assert nested(0) is not None


def test_deeply_nested_baseline_is_a_clear_error(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text('{"dedup_baseline": 1, "accepted": ' + "[" * 50_000 + "]" * 50_000 + "}")
    with pytest.raises(InputError, match="nested deeper than 128"):
        Baseline.load(str(path))
    (tmp_path / "a.txt").write_text(join(RIVER))
    proc = _run(tmp_path, "check", "a.txt", "--index", "idx.sqlite", "--add", "--baseline", "baseline.json")
    assert proc.returncode == 2 and "nested deeper" in proc.stderr


def test_baseline_with_surrogate_ids_loads(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text('{"dedup_baseline": 1, "accepted": [{"a": "x\\ud800", "b": "y", "kind": "duplicate"}]}')
    assert [f.a for f in Baseline.load(str(path)).accepted] == ["x\ufffd"]


def test_toml_nesting_is_measured_without_parsing():
    deep = "a = " + "[" * 5000 + "]" * 5000
    assert too_deep(deep, "toml") and nesting_depth(deep, "toml") == 5000
    assert not too_deep('a = "[[[[" # [[[[\n[tool.dedup]\nb = [[1], {c = 2}]', "toml")
    assert nesting_depth("s = '''\n[[[\n'''\nt = [1]", "toml") == 1


# --- item 15: HTML nested 260 deep ------------------------------------------------------------


@pytest.mark.parametrize("depth", [260, 3000])
def test_html_nested_260_deep_still_yields_its_main_text(tmp_path, depth):
    pytest.importorskip("trafilatura")
    body = "".join(f"<p>{p}</p>" for p in RIVER)
    html = f"<html><body><nav>Home | News</nav>{'<div>' * depth}{body}{'</div>' * depth}</body></html>"
    (tmp_path / "deep.html").write_text(html, encoding="utf-8")
    (tmp_path / "copy.txt").write_text(join(RIVER), encoding="utf-8")
    out = read_paths([str(tmp_path / "deep.html"), str(tmp_path / "copy.txt")])
    assert not out.errors
    page = next(d for d in out.documents if d.id == "deep.html")
    assert page.text == join(RIVER) and "Home" not in page.text
    result = dedup.scan([str(tmp_path / "deep.html"), str(tmp_path / "copy.txt")], story=False)
    assert [(p.a, p.b, p.kind) for p in result.pairs] == [("copy.txt", "deep.html", "duplicate")]


def test_formats_encode_documents_with_control_and_format_characters(tmp_path):
    det = dedup.Detector(story=False)
    det.add("a\x1b[31m\u202e", join(RIVER) + "\x07\u2066")
    det.add("b\n::error::x", join(RIVER))
    result = det.run()
    for fmt in ("json", "jsonl", "html", "csv", "github", "sarif"):
        format_result(result, fmt).encode("utf-8")


def test_feed_with_surrogate_and_out_of_range_character_references_is_read(tmp_path):
    pytest.importorskip("feedparser")
    item = "<item><guid>g{n}&#xD800;</guid><title>t&#55296;</title><description>{text}&#x110000;</description></item>"
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
        + item.format(n=1, text=" ".join(RIVER))
        + item.format(n=2, text=" ".join(MUSEUM))
        + "</channel></rss>"
    )
    (tmp_path / "f.rss").write_text(feed, encoding="utf-8")
    out = read_paths([str(tmp_path / "f.rss")])
    assert sorted(d.id for d in out.documents) == ["g1\ufffd", "g2\ufffd"]
    assert all(d.meta["title"] == "t\ufffd" for d in out.documents)
    assert not out.errors
    proc = _run(tmp_path, "scan", "f.rss", "--format", "json", "--jobs", "1")
    assert proc.returncode in (0, 1) and "g1\ufffd" in proc.stdout
