"""The ``dedup`` command line: parses arguments, calls the library, prints results.

Exit codes:
    0  the run finished (files that could not be read are listed in ``errors``)
    1  ``dedup check`` only: new content duplicates the index or itself
    2  usage error: bad option, missing path, invalid setting; for ``dedup
       check`` also unreadable inputs and unusable indexes
    130 interrupted (Ctrl-C)

Settings come from the first ``dedup.toml`` / ``pyproject.toml
[tool.dedup]`` / ``setup.cfg [dedup]`` found from the current folder upwards
(see :mod:`dedup.settings_file`), overridden by flags.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click

from . import __version__
from .cli_index import _file_default_map, _reader_options
from .config import Config
from .detector import Detector
from .errors import DedupError
from .io.atomic import write_atomic
from .io.readers import DEFAULT_EXTENSIONS
from .io.sources import ReaderOptions
from .models import ScanResult
from .report.formatters import FORMATS, format_result

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\b
Exit codes:
  0    finished (unreadable files are listed under "errors")
  2    usage error: bad option, missing path, invalid setting
  130  interrupted (Ctrl-C)
"""


class UsageError(click.ClickException):
    """A ClickException that exits with the usage code 2."""

    exit_code = EXIT_USAGE


def _settings_options(func: Any) -> Any:
    options = [
        click.option("--threshold", type=float, default=None, help="Paragraph Jaccard threshold (default 0.3)."),
        click.option("--num-perm", type=int, default=None, help="MinHash permutations (default 128)."),
        click.option(
            "--shingle",
            type=click.Choice(["word", "char"]),
            default=None,
            help="Shingle kind: word n-grams (default) or char n-grams.",
        ),
        click.option("--shingle-size", type=int, default=None, help="n of the n-grams (default 2 words / 5 chars)."),
        click.option("--min-tokens", type=int, default=None, help="Skip paragraphs with fewer words (default 3)."),
        click.option(
            "--min-shared",
            type=int,
            default=None,
            help="Shingles two non-identical paragraphs must share to match (default 6).",
        ),
        click.option(
            "--coverage-threshold",
            type=float,
            default=None,
            help="Share of a document in shared passages for near_duplicate/containment (default 0.8).",
        ),
        click.option(
            "--canonical",
            type=click.Choice(["first", "longest", "earliest"]),
            default=None,
            help="Which cluster member to keep (default first).",
        ),
        click.option("--seed", type=int, default=None, help="MinHash seed (default 1)."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def _accuracy_options(func: Any) -> Any:
    """Options of the same-story tier, rewrite passages and boilerplate."""
    options = [
        click.option(
            "--story-threshold",
            type=float,
            default=None,
            help="Story score (0..1) for same_story pairs (default 0.4).",
        ),
        click.option(
            "--story-min-tfidf",
            type=float,
            default=None,
            help="TF-IDF cosine a same_story pair must also reach (default 0.3).",
        ),
        click.option(
            "--story-model",
            type=click.Choice(["tfidf", "minilm"]),
            default=None,
            help="Story model: tfidf (default, numpy) or minilm (needs the embeddings extra).",
        ),
        click.option("--story/--no-story", "story", default=None, help="Run the same-story tier (default on)."),
        click.option(
            "--background",
            "story_background",
            type=click.Path(exists=True),
            default=None,
            help="Background corpus for story statistics: a file with one document per line, or a folder.",
        ),
        click.option(
            "--near-threshold",
            type=float,
            default=None,
            help="Char 7-gram Jaccard of rewritten paragraphs reported as near passages (default 0.3).",
        ),
        click.option(
            "--near-containment",
            type=float,
            default=None,
            help="Char 7-gram containment that also makes a near passage (default 0.6).",
        ),
        click.option(
            "--boilerplate/--no-boilerplate",
            "boilerplate",
            default=None,
            help="Detect boilerplate and leave it out of scores (default on).",
        ),
        click.option(
            "--boilerplate-min-docs",
            type=int,
            default=None,
            help="Documents a paragraph must repeat in to be boilerplate (default 4).",
        ),
        click.option(
            "--boilerplate-max-shared",
            type=float,
            default=None,
            help="Median share of other text those documents may share (default 0.5).",
        ),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def _config(**kwargs: Any) -> Config:
    settings = {k: v for k, v in kwargs.items() if v is not None}
    try:
        return Config(**settings)
    except DedupError as exc:
        raise UsageError(str(exc)) from None


def _emit(text: str, output: str | None) -> None:
    if output:
        try:
            write_atomic(output, text)
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)


def _report_problems(result: ScanResult, quiet: bool) -> None:
    if quiet:
        return
    for e in result.errors:
        click.echo(f"dedup: error: {e.path}: {e.message}", err=True)
    for w in result.warnings:
        click.echo(f"dedup: warning: {w.path}: {w.message}", err=True)


@contextlib.contextmanager
def _progress_bar(enabled: bool | None, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a click progress bar on stderr.

    Yields ``None`` (no callback) when disabled; ``enabled=None`` means "when
    stderr is a terminal". On a stream that is not a terminal click prints the
    label once instead of redrawing a bar.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    state: dict[str, Any] = {"bar": None, "done": 0}

    def callback(done: int, total: int) -> None:
        bar = state["bar"]
        if bar is None:
            bar = state["bar"] = click.progressbar(length=max(total, 1), label=label, file=sys.stderr, width=30)
            bar.__enter__()
        bar.update(done - state["done"])
        state["done"] = done

    try:
        yield callback
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Find duplicate and near-duplicate articles and the passages they share.

    Settings are read from dedup.toml, pyproject.toml [tool.dedup] or
    setup.cfg [dedup] (nearest folder upwards); flags override them.
    """
    ctx.default_map = _file_default_map(ctx)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write to FILE (atomically).")
@click.option(
    "--ext",
    "extensions",
    multiple=True,
    default=DEFAULT_EXTENSIONS,
    show_default=True,
    help="File endings read from folders (repeatable).",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print per-file errors on stderr.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Processes for fingerprinting; 0 = all cores. The output does not depend on it.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: on when stderr is a terminal).",
)
@_reader_options
@_settings_options
@_accuracy_options
def scan(
    paths: Sequence[str],
    fmt: str,
    output: str | None,
    extensions: Sequence[str],
    quiet: bool,
    jobs: int,
    progress: bool | None,
    reader: ReaderOptions,
    **settings: Any,
) -> None:
    """Scan files and folders for duplicate documents and repeated passages.

    PATHS are files or folders; folders are read recursively (.txt and .md).
    Document ids are paths relative to the scanned folder. Files named
    directly are read by extension: .jsonl/.ndjson (JSON Lines), .xml/.rss/.atom
    (feeds), .html/.htm (main text), anything else as text.
    """
    det = Detector(_config(jobs=jobs, **settings))
    try:
        det.add_paths(paths, extensions, reader)
    except DedupError as exc:
        raise UsageError(str(exc)) from None
    try:
        with _progress_bar(progress, "Fingerprinting") as callback:
            staged = (
                None
                if callback is None
                else (lambda stage, d, t: callback(d, t) if stage == "fingerprinting" else None)
            )
            result = det.run(progress=staged)
    except DedupError as exc:
        raise UsageError(str(exc)) from None
    _report_problems(result, quiet)
    _emit(format_result(result, fmt), output)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write to FILE (atomically).")
@click.option("--quiet", "-q", is_flag=True, help="Do not print per-file errors on stderr.")
@_settings_options
@_accuracy_options
def compare(files: Sequence[str], fmt: str, output: str | None, quiet: bool, **settings: Any) -> None:
    """Score every pair among FILES: jaccard, containment, story, and shared passages.

    Files are named by their paths as given.
    """
    from .compare import compare_paths
    from .report.compare import format_comparison

    if len(files) < 2:
        raise UsageError("compare needs at least two files")
    try:
        result = compare_paths(files, _config(**settings))
    except DedupError as exc:
        raise UsageError(str(exc)) from None
    _report_problems(result.scan, quiet)
    _emit(format_comparison(result, fmt), output)


_SHOW_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "reverse": True},
    "head": {"bold": True},
    "dim": {"dim": True},
    "del": {"fg": "red", "bold": True, "strikethrough": True},
    "ins": {"fg": "green", "bold": True},
}


def _show_style(text: str, role: str) -> str:
    return click.style(text, **_SHOW_STYLES.get(role, {}))


@cli.command(epilog=EXIT_CODES_HELP)
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
@_settings_options
def show(a: str, b: str, layout: str, width: int | None, color: bool | None, **settings: Any) -> None:
    """Show the passages two files share, with the differing words highlighted.

    Both files are scanned with the given settings; each shared passage is
    printed from A and from B, side by side or one after the other.
    """
    import os
    import shutil

    from .io.readers import read_document
    from .report.show import render_show

    if os.path.realpath(a) == os.path.realpath(b):
        raise UsageError(f"A and B are the same file: {a}")
    det = Detector(_config(**settings))
    try:
        for path in (a, b):
            doc, warning = read_document(path, doc_id=path)
            if warning:
                click.echo(f"dedup: warning: {path}: {warning}", err=True)
            det.add_document(doc)
    except DedupError as exc:
        raise UsageError(str(exc)) from None
    result = det.run()
    if color is None:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if width is None:
        width = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
    text = render_show(result, a, b, width=width, layout=layout, style=_show_style if color else None)
    click.echo(text, nl=False, color=color)


@cli.command("spark-scan", epilog=EXIT_CODES_HELP)
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
@click.option(
    "--ext",
    "extensions",
    multiple=True,
    default=DEFAULT_EXTENSIONS,
    show_default=True,
    help="File endings read from folders in text mode (repeatable).",
)
@_settings_options
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
    """Scan a large corpus with Spark (extra dedup[spark]); write Parquet and JSON Lines.

    INPUTS are folders/files of text, JSONL files, or Parquet files/folders.
    The output folder gets documents/pairs/passages/clusters as .jsonl and
    .parquet datasets plus summary.json; results equal `dedup scan`.
    """
    from .spark import SparkOptions, spark_scan

    config = _config(**settings)
    try:
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
    except DedupError as exc:
        raise UsageError(str(exc)) from None
    for e in summary.errors:
        click.echo(f"dedup: error: {e.path}: {e.message}", err=True)
    for w in summary.warnings:
        click.echo(f"dedup: warning: {w.path}: {w.message}", err=True)
    c = summary.counts
    click.echo(
        f"{c['documents']} documents, {c['paragraphs']} paragraphs: {c['pairs']} pairs, {c['passages']} passages, "
        f"{c['clusters']} clusters in {summary.seconds:.1f}s -> {summary.output}"
    )


from .cli_index import register_index_commands  # noqa: E402

register_index_commands(cli)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dedup`` command (exits with a documented code)."""
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, prog_name="dedup", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("dedup: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(rv if isinstance(rv, int) else EXIT_OK)
