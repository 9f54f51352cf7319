"""``dedup index``, ``dedup check`` and ``dedup config``.

Like the rest of the CLI this only parses arguments, calls the library and
formats results; :class:`~dedup.errors.DedupError` is reported by the
command group (:mod:`dedup.cli.app`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from ..baseline import Baseline
from ..check import FAIL_ON
from ..config import Config
from ..errors import DedupError
from ..io.readers import ReadOutcome, read_paths
from ..io.sources import ReaderOptions
from ..models import Document, InputProblem
from ..report.sanitize import visible
from ..settings_file import ALIASES, FileSettings
from .common import (
    EXIT_FOUND,
    EXIT_USAGE,
    UsageError,
    emit,
    make_config,
    print_problems,
    read_stdin,
    refuse_output,
    split_stdin,
)
from .filemap import SETTINGS_KEY
from .options import ext_option, listing_format_option, reader_options, settings_options
from .scanning import TERMINAL_FORMATS, hint_for_empty, output_option, progress_display, progress_option

__all__ = ["CHECK_EXIT_CODES_HELP", "INDEX_EXIT_CODES_HELP", "check", "check_json", "config_cmd", "index"]

CHECK_EXIT_CODES_HELP = """\b
Exit codes:
  0    clean: nothing in the new content duplicates the index or itself
       (or --write-baseline wrote the findings as accepted)
  1    findings of a --fail-on kind (default: copies) that the
       baseline does not accept; other kinds are notices
  2    usage or input error: bad option, missing path, unreadable input
       file, index missing, damaged or built with other settings
  3    internal error (a bug: please report the one-line message)
  130  interrupted (Ctrl-C)
"""

INDEX_EXIT_CODES_HELP = """\b
Exit codes:
  0    done (index info --check: the index is intact)
  2    usage or input error (bad option, missing path, unusable or
       damaged index)
  3    internal error (a bug: please report the one-line message)
  130  interrupted (Ctrl-C)
"""

#: Index locations that would keep nothing.
_NOT_AN_INDEX = ("", ":memory:")


def _index_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and value.strip() in _NOT_AN_INDEX:
        raise click.BadParameter(
            f"{value!r} keeps nothing: give a SQLite file path or a redis:// URL", ctx=ctx, param=param
        )
    return value


index_option = click.option(
    "--index",
    "index",
    type=click.Path(dir_okay=False),
    required=True,
    callback=_index_path,
    help="The index: a SQLite file, or redis://host:port/db?prefix=name (Redis extra).",
)
root_option = click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=None,
    help="Make file ids relative to this folder (use the same --root for index add and check).",
)


def _explicit(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if v is not None}


def _read(
    paths: Sequence[str], extensions: Sequence[str], options: ReaderOptions, root: str | None, quiet: bool
) -> ReadOutcome:
    """Read PATHS ('-' is one document from standard input) and print the problems met."""
    files, stdin = split_stdin(paths)
    outcome = read_paths(files, extensions, options, root) if files else ReadOutcome((), (), ())
    docs: list[Document] = list(outcome.documents)
    errors: list[InputProblem] = list(outcome.errors)
    warnings: list[InputProblem] = list(outcome.warnings)
    if stdin:
        doc, errs, warns = read_stdin()
        errors.extend(errs)
        warnings.extend(warns)
        if doc is not None:
            if any(d.id == doc.id for d in docs):
                errors.append(InputProblem(doc.id, "duplicate document id"))
            else:
                docs.append(doc)
    print_problems(errors, warnings, quiet)
    if not docs and not quiet:
        hint_for_empty(files, extensions)
    return ReadOutcome(tuple(docs), tuple(errors), tuple(warnings))


def _open_index(path: str, settings: dict[str, Any], create: bool) -> Any:
    from ..check import Index

    return Index.open(path, create=create, **_explicit(settings))


@click.group(epilog=INDEX_EXIT_CODES_HELP)
def index() -> None:
    """Build and inspect a persistent index of published content."""


@index.command("add", epilog=INDEX_EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@index_option
@ext_option()
@root_option
@click.option("--quiet", "-q", is_flag=True, help="Print no per-file problems or hints on stderr.")
@reader_options
@settings_options
def index_add(
    paths: Sequence[str],
    index: str,
    extensions: Sequence[str],
    root: str | None,
    quiet: bool,
    reader: ReaderOptions,
    **settings: Any,
) -> None:
    """Add the documents under PATHS to the index (created if missing).

    '-' reads one document from standard input (id "-"). Documents already
    indexed with the same content are left as they are; an id indexed with
    other content is replaced. The add is one transaction: interrupted, it
    leaves the index as it was.
    """
    outcome = _read(paths, extensions, reader, root, quiet)
    with _open_index(index, settings, create=True) as idx:
        stats = idx.add(outcome.documents)
    click.echo(
        f"{visible(index)}: added {len(stats.added)}, replaced {len(stats.replaced)}, "
        f"unchanged {len(stats.unchanged)}, unreadable {len(outcome.errors)}"
    )
    if outcome.errors:
        raise click.exceptions.Exit(EXIT_USAGE)


@index.command("info", epilog=INDEX_EXIT_CODES_HELP)
@index_option
@listing_format_option('Output format (json has the same fields, plus "integrity" with --check).')
@click.option(
    "--check",
    "full_check",
    is_flag=True,
    help='Run a full integrity check and print an "integrity" line: ok, or what is wrong (then exit 2).',
)
@click.option("--ids", is_flag=True, help="List the document ids too.")
def index_info(index: str, output_format: str, full_check: bool, ids: bool) -> None:
    """Show an index's settings, counts and size."""
    from ..check import Index

    try:
        with Index.open(index, create=False, verify="full" if full_check else "quick") as idx:
            info = idx.info()
            doc_ids = idx.document_ids() if ids else None
    except DedupError as exc:
        if not full_check:
            raise
        problem = str(exc)
        if output_format == "json":
            click.echo(json.dumps({"path": index, "integrity": problem}, indent=2, sort_keys=True))
        else:
            click.echo(f"integrity:  {visible(problem)}")
        raise click.exceptions.Exit(EXIT_USAGE) from None
    data = info.to_dict()
    if full_check:
        data["integrity"] = "ok"
    if doc_ids is not None:
        data["ids"] = doc_ids
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    click.echo(f"index:      {visible(str(info.path))} ({info.backend}, schema {info.schema_version})")
    click.echo(f"documents:  {info.documents}")
    click.echo(f"paragraphs: {info.paragraphs} ({info.groups} distinct, {info.band_entries} LSH band keys)")
    click.echo(f"adds:       {info.adds}")
    click.echo(f"size:       {info.size_bytes} bytes")
    click.echo("settings:   " + ", ".join(f"{k}={v}" for k, v in sorted(info.settings.items())))
    if full_check:
        click.echo("integrity:  ok")
    for i in doc_ids or ():
        click.echo(f"  {visible(i)}")


