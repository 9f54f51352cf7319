"""Hostile input and interruption: nothing crashes, nothing is lost, nothing escapes.

Every test builds real files (and real processes) in a temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

import dedup
from dedup.check import Index
from dedup.io import readers
from dedup.io.readers import read_paths
from dedup.segment import MAX_PARAGRAPH_CHARS

from .conftest import ROOT
from .texts import MARKET, MUSEUM, RIVER, join

ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def run_scan(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dedup", "scan", "--format", "json", *args],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        env=ENV,
        timeout=timeout,
    )


def test_hostile_folder_each_file_gets_a_reason_and_the_run_goes_on(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text(join(RIVER))
    (d / "copy with spaces.txt").write_text(join(RIVER))
    (d / "bin.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (d / "nul.txt").write_bytes(b"text with a \x00 NUL byte in the middle")
    (d / "blank.txt").write_text("  \n\n\t \r\n")
    (d / "latin1.txt").write_bytes(join(MUSEUM).replace("fossils", "fossils caf\xe9").encode("latin-1"))
    (d / "utf16.txt").write_bytes(join(MARKET).encode("utf-16"))
    (d / "mixed-newlines.txt").write_bytes(b"first line here\r\nsecond line\rthird line\n\nlast")
    (d / "loop1.txt").symlink_to(d / "loop2.txt")
    (d / "loop2.txt").symlink_to(d / "loop1.txt")
    (d / "sub").mkdir()
    (d / "sub" / "back").symlink_to(d, target_is_directory=True)  # a folder symlink loop
    os.mkfifo(d / "pipe.txt")  # would block a naive reader forever
    bad_name = os.fsencode(str(d)) + b"/caf\xe9\nname.txt"  # not UTF-8, with a newline
    with open(bad_name, "wb") as fh:
        fh.write(join(MARKET).encode())
    proc = run_scan(str(d), timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # valid JSON despite the odd names
    errors = {e["path"]: e["error"] for e in data["errors"]}
    assert errors["bin.txt"].startswith("binary file")
    assert errors["nul.txt"].startswith("binary file")
    assert errors["blank.txt"] == "no text (only whitespace)"
    assert errors["loop1.txt"] == errors["loop2.txt"] == "Too many levels of symbolic links"
    assert errors["pipe.txt"] == "not a regular file (a FIFO)"
    warnings = {w["path"]: w["warning"] for w in data["warnings"]}
    assert warnings == {"latin1.txt": "not valid UTF-8; decoded as cp1252"}
    ids = {doc["id"] for doc in data["documents"]}
    assert {"a.txt", "copy with spaces.txt", "utf16.txt", "mixed-newlines.txt", "caf\\xe9\nname.txt"} <= ids
    kinds = {(p["a"], p["b"]): p["kind"] for p in data["pairs"]}
    assert kinds[("a.txt", "copy with spaces.txt")] == "duplicate"
    assert kinds[("caf\\xe9\nname.txt", "utf16.txt")] == "duplicate"
    assert not any("sub/" in i for i in ids | set(errors))  # the folder loop was not followed


def test_file_vanishing_between_listing_and_reading(tmp_path, monkeypatch):
    (tmp_path / "stays.txt").write_text(join(RIVER))
    (tmp_path / "goes.txt").write_text(join(MUSEUM))
    listed = readers.collect_inputs

    def list_then_delete(*args, **kwargs):
        files = listed(*args, **kwargs)
        os.unlink(tmp_path / "goes.txt")  # removed after the folder was listed
        return files

    monkeypatch.setattr(readers, "collect_inputs", list_then_delete)
    out = read_paths([str(tmp_path)])
    assert [d.id for d in out.documents] == ["stays.txt"]
    assert [(e.path, e.message) for e in out.errors] == [("goes.txt", "No such file or directory")]


def test_200_mb_file_is_refused_with_bounded_memory(tmp_path):
    big = tmp_path / "big.txt"
    chunk = (join(RIVER) + "\n\n").encode() * 800  # ~1 MB of real text
    with open(big, "wb") as fh:
        while fh.tell() < 200 * 1024 * 1024:
            fh.write(chunk)
    (tmp_path / "small.txt").write_text(join(MARKET))
    code = (
        "import resource, sys\n"
        "from dedup.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    print('RSS_MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)\n"
    )

    def scan(folder):
        proc = subprocess.run(
            [sys.executable, "-c", code, "scan", "--format", "json", str(folder)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout), float(proc.stderr.rsplit("RSS_MB", 1)[1])

    data, rss = scan(tmp_path)
    (err,) = data["errors"]
    assert err["path"] == "big.txt" and err["error"].startswith("file too large: ")
    assert "--max-file-size" in err["error"]
    assert [d["id"] for d in data["documents"]] == ["small.txt"]
    # The file was never read: peak memory is that of a scan without it (plus noise),
    # far below the 200 MB a read would cost.
    big.unlink()
    _, baseline = scan(tmp_path)
    assert rss - baseline < 50, (rss, baseline)


def test_single_50_mb_line_is_cut_into_bounded_paragraphs(tmp_path):
    words = " ".join(join(MUSEUM + MARKET + RIVER).split())
    line = (words + " ") * (50 * 1024 * 1024 // (len(words) + 1))
    (tmp_path / "line.txt").write_text(line)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, resource, sys, dedup;"
            "r = dedup.scan(sys.argv[1], story=False);"
            "d = r.to_dict();"
            "print(json.dumps({'paragraphs': d['documents'][0]['paragraphs'],"
            " 'passages': len(d['passages']),"
            " 'max_span': max((p[s]['end'] - p[s]['start'] for p in d['passages'] for s in 'ab'), default=0),"
            " 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got["paragraphs"] >= len(line) // MAX_PARAGRAPH_CHARS
    # The text repeats, so pieces repeat: passages are found, each span bounded by the cut.
    assert got["passages"] > 0
    assert got["rss_mb"] < 3000, got


def test_100000_tiny_files(tmp_path):
    import random

    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(50_000)]
    d = tmp_path / "many"
    d.mkdir()
    for i in range(100_000):
        sub = d / f"{i % 100:02d}"
        if i < 100:
            sub.mkdir()
        (sub / f"{i}.txt").write_text(f"Note {i}: " + " ".join(rng.choices(vocab, k=8)))
    # Two planted copies among them.
    (d / "00" / "copy-a.txt").write_text(join(RIVER))
    (d / "99" / "copy-b.txt").write_text(join(RIVER))
    proc = run_scan("--no-story", str(d), timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert len(data["documents"]) == 100_002 and data["errors"] == []
    assert [(p["a"], p["b"], p["kind"]) for p in data["pairs"]] == [("00/copy-a.txt", "99/copy-b.txt", "duplicate")]


MALFORMED = {
    "broken.jsonl": b'{"id": "ok", "text": "A fine record with enough words in it."}\n{"id": "x", "text": \n[1, 2\n',
    "notxml.rss": b"<rss><channel><item><title>unclosed",
    "binary.atom": b"\x00\x01\x02\x03 not a feed",
    "empty.xml": b"",
    "broken.html": b"<html><body><p>Unclosed <b>tags <script>while(1){}</script><div>",
}


def test_malformed_structured_inputs(tmp_path):
    pytest.importorskip("feedparser", reason="the feeds extra is not installed")
    pytest.importorskip("trafilatura", reason="the html extra is not installed")
    for name, data in MALFORMED.items():
        (tmp_path / name).write_bytes(data)
    proc = run_scan(*[str(tmp_path / n) for n in MALFORMED], timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    errors = {e["path"]: e["error"] for e in data["errors"]}
    assert "broken.jsonl#2" in errors and "broken.jsonl#3" in errors
    assert {"binary.atom", "empty.xml"} <= set(errors)
    ids = {d["id"] for d in data["documents"]}
    assert "ok" in ids  # the good line of the broken export is kept
    for name in ("notxml.rss", "broken.html"):  # parsed leniently, or refused with a reason
        assert name in errors or any(i.startswith(name) or i in ids for i in ids)


def test_xml_entities_are_not_expanded_and_nothing_is_fetched(tmp_path, monkeypatch):
    pytest.importorskip("feedparser", reason="the feeds extra is not installed")
    lol = "".join(f'<!ENTITY l{i} "' + (f"&l{i - 1};" if i > 1 else "lol") * 10 + '">' for i in range(1, 10))
    feed = (
        f'<?xml version="1.0"?><!DOCTYPE r [{lol}<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        '<!ENTITY remote SYSTEM "http://198.51.100.1/x">]>'
        '<rss version="2.0"><channel><title>t</title><link>http://198.51.100.1/</link>'
        "<item><guid>g1</guid><link>http://198.51.100.1/a</link>"
        "<description>start &l9; &xxe; &remote; end of the entry text</description></item>"
        "</channel></rss>"
    )
    (tmp_path / "feed.rss").write_text(feed)

    def no_network(*args, **kwargs):
        raise AssertionError("a reader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    out = read_paths([str(tmp_path / "feed.rss")])
    (doc,) = out.documents
    assert len(doc.text) < 200  # not a billion laughs
    assert "root:" not in doc.text  # /etc/passwd was not read


def test_sigint_during_index_add_keeps_the_index(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "r.txt").write_text(join(RIVER))
    (second / "m.txt").write_text(join(MUSEUM))
    path = str(tmp_path / "idx.sqlite")
    cmd = [sys.executable, "-m", "dedup", "index", "add", "--index", path]
    assert subprocess.run([*cmd, str(first)], env=ENV, capture_output=True).returncode == 0
    proc = subprocess.Popen(
        [*cmd, str(second)],
        env=dict(ENV, DEDUP_TEST_ADD_DELAY="60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stderr.readline()
    assert line.startswith("dedup-test: in transaction"), line
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    with Index.open(path, verify="full") as idx:
        assert idx.document_ids() == ["r.txt"]


def test_corrupted_index_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "idx.sqlite"
    with Index.open(str(path)) as idx:
        idx.add([dedup.Document("a", join(RIVER)), dedup.Document("b", join(MUSEUM))])
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 4096] = os.urandom(4096)  # damage a page in the middle
    path.write_bytes(bytes(raw))
    proc = subprocess.run(
        [sys.executable, "-m", "dedup", "index", "info", "--index", str(path)],
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and str(path) in proc.stderr


def test_max_file_size_flag(tmp_path):
    (tmp_path / "a.txt").write_text(join(RIVER))
    (tmp_path / "b.txt").write_text(join(RIVER))
    proc = run_scan("--max-file-size", "500", str(tmp_path))
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["documents"] == []
    assert {e["path"] for e in data["errors"]} == {"a.txt", "b.txt"}
    assert all("limit 500" in e["error"] for e in data["errors"])
    ok = json.loads(run_scan("--max-file-size", str(10**6), str(tmp_path)).stdout)
    assert [p["kind"] for p in ok["pairs"]] == ["duplicate"]
