"""Limits for untrusted JSON and TOML: nesting depth and lone surrogates.

Python's JSON and TOML parsers recurse once per nesting level, so a record
like ``[[[[...]]]]`` 1,000 levels deep ends in ``RecursionError`` (at a depth
that depends on how deep the caller's stack already is). :func:`load_json`
refuses a JSON value nested deeper than the limit whatever the stack depth,
and :func:`too_deep` measures TOML/JSON text without parsing, in linear time,
so callers can refuse such input with a per-item error *before* parsing. :data:`MAX_NESTING` is the
limit every reader uses (serde_json's default; real exports nest a handful of
levels).

JSON may also hold ``"\\ud800"``: a lone surrogate, a string Python accepts
but no UTF-8 writer does. :func:`replace_surrogates` turns each into U+FFFD.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

__all__ = ["MAX_NESTING", "load_json", "nesting_depth", "replace_surrogates", "too_deep", "value_depth"]

#: Deepest nesting of arrays/objects (JSON) or arrays/inline tables (TOML) read.
MAX_NESTING = 128

# Strings (skipped: brackets inside them do not nest), then the brackets.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
_TOML_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?(?:"""|$)|\'\'\'.*?(?:\'\'\'|$)|"(?:[^"\\\n]|\\.)*"?|\'[^\'\n]*\'?|#[^\n]*|[\[\]{}]',
    re.DOTALL,
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def nesting_depth(text: str, syntax: Literal["json", "toml"] = "json") -> int:
    """The deepest bracket nesting of JSON or TOML text, outside strings and comments.

    Linear in the text; nothing is parsed. Unbalanced text gives the deepest
    point reached.

    Args:
        text: The document.
        syntax: ``"json"`` or ``"toml"`` (adds ``'...'``, triple-quoted strings and ``#`` comments).

    Returns:
        The maximum depth (``0`` for a scalar).

    Example:
        >>> nesting_depth('{"a": [1, {"b": "[[["}]}')
        3
        >>> nesting_depth("[" * 5000)
        5000
        >>> nesting_depth("a = [[1], {x = '[['}]  # [[[", "toml")
        2
    """
    tokens = _TOML_TOKENS if syntax == "toml" else _JSON_TOKENS
    depth = deepest = 0
    for m in tokens.finditer(text):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


def value_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON/TOML value (iterative: no recursion).

    Example:
        >>> value_depth({"a": [1, {"b": []}]}), value_depth("x")
        (4, 0)
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children: Any = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def load_json(text: str, limit: int = MAX_NESTING) -> Any:
    """``json.loads`` that refuses nesting deeper than ``limit`` with a ``ValueError``.

    The outcome does not depend on the caller's stack depth: a value nested
    more than ``limit`` levels is always refused, one within it always read.

    Raises:
        ValueError: ``"not valid JSON: ..."`` or ``"nested deeper than N levels"``.

    Example:
        >>> load_json('{"a": [1]}')
        {'a': [1]}
        >>> load_json("[" * 2000 + "]" * 2000)
        Traceback (most recent call last):
        ValueError: nested deeper than 128 levels (arrays/objects)
    """
    too_deep_msg = f"nested deeper than {limit} levels (arrays/objects)"
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(too_deep_msg) from None
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if value_depth(value) > limit:
        raise ValueError(too_deep_msg)
    return value


def too_deep(text: str, syntax: Literal["json", "toml"] = "json", limit: int = MAX_NESTING) -> bool:
    """Whether ``text`` nests deeper than ``limit`` (see :func:`nesting_depth`).

    Text with at most ``limit`` opening brackets is answered without a scan.

    Example:
        >>> too_deep('{"a": [1, 2]}'), too_deep("[" * 129 + "]" * 129)
        (False, True)
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    return nesting_depth(text, syntax) > limit


def replace_surrogates(value: Any) -> tuple[Any, bool]:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD.

    Args:
        value: A parsed JSON value (strings, numbers, lists, dicts of at most
            :data:`MAX_NESTING` levels).

    Returns:
        ``(cleaned, changed)``.

    Example:
        >>> replace_surrogates({"id": "a\\ud800", "n": [1, "\\udfff"]})
        ({'id': 'a�', 'n': [1, '�']}, True)
    """
    if isinstance(value, str):
        if value.isascii() or _SURROGATE.search(value) is None:
            return value, False
        return _SURROGATE.sub("\ufffd", value), True
    if isinstance(value, list):
        items = [replace_surrogates(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    if isinstance(value, dict):
        changed = False
        out: dict[Any, Any] = {}
        for k, v in value.items():
            k2, ck = replace_surrogates(k)
            v2, cv = replace_surrogates(v)
            out[k2] = v2
            changed = changed or ck or cv
        return out, changed
    return value, False
