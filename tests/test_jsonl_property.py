"""Property: JSON Lines with arbitrary Unicode and nesting never traceback and keep every good record.

Issue 17 asks for a property over JSON Lines with arbitrary Unicode
(surrogates, control and format characters included) and arbitrary nesting:
the reader raises nothing, every good record becomes a document with its
text (lone surrogates as U+FFFD), every bad line is exactly one error, and
the result encodes in every output format.
"""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedup
from dedup.io.jsonl import read_jsonl
from dedup.io.nesting import MAX_NESTING
from dedup.io.sources import ReaderOptions
from dedup.report.formatters import format_result

_SURROGATE = re.compile("[\ud800-\udfff]")

#: Characters the probe found dangerous, drawn often; the rest of Unicode (surrogates included) too.
_NASTY = (
    [chr(c) for c in range(0xD7FE, 0xD804)]
    + [chr(c) for c in range(0xDBFE, 0xDC03)]
    + [chr(c) for c in range(0x20)]
    + ["\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\u2066", "\u2060", "\ufeff", "\U000e0020", "\u0301", "\x1b"]
    + ['"', "\\", "{", "[", "]", "}", ":"]
)
chars = st.one_of(st.characters(exclude_categories=()), st.sampled_from(_NASTY))
text = st.text(alphabet=chars, max_size=60)


def _nested(depth: int, leaf: str) -> object:
    value: object = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


good_record = st.fixed_dictionaries(
    {
        "id": st.text(alphabet=chars, min_size=1, max_size=20),
        "text": text.filter(lambda t: t.strip()),
        "extra": st.builds(_nested, st.integers(0, MAX_NESTING - 2), text),
        "ascii": st.booleans(),
    }
)
bad_line = st.one_of(
    # Never JSON; as a UTF-8 file holds it (no newline, no lone surrogate).
    text.map(lambda t: "#" + _SURROGATE.sub("\ufffd", t.replace("\n", " "))),
    st.integers(MAX_NESTING + 1, 4000).map(lambda n: '{"id": "deep", "text": "t", "n": ' + "[" * n + "]" * n + "}"),
    st.integers(MAX_NESTING, 4000).map(lambda n: "[" * n),  # unterminated
    st.sampled_from(["1", '"s"', "[1, 2]", "null", '{"id": "x"}', '{"text": 5}', '{"text": "   "}']),
)


def _expected(value: str) -> str:
    # What JSON round-trips to (a surrogate pair written as two escapes joins up), then U+FFFD.
    return _SURROGATE.sub("\ufffd", json.loads(json.dumps(value)))


def _line(rec: dict) -> str | None:
    obj = {"id": rec["id"], "text": rec["text"], "extra": rec["extra"]}
    raw = json.dumps(obj, ensure_ascii=rec["ascii"])
    # Raw U+2028/U+0085 stay inside the line (JSON allows them); a raw newline cannot occur.
    if not rec["ascii"] and _SURROGATE.search(raw):
        raw = json.dumps(obj)  # a raw lone surrogate cannot be written as UTF-8 at all
    return raw


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    st.lists(good_record, max_size=12, unique_by=lambda r: _expected(r["id"])),
    st.lists(bad_line, max_size=8),
    st.randoms(use_true_random=False),
)
def test_every_good_record_is_kept_and_every_bad_line_is_one_error(goods, bads, rnd):
    lines = [(_line(r), r) for r in goods] + [(b, None) for b in bads]
    rnd.shuffle(lines)
    content = "\n".join(line for line, _ in lines) + "\n"
    content = content.encode("utf-8").decode("utf-8")  # the file is valid UTF-8 (a ValueError otherwise)
    out = read_jsonl(content, "x.jsonl", "x.jsonl", ReaderOptions())
    docs = {d.id: d for d in out.documents}
    for rec in goods:
        doc = docs[_expected(rec["id"])]
        assert doc.text == _expected(rec["text"])
    assert len(out.documents) == len(goods)
    assert len(out.errors) == len(bads)
    for d in out.documents:
        d.id.encode("utf-8")
        d.text.encode("utf-8")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(good_record, min_size=1, max_size=5, unique_by=lambda r: _expected(r["id"])))
def test_records_of_any_unicode_encode_in_every_output_format(goods):
    content = "\n".join(_line(r) for r in goods) + "\n"
    out = read_jsonl(content, "x.jsonl", "x.jsonl", ReaderOptions())
    det = dedup.Detector(story=False)
    for d in out.documents:
        det.add_document(d)
    result = det.run()
    for fmt in ("json", "jsonl", "csv", "html", "github", "sarif", "table"):
        format_result(result, fmt).encode("utf-8")
