"""One sanitiser for everything that reaches a terminal or a CI log.

File names, document ids and document text are attacker-controlled: a file
named ``x\\n::error::INJECTED`` or a text holding ``ESC]0;title BEL`` must not
start a GitHub workflow command or drive the terminal. :func:`visible` turns
every control, format and line/paragraph-separator character into a visible
escape and defuses a leading ``::``, so its result is one harmless line.

Examples:
    >>> visible("a.txt")
    'a.txt'
    >>> visible("x\\n::error::boom")
    'x\\\\n::error::boom'
    >>> visible("::warning::x")
    '\\\\x3a:warning::x'
    >>> visible("\\x1b[31mred\\x1b[0m")
    '\\\\x1b[31mred\\\\x1b[0m'
    >>> visible("caf\\u00e9 \\u202etxt")
    'café \\\\u202etxt'
"""

from __future__ import annotations

import unicodedata

__all__ = ["visible", "visible_lines"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    cp = ord(ch)
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _unsafe(ch: str) -> bool:
    # Cc (C0/C1 controls, DEL), Cf (format: bidi overrides, zero-width), Cs (lone
    # surrogates), Zl/Zp (line and paragraph separators), Co/Cn are left alone.
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def visible(text: str, *, keep_tabs: bool = False) -> str:
    """``text`` as one printable line: control/format characters escaped.

    Args:
        text: Any string (ids, file names, document text).
        keep_tabs: Leave tab characters as they are.

    Returns:
        The text with every ``Cc``/``Cf``/``Cs``/``Zl``/``Zp`` character written
        as ``\\n``, ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``, and a leading ``::``
        written as ``\\x3a:`` so that no CI runner reads it as a command.
    """
    if text.isprintable() and not text.startswith("::"):
        return text
    out = "".join(_escape(ch) if _unsafe(ch) and not (keep_tabs and ch == "\t") else ch for ch in text)
    if out.lstrip().startswith("::"):
        i = len(out) - len(out.lstrip())
        out = out[:i] + "\\x3a" + out[i + 1 :]
    return out


def visible_lines(text: str) -> str:
    """Multi-line ``text`` with every line made safe by :func:`visible` (newlines kept)."""
    return "\n".join(visible(line, keep_tabs=True) for line in text.split("\n"))
