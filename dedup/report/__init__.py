"""Rendering scan results."""

from .formatters import FORMATS, format_result, to_csv, to_json, to_jsonl, to_table

__all__ = ["FORMATS", "format_result", "to_csv", "to_json", "to_jsonl", "to_table"]
