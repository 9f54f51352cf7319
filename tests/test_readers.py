from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys

import pytest

from dedup import EmptyInputError, InputError, read_document, read_paths
from dedup.io.readers import collect_files, decode_bytes

from .conftest import ROOT


def test_utf8_bom_is_dropped_and_offsets_stay_on_text():
    text, warning = decode_bytes("\ufeffHello\r\nworld".encode())
    assert text == "Hello\r\nworld" and warning is None


def test_utf16_with_bom():
    text, warning = decode_bytes("Grüße\n".encode("utf-16"))
    assert text == "Grüße\n" and warning is None


def test_cp1252_fallback_warns():
    text, warning = decode_bytes("“smart” café".encode("cp1252"), "old.txt")
    assert text == "“smart” café"
    assert warning and "cp1252" in warning


def test_latin1_fallback_where_cp1252_has_holes():
    text, warning = decode_bytes(b"caf\xe9 \x81", "odd.txt")
    assert text == "café \x81" and "latin-1" in warning


def test_binary_is_refused_with_reason():
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "img.txt")


def test_empty_and_whitespace_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\n\t")
    with pytest.raises(EmptyInputError, match="empty file"):
        read_document(str(tmp_path / "empty.txt"))
    with pytest.raises(EmptyInputError, match="whitespace"):
        read_document(str(tmp_path / "blank.txt"))


def test_newlines_are_not_translated(tmp_path):
    p = tmp_path / "crlf.txt"
    p.write_bytes(b"one\r\ntwo\rthree\n")
    doc, _ = read_document(str(p))
    assert doc.text == "one\r\ntwo\rthree\n"


def test_ids_are_relative_with_slashes_and_sorted(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "sub" / "a.md").write_text("a")
    (tmp_path / "sub" / "deeper" / "c.txt").write_text("c")
    (tmp_path / "sub" / "skip.pdf").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "h.txt").write_text("h")
    ids = [i for _, i in collect_files([str(tmp_path)])]
    assert ids == ["b.txt", "sub/a.md", "sub/deeper/c.txt"]
    # Two files named directly: ids relative to their common folder.
    ids = [i for _, i in collect_files([str(tmp_path / "b.txt"), str(tmp_path / "sub" / "a.md")])]
    assert ids == ["b.txt", "sub/a.md"]


def test_missing_path_raises(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_paths([str(tmp_path / "nope")])


def test_read_paths_keeps_going_after_bad_files(tmp_path):
    (tmp_path / "good.txt").write_text("Some good text here.")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "old.txt").write_bytes("na\xefve caf\xe9".encode("latin-1"))
    out = read_paths([str(tmp_path)])
    assert [d.id for d in out.documents] == ["good.txt", "old.txt"]
    assert {(e.path, e.message.split(" ")[0]) for e in out.errors} == {("bin.txt", "binary"), ("empty.txt", "empty")}
    assert [w.path for w in out.warnings] == ["old.txt"]


def _drop_file_read_override() -> None:
    """In the child: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH so that even
    root gets EACCES on a mode-000 file (prctl PR_CAPBSET_DROP before exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_unreadable_file_reported_by_cli(tmp_path):
    """A real permission-denied file next to a binary and an empty file."""
    from .texts import RIVER, join

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(join(RIVER))
    secret = tmp_path / "secret.txt"
    secret.write_text("private words")
    secret.chmod(0o000)
    (tmp_path / "bin.txt").write_bytes(b"\x7fELF\x00\x00binary")
    (tmp_path / "empty.txt").write_bytes(b"")
    cmd = [sys.executable, "-m", "dedup", "scan", "--format", "json", str(tmp_path)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    preexec = None
    if os.geteuid() == 0:
        preexec = _drop_file_read_override
        probe = subprocess.run(["cat", str(secret)], preexec_fn=preexec, capture_output=True)
        if probe.returncode == 0:
            pytest.skip("cannot make a file unreadable for root on this system")
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(ROOT), preexec_fn=preexec)
    except OSError as exc:
        pytest.skip(f"cannot drop file-read capabilities here: {exc}")
    finally:
        secret.chmod(0o600)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    errors = {e["path"]: e["error"] for e in data["errors"]}
    assert errors == {
        "secret.txt": "Permission denied",
        "bin.txt": "binary file (contains NUL bytes)",
        "empty.txt": "empty file",
    }
    assert [(p["a"], p["b"], p["kind"]) for p in data["pairs"]] == [("a.txt", "b.txt", "duplicate")]
    assert "dedup: error: secret.txt: Permission denied" in proc.stderr
