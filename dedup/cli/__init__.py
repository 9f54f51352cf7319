"""The ``dedup`` command line: parses arguments, calls the library, prints results.

``dedup.cli:main`` is the console entry point and ``dedup.cli.cli`` the click
group (for :class:`click.testing.CliRunner`). The commands live in
:mod:`dedup.cli.scanning` (scan, compare, show, spark-scan) and
:mod:`dedup.cli.indexing` (index, check, config); their settings options are
generated from :class:`~dedup.config.Config` by :mod:`dedup.cli.options`.
The modules import downwards only (app -> indexing -> scanning -> common,
options, progress), so the package has no import cycle.

:func:`main` installs the Ctrl-C handler before it imports the commands, so
an interrupt while they load is one line and exit code 130 too.

Exit codes: 0 clean, 1 findings (``dedup check``), 2 usage or input error,
3 internal error, 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from . import interrupt

__all__ = ["cli", "main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dedup`` command (exits with a documented code)."""
    interrupt.install()
    try:
        from .app import main as run
    except KeyboardInterrupt:
        interrupt.announce()
        sys.exit(interrupt.EXIT_INTERRUPTED)
    run(argv)


def __getattr__(name: str) -> Any:
    if name == "cli":
        from .app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
