"""What every ``dedup`` command shares: exit codes, errors, messages on stderr, output.

Everything that reaches stderr or the terminal from here goes through
:func:`dedup.report.sanitize.visible`: ids, file names and texts are
attacker-controlled, and no line may start a CI workflow command or carry a
terminal escape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import click

from ..config import Config
from ..io.atomic import check_output_path, write_output
from ..io.readers import DEFAULT_EXTENSIONS
from ..models import Document, InputProblem
from ..report.sanitize import visible, visible_lines

__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_FOUND",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "STDIN",
    "InternalError",
    "UsageError",
    "emit",
    "is_tty",
    "make_config",
    "print_problems",
    "read_stdin",
    "say",
    "split_stdin",
]

#: The run finished (unreadable files are listed under "errors").
EXIT_OK = 0
#: ``dedup check``: findings that fail the check.
EXIT_FOUND = 1
#: Usage or input error: bad option, missing path, invalid setting, unusable index.
EXIT_USAGE = 2
#: An unexpected error (a bug in dedup): one line names it.
EXIT_INTERNAL = 3
#: Interrupted (Ctrl-C, SIGINT).
EXIT_INTERRUPTED = 130

#: The path that means "standard input" (and, for ``-o``, standard output).
STDIN = "-"

EXIT_CODES_HELP = """\b
Exit codes:
  0    finished (unreadable files are listed under "errors")
  2    usage error: bad option, missing path, invalid setting
  3    internal error (a bug: please report the one-line message)
  130  interrupted (Ctrl-C)
"""


class UsageError(click.ClickException):
    """A one-line error that exits with the usage code 2 (text made visible)."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"dedup: error: {visible(self.format_message())}", file=file, err=file is None)


class InternalError(click.ClickException):
    """An unexpected exception, reported in one line with exit code 3."""

    exit_code = EXIT_INTERNAL

    def show(self, file: Any = None) -> None:
        click.echo(f"dedup: internal error: {visible(self.format_message())}", file=file, err=file is None)


def say(message: str) -> None:
    """Print one ``dedup: ...`` line on stderr, made visible."""
    click.echo(f"dedup: {visible(message)}", err=True)


def print_problems(errors: Iterable[InputProblem], warnings: Iterable[InputProblem], quiet: bool = False) -> None:
    """The one printer of input problems: ``dedup: error: PATH: REASON`` lines on stderr."""
    if quiet:
        return
    for e in errors:
        say(f"error: {e.path}: {e.message}")
    for w in warnings:
        say(f"warning: {w.path}: {w.message}")


def make_config(settings: dict[str, Any]) -> Config:
    """A :class:`Config` from the settings given (``None`` values are left to the defaults).

    Raises:
        ConfigError: A value is invalid (reported by the command group, exit 2).
    """
    return Config(**{k: v for k, v in settings.items() if v is not None})


def emit(
    text: str,
    output: str | None,
    *,
    terminal: bool = False,
    inputs: Sequence[str] = (),
    index: str | None = None,
    extensions: Sequence[str] = DEFAULT_EXTENSIONS,
) -> None:
    """Write a command's output to ``output`` or to stdout (``None`` or ``-``).

    A file is never one of the inputs or the index (refused, exit 2); a new
    file is written atomically with the umask's mode; a device, FIFO or
    symbolic link is written in place (see :func:`dedup.io.atomic.write_output`).

    Args:
        text: The rendered output.
        output: A file path; ``None`` or ``"-"`` mean standard output.
        terminal: The text is meant for a human (table, summary): control
            characters are made visible when it goes to stdout.
        inputs: The paths the command read.
        index: The index the command used, if any.
        extensions: The endings folders were read with.
    """
    if output is None or output == STDIN:
        click.echo(visible_lines(text) if terminal else text, nl=False)
        return
    write_output(output, text, inputs=inputs, index=index, extensions=extensions)


def refuse_output(
    output: str | None, inputs: Sequence[str], index: str | None = None, extensions: Sequence[str] = DEFAULT_EXTENSIONS
) -> None:
    """Fail before any work when ``--output`` names an input or the index."""
    if output is not None and output != STDIN:
        check_output_path(output, inputs, index, extensions)


def split_stdin(paths: Sequence[str]) -> tuple[list[str], bool]:
    """``paths`` without ``-``, and whether ``-`` (standard input) was among them.

    Raises:
        UsageError: ``-`` is given twice.
    """
    if list(paths).count(STDIN) > 1:
        raise UsageError("'-' (standard input) can be given only once")
    return [p for p in paths if p != STDIN], STDIN in paths


def read_stdin() -> tuple[Document | None, list[InputProblem], list[InputProblem]]:
    """Standard input as one document with id ``-``.

    Returns:
        ``(document, errors, warnings)``; ``document`` is ``None`` when the
        input is empty or binary (then ``errors`` says why).
    """
    from ..errors import InputError
    from ..io.readers import decode_bytes

    stream = click.get_binary_stream("stdin")
    data = stream.read()
    try:
        text, warning = decode_bytes(data, STDIN)
    except InputError as exc:
        return None, [InputProblem(STDIN, exc.reason)], []
    if not text.strip():
        return None, [InputProblem(STDIN, "empty input")], []
    warnings = [InputProblem(STDIN, warning)] if warning else []
    return Document(id=STDIN, text=text, mtime=None), [], warnings


def is_tty(stream: Any) -> bool:
    """Whether ``stream`` is an interactive terminal (``False`` when it cannot tell)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
