"""The ``dedup index``, ``dedup check`` and ``dedup config`` commands.

Kept apart from :mod:`dedup.cli` (which registers them) so each command
family stays small. Like the rest of the CLI this only parses arguments,
calls the library and formats results.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import click

from .baseline import Baseline
from .config import Config
from .errors import DedupError
from .io.readers import DEFAULT_EXTENSIONS, ReadOutcome, read_paths
from .io.sources import ReaderOptions
from .settings_file import ALIASES, FileSettings, find_settings

__all__ = ["CHECK_EXIT_CODES_HELP", "EXIT_FOUND", "register_index_commands"]

#: ``dedup check``: duplicates at or above the threshold were found.
EXIT_FOUND = 1

CHECK_EXIT_CODES_HELP = """\b
Exit codes:
  0    clean: nothing in the new content duplicates the index or itself
       (or --write-baseline wrote the findings as accepted)
  1    duplicates found (pairs, or passages with --fail-on passages)
       that the baseline does not accept
  2    usage or input error: bad option, missing path, unreadable input
       file, index missing, damaged or built with other settings
  130  interrupted (Ctrl-C)
"""

INDEX_EXIT_CODES_HELP = """\b
Exit codes:
  0    done
  2    usage or input error (bad option, missing path, unusable index)
  130  interrupted (Ctrl-C)
"""

_SETTINGS_KEY = "dedup.settings_file"


def _reader_options(func: Any) -> Any:
    """Add the reader options; the command receives them as one ``reader: ReaderOptions``."""

    @functools.wraps(func)
    def with_reader(
        *args: Any,
        text_field: str,
        id_field: str,
        title_field: str,
        date_field: str,
        max_file_size: int,
        **kwargs: Any,
    ) -> Any:
        reader = ReaderOptions(text_field, id_field, title_field, date_field, max_file_size)
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
    ]
    wrapped: Any = with_reader
    for opt in reversed(options):
        wrapped = opt(wrapped)
    return wrapped


def _walk(command: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = [(prefix, command)]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            out.extend(_walk(sub, (*prefix, name)))
    return out


def _file_default_map(ctx: click.Context) -> dict[str, Any] | None:
    """Defaults for every command's options from the settings file."""
    from .cli import UsageError

    try:
        fs = find_settings()
    except DedupError as exc:
        raise UsageError(str(exc)) from None
    ctx.meta[_SETTINGS_KEY] = fs
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
        raise UsageError(f"{fs.source}: unknown setting(s): {', '.join(unknown)}")
    return root


def _read(
    paths: Sequence[str], extensions: Sequence[str], options: ReaderOptions, root: str | None = None
) -> ReadOutcome:
    from .cli import UsageError

    try:
        return read_paths(paths, extensions, options, root)
    except DedupError as exc:
        raise UsageError(str(exc)) from None


def _explicit(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if v is not None}


def _open_index(path: str, settings: dict[str, Any], create: bool) -> Any:
    from .check import Index
    from .cli import UsageError

    try:
        return Index.open(path, create=create, **_explicit(settings))
    except DedupError as exc:
        raise UsageError(str(exc)) from None


def _problems(outcome: ReadOutcome, quiet: bool) -> None:
    if quiet:
        return
    for e in outcome.errors:
        click.echo(f"dedup: error: {e.path}: {e.message}", err=True)
    for w in outcome.warnings:
        click.echo(f"dedup: warning: {w.path}: {w.message}", err=True)