@index.command("remove", epilog=INDEX_EXIT_CODES_HELP)
@click.argument("ids", nargs=-1, required=True)
@index_option
def index_remove(ids: Sequence[str], index: str) -> None:
    """Remove documents from the index by id."""
    from ..check import Index

    with Index.open(index, create=False) as idx:
        removed = idx.remove(list(ids))
    missing = sorted(set(ids) - set(removed))
    click.echo(f"{visible(index)}: removed {len(removed)}")
    if missing:
        raise UsageError(f"not in the index: {', '.join(missing)}")


def check_json(res: Any, fmt: str) -> str:
    """``check --format json/jsonl``: the scan contract plus a verdict.

    The verdict is ``{"failed": bool, "findings": n, "notices": n, "accepted": n}``
    (:meth:`dedup.check.CheckResult.verdict`): whether the check fails, the
    findings that fail it, those of kinds that do not (``--fail-on``) and those
    the baseline accepted. In JSON Lines it is the last line, typed ``"verdict"``.
    """
    from ..report.formatters import format_result

    verdict = res.verdict()
    if fmt == "jsonl":
        return format_result(res.result, "jsonl") + json.dumps({"type": "verdict", **verdict}) + "\n"
    return json.dumps({**res.result.to_dict(), "verdict": verdict}, indent=2, ensure_ascii=False) + "\n"


def github_levels(res: Any) -> dict[tuple[str, str, str], str]:
    """Annotation level of each finding of a check: ``error`` if it fails the check, else ``notice``."""
    levels = {(f.a, f.b, f.kind): "notice" for f in res.notices}
    levels.update({(f.a, f.b, f.kind): "error" for f in res.findings})
    return levels


def _check_formats() -> list[str]:
    from ..report.formatters import FORMATS

    return sorted(FORMATS)


