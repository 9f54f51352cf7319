"""Rendering scan results."""

from .diff import WordDiff, diff_words
from .formatters import FORMATS, format_result, to_csv, to_json, to_jsonl, to_table
from .html import to_html

__all__ = [
    "FORMATS",
    "WordDiff",
    "diff_words",
    "format_result",
    "to_csv",
    "to_html",
    "to_json",
    "to_jsonl",
    "to_table",
]
