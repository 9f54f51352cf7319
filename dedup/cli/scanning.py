"""``dedup scan``, ``dedup compare``, ``dedup show`` and ``dedup spark-scan``.

These only parse arguments, call the library and format results. Library
errors (:class:`~dedup.errors.DedupError`) are turned into one-line messages
by the command group (:mod:`dedup.cli.app`), not here.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import click

from ..detector import Detector
from ..io.sources import ReaderOptions
from ..models import InputProblem, ScanResult
from ..report.formatters import FORMATS, format_result
from ..report.sanitize import visible
from .common import (
    EXIT_CODES_HELP,
    STDIN,
    UsageError,
    emit,
    is_tty,
    make_config,
    print_problems,
    read_stdin,
    refuse_output,
    say,
    split_stdin,
)
from .options import ext_option, reader_options, settings_options
from .progress import ProgressDisplay

__all__ = ["compare", "progress_display", "scan", "show", "spark_scan_command"]

#: Formats rendered for a human reading a terminal (control characters made visible).
TERMINAL_FORMATS = frozenset({"table"})

#: ``--format ids``: one document id per line (with ``--drop`` or ``--keep``).
IDS_FORMAT = "ids"

#: Folder walks for the "0 documents" hint stop after this many files.
_HINT_MAX_FILES = 10_000


def output_option(func: Any) -> Any:
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, allow_dash=True),
        default=None,
        help="Write to FILE (atomically: a reader sees the old file or the new one); '-' is standard output.",
    )(func)


def progress_option(func: Any) -> Any:
    return click.option(
        "--progress/--no-progress",
        default=None,
        help="Show each stage's progress on stderr (default: on when stderr is a terminal and --quiet is not given).",
    )(func)


@contextlib.contextmanager
def progress_display(enabled: bool | None, quiet: bool = False) -> Iterator[ProgressDisplay | None]:
    """A :class:`ProgressDisplay` on stderr, or ``None`` when progress is off.

    ``enabled=None`` means "when stderr is a terminal and not ``quiet``".
    """
    tty = is_tty(sys.stderr)
    if enabled is None:
        enabled = tty and not quiet
    if not enabled:
        yield None
        return
    display = ProgressDisplay(sys.stderr, live=tty)
    try:
        yield display
    except BaseException:
        display.abandon()
        raise
    display.close()


def hint_for_empty(paths: Sequence[str], extensions: Sequence[str]) -> None:
    """Say which ``--ext`` would find documents in folders that gave none."""
    wanted = {e.lower() for e in extensions}
    counts: dict[str, int] = {}
    seen = 0
    for path in paths:
        if not os.path.isdir(path):
            continue
        for _folder, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                seen += 1
                ext = os.path.splitext(name)[1].lower()
                if ext and ext not in wanted and not name.startswith("."):
                    counts[ext] = counts.get(ext, 0) + 1
            if seen >= _HINT_MAX_FILES:
                break
    if not counts:
        return
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    found = ", ".join(f"{n} {ext}" for ext, n in top)
    flags = " ".join(f"--ext {ext}" for ext, _ in top)
    say(f"hint: 0 documents: folders are read for {', '.join(extensions)} files only; found {found} files: add {flags}")


def render_ids(result: ScanResult, drop: bool, keep: bool) -> str:
    """``--format ids``: the ids of ``result.drop()`` or ``result.keep()``, one per line."""
    ids = result.drop() if drop else result.keep()  # type: ignore[attr-defined]
    return "".join(f"{i}\n" for i in ids)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted({*FORMATS, IDS_FORMAT})),
    default="table",
    show_default=True,
    help="Output format: table (a summary for people), json (the JSON contract), jsonl, csv, html "
    "(side-by-side report), github (workflow annotations), sarif (SARIF 2.1.0), "
    "ids (document ids one per line; needs --drop or --keep).",
)
@click.option(
    "--drop",
    is_flag=True,
    help="With --format ids: print the ids of the documents a deduplication removes (the copies).",
)
@click.option(
    "--keep",
    is_flag=True,
    help="With --format ids: print the ids of the documents a deduplication keeps.",
)
@output_option
@ext_option()
@click.option("--quiet", "-q", is_flag=True, help="Print no per-file problems, hints or progress on stderr.")
@progress_option
@reader_options
@settings_options
def scan(
    paths: Sequence[str],
    fmt: str,
    drop: bool,
    keep: bool,
    output: str | None,
    extensions: Sequence[str],
    quiet: bool,
    progress: bool | None,
    reader: ReaderOptions,
    **settings: Any,
) -> None:
    """Scan files and folders for duplicate documents and repeated passages.

    PATHS are files or folders; folders are read recursively (.txt and .md
    unless --ext says otherwise). '-' reads one document from standard input
    (id "-"). Document ids are paths relative to the scanned folder. Files
    named directly are read by extension: .jsonl/.ndjson (JSON Lines),
    .xml/.rss/.atom (feeds), .html/.htm (main text), anything else as text.
    """
    if fmt == IDS_FORMAT and drop == keep:
        raise UsageError("--format ids needs exactly one of --drop or --keep")
    if fmt != IDS_FORMAT and (drop or keep):
        raise UsageError("--drop and --keep go with --format ids")
    files, stdin = split_stdin(paths)
    refuse_output(output, files, None, extensions)
    det = Detector(make_config(settings))
    if files:
        det.add_paths(files, extensions, reader)
    if stdin:
        doc, errors, warnings = read_stdin()
        print_problems(errors, warnings, quiet)
        if doc is not None:
            det.add_document(doc)
    with progress_display(progress, quiet) as display:
        result = det.run(progress=display)
        print_problems(result.errors, result.warnings, quiet)
        if not result.documents and not quiet:
            hint_for_empty(files, extensions)
        if display is not None:
            display("writing", 0, 1)
        text = render_ids(result, drop, keep) if fmt == IDS_FORMAT else format_result(result, fmt)
        if display is not None:
            display("writing", 1, 1)
    emit(text, output, terminal=fmt in TERMINAL_FORMATS or fmt == IDS_FORMAT, inputs=files, extensions=extensions)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help='Output format: a table, or JSON with a "schema" version key.',
)
@output_option
@click.option("--quiet", "-q", is_flag=True, help="Print no per-file problems on stderr.")
@settings_options
def compare(files: Sequence[str], output_format: str, output: str | None, quiet: bool, **settings: Any) -> None:
    """Score every pair among FILES: jaccard, containment, story, and shared passages.

    Files are named by their paths as given.
    """
    from ..compare import compare_paths
    from ..report.compare import format_comparison

    if len(files) < 2:
        raise UsageError("compare needs at least two files")
    refuse_output(output, files)
    result = compare_paths(files, make_config(settings))
    print_problems(result.scan.errors, result.scan.warnings, quiet)
    emit(format_comparison(result, output_format), output, terminal=output_format == "table", inputs=files)


_SHOW_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "reverse": True},
    "head": {"bold": True},
    "dim": {"dim": True},
    "del": {"fg": "red", "bold": True, "strikethrough": True},
    "ins": {"fg": "green", "bold": True},
}


def _show_style(text: str, role: str) -> str:
    return click.style(text, **_SHOW_STYLES.get(role, {}))


_STYLE_MARK = re.compile("\ue000(\\w+)\ue001(.*?)\ue002", re.S)


def _mark_style(text: str, role: str) -> str:
    return f"\ue000{role}\ue001{text}\ue002"


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--layout",
    type=click.Choice(["auto", "side", "stacked"]),
    default="auto",
    show_default=True,
    help="Side by side, one after the other, or side by side when the terminal is 120+ columns wide.",
)
@click.option("--width", type=click.IntRange(40, 1000), default=None, help="Line width (default: the terminal's).")
@click.option(
    "--color/--no-color",
    default=None,
    help="Highlight differing words in color (default: when writing to a terminal and NO_COLOR is unset); "
    "plain output marks them [-only in A-] {+only in B+}.",
)
@settings_options
def show(a: str, b: str, layout: str, width: int | None, color: bool | None, **settings: Any) -> None:
    """Show the passages two files share, with the differing words highlighted.

    Both files are scanned with the given settings; each shared passage is
    printed from A and from B, side by side or one after the other.
    """
    import shutil

    from ..io.readers import read_document
    from ..report.sanitize import visible_lines
    from ..report.show import render_show

    if os.path.realpath(a) == os.path.realpath(b):
        raise UsageError(f"A and B are the same file: {a}")
    det = Detector(make_config(settings))
    for path in (a, b):
        doc, warning = read_document(path, doc_id=path)
        print_problems([], [InputProblem(path, warning)] if warning else [])
        det.add_document(doc)
    result = det.run()
    if color is None:
        color = is_tty(sys.stdout) and not os.environ.get("NO_COLOR")
    if width is None:
        width = shutil.get_terminal_size((80, 24)).columns if is_tty(sys.stdout) else 80
    if color:
        # Styled pieces are marked, the whole text made visible, then the marks become
        # ANSI styles: escapes in document text never reach the terminal.
        marked = render_show(result, a, b, width=width, layout=layout, style=_mark_style)
        text = _STYLE_MARK.sub(lambda m: _show_style(m.group(2), m.group(1)), visible_lines(marked))
    else:
        text = visible_lines(render_show(result, a, b, width=width, layout=layout, style=None))
    click.echo(text, nl=False, color=color)


@click.command("spark-scan", epilog=EXIT_CODES_HELP)
@click.argument("inputs", nargs=-1, required=True)
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False), help="Output folder (local).")
@click.option(
    "--input-format",
    type=click.Choice(["auto", "text", "jsonl", "parquet"]),
    default="auto",
    show_default=True,
    help="Input kind; auto picks by file ending (.jsonl/.ndjson/.json, .parquet, else text).",
)
@click.option("--text-field", default="text", show_default=True, help="JSONL field / Parquet column with the text.")
@click.option("--id-field", default="id", show_default=True, help="JSONL field / Parquet column with the document id.")
@click.option("--date-field", default=None, help="JSONL field / Parquet column with an ISO date (optional).")
@click.option("--master", default=None, help="Spark master (default: spark-submit's --master, else local[*]).")
@click.option("--partitions", type=int, default=None, help="Shuffle partitions (default 2 x default parallelism).")
@click.option("--driver-memory", default=None, help="spark.driver.memory for a new session, e.g. 4g.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@ext_option("File endings read from folders in text mode (repeatable).")
@settings_options
def spark_scan_command(
    inputs: Sequence[str],
    output: str,
    input_format: str,
    text_field: str,
    id_field: str,
    date_field: str | None,
    master: str | None,
    partitions: int | None,
    driver_memory: str | None,
    overwrite: bool,
    extensions: Sequence[str],
    **settings: Any,
) -> None:
    """Scan a large corpus with Spark (extra spark); write Parquet and JSON Lines.

    INPUTS are folders/files of text, JSONL files, or Parquet files/folders.
    The output folder gets documents/pairs/passages/clusters as .jsonl and
    .parquet datasets plus summary.json; results equal `dedup scan`.
    """
    from ..spark import SparkOptions, spark_scan

    if STDIN in inputs:
        raise UsageError("spark-scan cannot read standard input ('-'); give files or folders")
    config = make_config(settings)
    options = SparkOptions(
        master=master,
        partitions=partitions,
        input_format=input_format,  # type: ignore[arg-type]
        text_field=text_field,
        id_field=id_field,
        date_field=date_field,
        extensions=tuple(extensions),
        overwrite=overwrite,
        driver_memory=driver_memory,
    )
    summary = spark_scan(list(inputs), output, config, options)
    print_problems(summary.errors, summary.warnings)
    c = summary.counts
    click.echo(
        f"{c['documents']} documents, {c['paragraphs']} paragraphs: {c['pairs']} pairs, {c['passages']} passages, "
        f"{c['clusters']} clusters in {summary.seconds:.1f}s -> {visible(str(summary.output))}"
    )
