from __future__ import annotations

import os
import subprocess
import sys

import pytest

import dedup
from dedup import Config, Detector, InputError

from .conftest import EXAMPLES, ROOT
from .texts import RIVER, join


def test_public_api_is_listed_and_documented():
    for name in dedup.__all__:
        obj = getattr(dedup, name)
        if callable(obj):
            assert obj.__doc__, name


def test_library_does_not_import_click():
    code = "import sys, dedup; dedup.scan(sys.argv[1]); print('click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLES)], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


def test_detector_with_texts_and_paths(tmp_path):
    (tmp_path / "copy.txt").write_text(join(RIVER))
    det = Detector(Config(), threshold=0.6)
    assert det.config.threshold == 0.6
    det.add("mem:river", join(RIVER), date="2024-05-01")
    assert det.add_paths([str(tmp_path)]) == 1
    result = det.run()
    assert [(p.a, p.b, p.kind) for p in result.pairs] == [("copy.txt", "mem:river", "duplicate")]
    assert result.document("mem:river").date == "2024-05-01"
    assert result.to_dict()["documents"][1] == {
        "id": "mem:river",
        "chars": len(join(RIVER)),
        "paragraphs": 5,
        "date": "2024-05-01",
    }


def test_duplicate_ids_are_refused():
    det = Detector()
    det.add("x", "text")
    with pytest.raises(InputError, match="duplicate document id"):
        det.add("x", "other")


def test_scan_accepts_one_path_or_many():
    one = dedup.scan(str(EXAMPLES))
    many = dedup.scan([str(p) for p in sorted(EXAMPLES.iterdir())])
    assert one.to_dict() == many.to_dict()


def test_text_of_span_is_original_text():
    r = dedup.scan(str(EXAMPLES))
    for p in r.passages:
        assert r.text(p.a) == r.document(p.a.doc).text[p.a.start : p.a.end]


def test_example_script_runs():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "api_example.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "near_duplicate  coastal-courier-bridge.txt <-> harbor-bridge.md" in proc.stdout
