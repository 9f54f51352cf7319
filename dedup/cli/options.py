"""Command-line options generated from the fields of :class:`~dedup.config.Config`.

Every setting gets a flag named after its field (``near_min_tokens`` becomes
``--near-min-tokens``; :data:`~dedup.config.SETTING_FLAGS` renames a few), a
click type derived from the field's annotation (``bool`` becomes an on/off
pair, a ``Literal`` a choice), the help of :data:`~dedup.config.SETTING_HELP`
and the default of ``Config()``. A field added to ``Config`` gets a flag with
no change here.

Every generated option defaults to ``None`` ("not given"), so that the
settings file and the library defaults apply; the help text shows the value
``Config()`` uses.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable
from typing import Any

import click

from ..config import INTERNAL_SETTINGS, PATH_SETTINGS, SETTING_FLAGS, SETTING_HELP, Config
from ..io.readers import DEFAULT_EXTENSIONS
from ..io.sources import ReaderOptions

__all__ = ["CLI_DEFAULTS", "reader_options", "setting_fields", "setting_option", "settings_options"]

#: Settings whose command-line default differs from the library's.
CLI_DEFAULTS: dict[str, Any] = {"jobs": 0}

#: Short flags of some settings.
_SHORT = {"jobs": "-j"}


def setting_fields() -> list[dataclasses.Field[Any]]:
    """The :class:`Config` fields a user can set, in declaration order."""
    return [f for f in dataclasses.fields(Config) if f.name not in INTERNAL_SETTINGS]


def _docstring_help(name: str) -> str:
    """First sentence of ``name``'s entry in the ``Args:`` section of ``Config``'s docstring."""
    doc = Config.__doc__ or ""
    m = re.search(rf"^\s+{re.escape(name)}: (.+?)(?=^\s+\w+: |\Z)", doc, re.S | re.M)
    if not m:
        return f"The {name} setting (see dedup.Config)."
    text = " ".join(m.group(1).split())
    end = re.search(r"(?<!e\.g)(?<!i\.e)\.(\s|$)", text)
    return text[: end.start() + 1] if end else text


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def _show_default(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def setting_option(f: dataclasses.Field[Any], hint: Any) -> Callable[[Any], Any]:
    """The click option of one :class:`Config` field."""
    name = f.name
    flag = "--" + SETTING_FLAGS.get(name, name).replace("_", "-")
    help_text = SETTING_HELP.get(name) or _docstring_help(name)
    if name in CLI_DEFAULTS:
        default = CLI_DEFAULTS[name]
    elif f.default is not dataclasses.MISSING:
        default = f.default  # before __post_init__ resolves it (shingle_size: None = per shingle kind)
    else:
        default = getattr(Config(), name)
    base, optional = _unwrap_optional(hint)
    decls = [flag, *([_SHORT[name]] if name in _SHORT else []), name]
    kind: Any
    if base is bool:
        return click.option(
            f"{flag}/--no-{flag[2:]}", name, default=None, help=f"{help_text} [default: {_show_default(default)}]"
        )
    if typing.get_origin(base) is typing.Literal:
        kind = click.Choice([str(a) for a in typing.get_args(base)])
    elif name in PATH_SETTINGS:
        kind = click.Path(exists=True)
    elif base is int:
        kind = int
    elif base is float:
        kind = float
    else:
        kind = str
    if default is None and optional:
        suffix = "" if "default" in help_text else " [default: none]"
    else:
        suffix = f" [default: {_show_default(default)}]"
    return click.option(*decls, type=kind, default=None, help=help_text + suffix)


def settings_options(func: Any) -> Any:
    """Add one option per :class:`Config` field; the command receives them as keyword arguments.

    A value of ``None`` means "not given on the command line nor in the
    settings file". :data:`CLI_DEFAULTS` are filled in for ``None`` values
    before the command runs.
    """
    hints = typing.get_type_hints(Config)

    @functools.wraps(func)
    def with_defaults(*args: Any, **kwargs: Any) -> Any:
        for key, value in CLI_DEFAULTS.items():
            if kwargs.get(key) is None:
                kwargs[key] = value
        return func(*args, **kwargs)

    wrapped: Any = with_defaults
    for f in reversed(setting_fields()):
        wrapped = setting_option(f, hints[f.name])(wrapped)
    return wrapped


def reader_options(func: Any) -> Any:
    """Add the reader options; the command receives them as one ``reader: ReaderOptions``."""

    @functools.wraps(func)
    def with_reader(
        *args: Any,
        text_field: str,
        id_field: str,
        title_field: str,
        date_field: str,
        max_file_size: int,
        follow_symlinks: bool,
        **kwargs: Any,
    ) -> Any:
        reader = ReaderOptions(text_field, id_field, title_field, date_field, max_file_size, follow_symlinks)
        return func(*args, reader=reader, **kwargs)

    options = [
        click.option("--text-field", default="text", show_default=True, help="JSON Lines field holding the text."),
        click.option("--id-field", default="id", show_default=True, help="JSON Lines field holding the document id."),
        click.option("--title-field", default="title", show_default=True, help="JSON Lines field holding the title."),
        click.option("--date-field", default="date", show_default=True, help="JSON Lines field holding the date."),
        click.option(
            "--max-file-size",
            type=click.IntRange(1),
            default=ReaderOptions.max_file_size,
            show_default=True,
            help="Bytes; larger files are reported as errors without being read.",
        ),
        click.option(
            "--follow-symlinks",
            is_flag=True,
            help="Read symbolic links inside scanned folders even when they point outside them "
            "(skipped with a warning by default).",
        ),
    ]
    wrapped: Any = with_reader
    for opt in reversed(options):
        wrapped = opt(wrapped)
    return wrapped


#: Help of ``--ext`` where folders are read as text.
EXT_HELP = "File endings read from folders (repeatable), e.g. --ext .md --ext .html."


def ext_option(help: str = EXT_HELP) -> Callable[[Any], Any]:
    """``--ext`` (repeatable; the command receives ``extensions``)."""
    return click.option("--ext", "extensions", multiple=True, default=DEFAULT_EXTENSIONS, show_default=True, help=help)


def listing_format_option(help: str) -> Callable[[Any], Any]:
    """``--format text|json`` of a listing command (the command receives ``output_format``)."""
    return click.option(
        "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help=help
    )
