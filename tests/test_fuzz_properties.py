"""Hostile-input properties: no exception on any input, offsets always valid."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Detector, InputError
from dedup.io.readers import decode_bytes
from dedup.normalize import normalize, tokens
from dedup.segment import segment


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_normalize_any_text(text):
    out = normalize(text)
    assert out == out.strip() and "  " not in out
    assert all(t for t in tokens(out))


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_segment_any_text(text):
    last = 0
    for s, e in segment(text):
        assert last <= s < e <= len(text)
        assert text[s:e].strip() == text[s:e]
        last = e


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=512))
def test_decode_any_bytes(data):
    try:
        text, warning = decode_bytes(data, "f.txt")
    except InputError as exc:
        assert exc.path == "f.txt" and exc.reason
    else:
        assert isinstance(text, str)
        assert warning is None or "decoded as" in warning


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=400), min_size=1, max_size=5))
def test_detector_any_documents(texts):
    det = Detector(min_tokens=1)
    for i, t in enumerate(texts + texts[:1]):
        det.add(f"d{i}", t)
    result = det.run()
    for p in result.passages:
        assert result.text(p.a) and result.text(p.b)
    assert result.to_dict()["schema"] == 1
