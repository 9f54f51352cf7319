"""Defaults of every command's options from the settings file.

A key of the settings file (see :mod:`dedup.settings_file`) sets the default
of every option of that name, in every command that has one; a key no
command knows is an error naming the file.
"""

from __future__ import annotations

from typing import Any

import click

from ..errors import ConfigError
from ..settings_file import find_settings

__all__ = ["SETTINGS_KEY", "file_default_map"]

#: Where the :class:`~dedup.settings_file.FileSettings` found are kept in ``ctx.meta``.
SETTINGS_KEY = "dedup.settings_file"


def _walk(command: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = [(prefix, command)]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            out.extend(_walk(sub, (*prefix, name)))
    return out


def file_default_map(ctx: click.Context) -> dict[str, Any] | None:
    """A click ``default_map`` from the settings file that applies in the current folder.

    Raises:
        ConfigError: The file cannot be read, or holds a key no command knows.
    """
    fs = find_settings()
    ctx.meta[SETTINGS_KEY] = fs
    if not fs.values:
        return None
    root: dict[str, Any] = {}
    used: set[str] = set()
    for path, command in _walk(ctx.command):
        if not path:
            continue
        names = {p.name for p in command.params if isinstance(p, click.Option)}
        hits = {k: v for k, v in fs.values.items() if k in names}
        if not hits:
            continue
        node = root
        for part in path:
            node = node.setdefault(part, {})
        node.update(hits)
        used.update(hits)
    unknown = sorted(set(fs.values) - used)
    if unknown:
        raise ConfigError(f"{fs.source}: unknown setting(s): {', '.join(unknown)}")
    return root