@click.command(epilog=CHECK_EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@index_option
@click.option("--add", "add_clean", is_flag=True, help="After checking, add the clean new documents to the index.")
@click.option("--add-all", is_flag=True, help="After checking, add all new documents to the index.")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False),
    default=None,
    help="JSON file of accepted findings that do not fail the check.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write every finding to this baseline file (accepting them) and exit 0.",
)
@click.option(
    "--fail-on",
    type=click.Choice(list(FAIL_ON)),
    multiple=True,
    default=("copies",),
    show_default=True,
    help="Which findings fail the check (repeatable): copies (duplicate, near_duplicate, containment), "
    "same-story (the same story rewritten), passages (any passage two documents share); pairs is the "
    "older name of copies. Findings of other kinds are reported as notices.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_check_formats()),
    default="table",
    show_default=True,
    help="Output format: as for scan (github: workflow annotations, sarif: SARIF 2.1.0); "
    'json and jsonl also carry a verdict {"failed", "findings", "notices", "accepted"}.',
)
@output_option
@ext_option()
@root_option
@click.option("--quiet", "-q", is_flag=True, help="Print no summary, per-file problems, hints or progress on stderr.")
@progress_option
@reader_options
@settings_options
def check(
    paths: Sequence[str],
    index: str,
    add_clean: bool,
    add_all: bool,
    baseline: str | None,
    write_baseline: str | None,
    fail_on: Sequence[str],
    fmt: str,
    output: str | None,
    extensions: Sequence[str],
    root: str | None,
    quiet: bool,
    progress: bool | None,
    reader: ReaderOptions,
    **settings: Any,
) -> None:
    """Check NEW content (files, folders, feeds, exports) against the index.

    Reports what in the new documents duplicates indexed documents or other
    new documents, in the same formats as `dedup scan` (passages name the
    indexed documents, with offsets into their text). '-' reads one document
    from standard input (id "-"). The index must exist unless --add/--add-all
    is given.
    """
    from ..check import check as run_check
    from ..report.ci import to_github
    from ..report.formatters import format_result

    if add_clean and add_all:
        raise UsageError("use either --add or --add-all")
    accepted = Baseline.load(baseline) if baseline else Baseline()
    make_config(settings)  # invalid settings are a usage error before anything is read
    refuse_output(output, [p for p in paths if p != "-"], index, extensions)
    outcome = _read(paths, extensions, reader, root, quiet)
    with _open_index(index, settings, create=add_clean or add_all) as idx:
        with progress_display(progress, quiet) as display:
            res = run_check(
                outcome.documents,
                idx,
                baseline=accepted,
                fail_on=fail_on,
                errors=outcome.errors,
                warnings=outcome.warnings,
                progress=display,
            )
            if display is not None:
                display("writing", 0, 1)
            if fmt in ("json", "jsonl"):
                text = check_json(res, fmt)
            elif fmt == "github":  # failing findings are errors, the others notices
                text = to_github(res.result, github_levels(res), default="notice")
            else:
                text = format_result(res.result, fmt)
            if display is not None:
                display("writing", 1, 1)
        emit(
            text,
            output,
            terminal=fmt in TERMINAL_FORMATS,
            inputs=[p for p in paths if p != "-"],
            index=index,
            extensions=extensions,
        )
        if write_baseline:
            try:
                Baseline.from_findings(res.all_findings()).write(write_baseline)
            except OSError as exc:
                raise UsageError(f"cannot write {write_baseline}: {exc.strerror or exc}") from None
        added = 0
        if add_clean or add_all:
            keep = set(res.new_ids if add_all else res.clean_ids())
            stats = idx.add([d for d in outcome.documents if d.id in keep])
            added = len(stats.added) + len(stats.replaced)
    if not quiet:
        parts = [
            f"{len(res.new_ids)} new document(s)",
            f"{len(res.findings)} finding(s)",
            f"{len(res.notices)} notice(s)",
            f"{len(res.suppressed)} accepted by the baseline",
        ]
        if add_clean or add_all:
            parts.append(f"{added} added to the index")
        if write_baseline:
            parts.append(f"baseline written to {write_baseline}")
        click.echo("dedup check: " + visible(", ".join(parts)), err=True)
    if outcome.errors:
        raise click.exceptions.Exit(EXIT_USAGE)
    if res.failed and not write_baseline:
        raise click.exceptions.Exit(EXIT_FOUND)


@click.command("config")
@listing_format_option("Output format of this listing (the settings file's own `format` key is shown, not used here).")
@settings_options
@click.pass_context
def config_cmd(ctx: click.Context, output_format: str, **settings: Any) -> None:
    """Print the effective settings and where each comes from.

    Sources: "default", the settings file (dedup.toml, pyproject.toml
    [tool.dedup] or setup.cfg [dedup], nearest folder upwards, or the file
    named by DEDUP_CONFIG), or "command line". Every key the settings file
    may hold is listed: the settings of every command (threshold, ...) and
    the options of scan/check (format, ext, index, baseline, ...).
    """
    fs: FileSettings = ctx.find_root().meta.get(SETTINGS_KEY) or FileSettings()
    given = _explicit(settings)
    cfg = Config(**given)
    rows: list[dict[str, Any]] = []
    for name, value in cfg.to_dict().items():
        source = "default"
        if name in given:
            src = ctx.get_parameter_source(name)
            source = fs.source if src == click.core.ParameterSource.DEFAULT_MAP else "command line"
        elif name == "shingle_size" and "shingle" in given:
            source = "derived from shingle"
        rows.append({"name": name, "value": value, "source": source})
    for name, value in sorted(fs.values.items()):
        if name not in cfg.to_dict():
            shown = list(value) if isinstance(value, tuple) else value
            display = {v: k for k, v in ALIASES.items()}.get(name, name)
            rows.append({"name": display, "value": shown, "source": fs.source})
    if output_format == "json":
        click.echo(json.dumps({"settings_file": fs.source, "settings": rows}, indent=2))
        return
    click.echo(f"settings file: {visible(fs.source or '(none found)')}")
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        click.echo(visible(f"  {r['name']:<{width}}  {r['value']!s:<10}  ({r['source']})"))
