"""The ``dedup`` command group and its entry point.

Exit codes (every command):
    0   the run finished (files that could not be read are listed in ``errors``)
    1   ``dedup check`` only: findings that fail the check
    2   usage or input error: bad option, missing path, invalid setting,
        unusable index (and for ``dedup check`` unreadable inputs)
    3   internal error: an unexpected exception, reported in one line
        (``DEDUP_DEBUG=1`` shows the traceback instead)
    130 interrupted (Ctrl-C)

Library errors (:class:`~dedup.errors.DedupError`) are reported once, here,
by :class:`DedupGroup`, as ``dedup: error: ...`` with exit code 2.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from .. import __version__
from ..errors import DedupError
from ..report.sanitize import visible_lines
from . import interrupt
from .common import EXIT_INTERRUPTED, EXIT_OK, InternalError, UsageError
from .filemap import file_default_map
from .indexing import check, config_cmd, index
from .scanning import compare, scan, show, spark_scan_command

__all__ = ["DedupGroup", "Interrupted", "cli", "main", "show_visible"]

#: Set to show the traceback of an unexpected error instead of one line.
DEBUG_ENV = "DEDUP_DEBUG"


class Interrupted(click.ClickException):
    """Ctrl-C: one line, exit code 130."""

    exit_code = EXIT_INTERRUPTED

    def show(self, file: Any = None) -> None:
        interrupt.announce()


def _os_message(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


class DedupGroup(click.Group):
    """The command group: the one place library errors become messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None
        except DedupError as exc:
            raise UsageError(str(exc)) from None
        except OSError as exc:
            raise UsageError(_os_message(exc)) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            raise InternalError(f"{type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for the traceback)") from None


@click.group(cls=DedupGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Find duplicate and near-duplicate articles and the passages they share.

    Settings are read from dedup.toml, pyproject.toml [tool.dedup] or
    setup.cfg [dedup] (nearest folder upwards, or the file named by
    DEDUP_CONFIG); flags override them. Exit codes: 0 clean, 1 findings
    (check), 2 usage or input error, 3 internal error, 130 interrupted.
    """
    ctx.default_map = file_default_map(ctx)


for _command in (scan, compare, show, spark_scan_command, index, check, config_cmd):
    cli.add_command(_command)


def show_visible(exc: click.ClickException) -> None:
    """Print a click error with every line made visible.

    click's own messages quote arguments (``Path 'x' does not exist``), and
    arguments are file names: a name holding a newline and ``::error::`` must
    not start a workflow command on stderr.
    """
    buffer = io.StringIO()
    exc.show(file=buffer)
    text = buffer.getvalue()
    if text:
        sys.stderr.write(visible_lines(text.rstrip("\n")) + "\n")
        sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dedup`` command (exits with a documented code)."""
    interrupt.install()
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, prog_name="dedup", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        interrupt.announce()
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        show_visible(exc)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(rv if isinstance(rv, int) else EXIT_OK)