def register_index_commands(cli: click.Group) -> None:
    """Add ``index``, ``check`` and ``config`` to the ``dedup`` group."""
    from .cli import UsageError, _emit, _settings_options
    from .report.formatters import FORMATS, format_result

    index_option = click.option(
        "--index",
        "index",
        type=click.Path(dir_okay=False),
        required=True,
        help="The index: a SQLite file, or redis://host:port/db?prefix=name (extra dedup[redis]).",
    )
    root_option = click.option(
        "--root",
        type=click.Path(file_okay=False),
        default=None,
        help="Make file ids relative to this folder (use the same --root for index add and check).",
    )
    ext_option = click.option(
        "--ext",
        "extensions",
        multiple=True,
        default=DEFAULT_EXTENSIONS,
        show_default=True,
        help="File endings read from folders (repeatable), e.g. --ext .md --ext .html.",
    )

    @cli.group(epilog=INDEX_EXIT_CODES_HELP)
    def index() -> None:
        """Build and inspect a persistent index of published content."""

    @index.command("add", epilog=INDEX_EXIT_CODES_HELP)
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
    @index_option
    @ext_option
    @root_option
    @click.option("--quiet", "-q", is_flag=True, help="Do not print per-file problems on stderr.")
    @_reader_options
    @_settings_options
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

        Documents already indexed with the same content are left as they are;
        an id indexed with other content is replaced. The add is one
        transaction: interrupted, it leaves the index as it was.
        """
        outcome = _read(paths, extensions, reader, root)
        _problems(outcome, quiet)
        with _open_index(index, settings, create=True) as idx:
            try:
                stats = idx.add(outcome.documents)
            except DedupError as exc:
                raise UsageError(str(exc)) from None
        click.echo(
            f"{index}: added {len(stats.added)}, replaced {len(stats.replaced)}, "
            f"unchanged {len(stats.unchanged)}, unreadable {len(outcome.errors)}"
        )
        if outcome.errors:
            raise click.exceptions.Exit(2)

    @index.command("info", epilog=INDEX_EXIT_CODES_HELP)
    @index_option
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @click.option("--check", "full_check", is_flag=True, help="Run a full integrity check of the file.")
    @click.option("--ids", is_flag=True, help="List the document ids too.")
    def index_info(index: str, fmt: str, full_check: bool, ids: bool) -> None:
        """Show an index's settings, counts and size."""
        from .check import Index

        try:
            with Index.open(index, create=False, verify="full" if full_check else "quick") as idx:
                info = idx.info()
                doc_ids = idx.document_ids() if ids else None
        except DedupError as exc:
            raise UsageError(str(exc)) from None
        data = info.to_dict()
        if doc_ids is not None:
            data["ids"] = doc_ids
        if fmt == "json":
            click.echo(json.dumps(data, indent=2, sort_keys=True))
            return
        click.echo(f"index:      {info.path} ({info.backend}, schema {info.schema_version})")
        click.echo(f"documents:  {info.documents}")
        click.echo(f"paragraphs: {info.paragraphs} ({info.groups} distinct, {info.band_entries} LSH band keys)")
        click.echo(f"adds:       {info.adds}")
        click.echo(f"size:       {info.size_bytes} bytes")
        click.echo("settings:   " + ", ".join(f"{k}={v}" for k, v in sorted(info.settings.items())))
        for i in doc_ids or ():
            click.echo(f"  {i}")

    @index.command("remove", epilog=INDEX_EXIT_CODES_HELP)
    @click.argument("ids", nargs=-1, required=True)
    @index_option
    def index_remove(ids: Sequence[str], index: str) -> None:
        """Remove documents from the index by id."""
        from .check import Index

        try:
            with Index.open(index, create=False) as idx:
                removed = idx.remove(list(ids))
        except DedupError as exc:
            raise UsageError(str(exc)) from None
        missing = sorted(set(ids) - set(removed))
        click.echo(f"{index}: removed {len(removed)}")
        if missing:
            raise UsageError(f"not in the index: {', '.join(missing)}")

    @cli.command(epilog=CHECK_EXIT_CODES_HELP)
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
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
        type=click.Choice(["pairs", "passages"]),
        default="pairs",
        show_default=True,
        help="pairs: duplicate/near_duplicate/containment documents fail; passages: any shared passage fails.",
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(FORMATS)),
        default="table",
        show_default=True,
        help="Output format (github: workflow annotations, sarif: SARIF 2.1.0).",
    )
    @click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write to FILE (atomically).")
    @ext_option
    @root_option
    @click.option("--quiet", "-q", is_flag=True, help="Do not print the summary and per-file problems on stderr.")
    @_reader_options
    @_settings_options
    def check(
        paths: Sequence[str],
        index: str,
        add_clean: bool,
        add_all: bool,
        baseline: str | None,
        write_baseline: str | None,
        fail_on: str,
        fmt: str,
        output: str | None,
        extensions: Sequence[str],
        root: str | None,
        quiet: bool,
        reader: ReaderOptions,
        **settings: Any,
    ) -> None:
        """Check NEW content (files, folders, feeds, exports) against the index.

        Reports what in the new documents duplicates indexed documents or other
        new documents, in the same formats as `dedup scan` (passages name the
        indexed documents, with offsets into their text). The index must exist
        unless --add/--add-all is given.
        """
        from .check import check as run_check

        if add_clean and add_all:
            raise UsageError("use either --add or --add-all")
        try:
            accepted = Baseline.load(baseline) if baseline else Baseline()
        except DedupError as exc:
            raise UsageError(str(exc)) from None
        outcome = _read(paths, extensions, reader, root)
        with _open_index(index, settings, create=add_clean or add_all) as idx:
            try:
                res = run_check(
                    outcome.documents,
                    idx,
                    baseline=accepted,
                    fail_on=fail_on,  # type: ignore[arg-type]
                    errors=outcome.errors,
                    warnings=outcome.warnings,
                )
            except DedupError as exc:
                raise UsageError(str(exc)) from None
            _emit(format_result(res.result, fmt), output)
            if write_baseline:
                try:
                    Baseline.from_findings(res.all_findings()).write(write_baseline)
                except OSError as exc:
                    raise UsageError(f"cannot write {write_baseline}: {exc.strerror or exc}") from None
            added = 0
            if add_clean or add_all:
                keep = set(res.new_ids if add_all else res.clean_ids())
                try:
                    stats = idx.add([d for d in outcome.documents if d.id in keep])
                except DedupError as exc:
                    raise UsageError(str(exc)) from None
                added = len(stats.added) + len(stats.replaced)
        _problems(outcome, quiet)
        if not quiet:
            parts = [
                f"{len(res.new_ids)} new document(s)",
                f"{len(res.findings)} finding(s)",
                f"{len(res.suppressed)} accepted by the baseline",
            ]
            if add_clean or add_all:
                parts.append(f"{added} added to the index")
            if write_baseline:
                parts.append(f"baseline written to {write_baseline}")
            click.echo("dedup check: " + ", ".join(parts), err=True)
        if outcome.errors:
            raise click.exceptions.Exit(2)
        if res.failed and not write_baseline:
            raise click.exceptions.Exit(EXIT_FOUND)

    @cli.command("config")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @_settings_options
    @click.pass_context
    def config_cmd(ctx: click.Context, fmt: str, **settings: Any) -> None:
        """Print the effective settings and where each comes from.

        Sources: "default", the settings file (dedup.toml, pyproject.toml
        [tool.dedup] or setup.cfg [dedup], nearest folder upwards, or the file
        named by DEDUP_CONFIG), or "command line".
        """
        fs: FileSettings = ctx.find_root().meta.get(_SETTINGS_KEY) or FileSettings()
        given = _explicit(settings)
        try:
            cfg = Config(**given)
        except DedupError as exc:
            raise UsageError(str(exc)) from None
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
        if fmt == "json":
            click.echo(json.dumps({"settings_file": fs.source, "settings": rows}, indent=2))
            return
        click.echo(f"settings file: {fs.source or '(none found)'}")
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            click.echo(f"  {r['name']:<{width}}  {r['value']!s:<10}  ({r['source']})")
