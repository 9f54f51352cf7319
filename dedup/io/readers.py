"""Plain-text readers: find files, decode them, keep the original text.

Decoding keeps every character as it is in the file (no newline translation),
so offsets into :attr:`Document.text` address the file's text exactly:

1. a UTF-8 BOM is dropped and the rest decoded as UTF-8; a UTF-16/UTF-32 BOM
   selects that encoding;
2. otherwise a file with NUL bytes is refused as binary;
3. otherwise strict UTF-8;
4. failing that, cp1252 (or latin-1 where cp1252 has holes), with a warning
   naming the file.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import EmptyInputError, InputError
from ..models import Document, InputProblem
from .sources import ReaderOptions, StructuredRead, reader_kind

__all__ = [
    "DEFAULT_EXTENSIONS",
    "DEFAULT_MAX_FILE_SIZE",
    "CollectedFiles",
    "ReadOutcome",
    "collect_files",
    "collect_inputs",
    "decode_bytes",
    "printable_id",
    "read_bytes",
    "read_document",
    "read_paths",
    "read_structured",
]

#: File name endings read when a folder is scanned.
DEFAULT_EXTENSIONS = (".txt", ".md")

#: Files larger than this are refused unless a larger limit is given.
DEFAULT_MAX_FILE_SIZE = ReaderOptions.max_file_size

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_bytes(data: bytes, path: str = "<bytes>") -> tuple[str, str | None]:
    """Decode file content to text.

    Args:
        data: The raw bytes.
        path: Name used in errors and warnings.

    Returns:
        ``(text, warning)``; ``warning`` is ``None`` unless a legacy encoding
        was assumed.

    Raises:
        InputError: For binary content or a BOM whose encoding does not decode.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), None
            except UnicodeDecodeError as exc:
                raise InputError(path, f"invalid {encoding} after its byte-order mark: {exc.reason}") from None
    if b"\x00" in data:
        raise InputError(path, "binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "not valid UTF-8; decoded as cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "not valid UTF-8; decoded as latin-1"


def read_bytes(path: str, max_bytes: int = DEFAULT_MAX_FILE_SIZE) -> tuple[bytes, float]:
    """Read a regular file's bytes, refusing what cannot be read safely.

    Args:
        path: The file.
        max_bytes: Largest size read; a larger file is refused before it is
            read, so memory stays bounded.

    Returns:
        ``(data, mtime)``.

    Raises:
        InputError: The file is missing (it may have vanished during a scan),
            unreadable, not a regular file (a FIFO, device or socket, which
            could block or never end), a symlink loop, or too large.
    """
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(path, f"not a regular file ({_file_kind(st.st_mode)})")
        if st.st_size > max_bytes:
            raise InputError(path, f"file too large: {st.st_size} bytes (limit {max_bytes}, see --max-file-size)")
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    if len(data) > max_bytes:
        raise InputError(path, f"file too large: grew past the limit of {max_bytes} bytes while being read")
    return data, st.st_mtime


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "special file"


def read_document(
    path: str, doc_id: str | None = None, max_bytes: int = DEFAULT_MAX_FILE_SIZE
) -> tuple[Document, str | None]:
    """Read one text file.

    Args:
        path: File to read.
        doc_id: Id to give the document (default: ``path``).
        max_bytes: Largest file size read (see :func:`read_bytes`).

    Returns:
        ``(document, warning)``.

    Raises:
        InputError: The file cannot be read, is not a regular file, is too
            large, or is binary.
        EmptyInputError: The file holds no text.
    """
    data, mtime = read_bytes(path, max_bytes)
    if not data:
        raise EmptyInputError(path, "empty file")
    text, warning = decode_bytes(data, path)
    if not text.strip():
        raise EmptyInputError(path, "no text (only whitespace)")
    return Document(id=doc_id or path, text=text, path=path, mtime=mtime), warning


def printable_id(name: str) -> str:
    """A file name as a valid Unicode id.

    Bytes of a file name that are not UTF-8 (kept by Python as lone
    surrogates) become ``\\xNN`` escapes, so ids always encode to UTF-8 in
    JSON, CSV and HTML; the file itself is still opened by its real name.
    """
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


@dataclass(frozen=True)
class CollectedFiles:
    """The files found under some paths, and what was left out and why.

    Attributes:
        files: ``(path, id)`` pairs sorted by id, without duplicates.
        warnings: ``(id, reason)`` of files skipped on purpose (a symlink
            pointing outside the scanned folders, a named file whose
            extension is not read).
        errors: ``(id, reason)`` of folders that could not be listed.
    """

    files: tuple[tuple[str, str], ...]
    warnings: tuple[tuple[str, str], ...] = ()
    errors: tuple[tuple[str, str], ...] = ()


def _within(target: str, roots: Sequence[str]) -> bool:
    return any(target == root or target.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _walk(
    top: str,
    exts: tuple[str, ...],
    roots: Sequence[str],
    follow_symlinks: bool,
    found: list[str],
    warnings: list[tuple[str, str]],
    errors: list[tuple[str, str]],
) -> None:
    """Append the files under ``top`` to ``found``; an explicit stack, so depth costs no recursion."""
    stack = [top]
    seen = {os.path.realpath(top)}
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted((e for e in it if not _is_hidden(e.name)), key=lambda e: e.name)
        except OSError as exc:
            errors.append((folder, f"cannot list folder: {exc.strerror or exc}"))
            continue
        subdirs: list[str] = []
        for e in entries:
            path = os.path.join(folder, e.name)
            try:
                is_link = e.is_symlink()
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                is_link = is_dir = False
            if is_link:
                target = os.path.realpath(path)
                inside = _within(target, roots)
                if os.path.isdir(target):
                    # Symlinked folders are walked only with follow_symlinks (and once each).
                    if follow_symlinks and target not in seen:
                        seen.add(target)
                        subdirs.append(path)
                    elif not follow_symlinks and not inside:
                        warnings.append((path, _OUTSIDE))
                    continue
                if not e.name.lower().endswith(exts):
                    continue
                if not inside and not follow_symlinks:
                    warnings.append((path, _OUTSIDE))
                    continue
                found.append(path)
            elif is_dir:
                if follow_symlinks:
                    seen.add(os.path.realpath(path))
                subdirs.append(path)
            elif e.name.lower().endswith(exts):
                found.append(path)
        stack.extend(reversed(subdirs))


_OUTSIDE = "symbolic link to a file outside the scanned folders; skipped (follow_symlinks / --follow-symlinks reads it)"


def collect_inputs(
    paths: Sequence[str],
    extensions: Sequence[str] = DEFAULT_EXTENSIONS,
    root: str | None = None,
    follow_symlinks: bool = False,
) -> CollectedFiles:
    """List the files to read, the id each gets, and the files left out.

    Folders are walked (iteratively: any depth works; hidden entries are
    skipped, files are matched by ``extensions``). A symbolic link inside a
    folder whose target lies outside every scanned path is skipped with a
    warning, unless ``follow_symlinks``; symlinked folders are walked only
    with ``follow_symlinks``. Files named directly are read when their
    extension is in ``extensions`` or has a structured reader (JSON Lines,
    feeds, HTML); other named files (``photo.png``) are skipped with a
    warning, as they would be in a folder. Ids are paths relative to the
    common base folder of the arguments, with ``/`` separators: scanning one
    folder gives ids relative to it.

    Args:
        paths: Files and folders.
        extensions: Endings of files to take (case-insensitive).
        root: Make ids relative to this folder instead of the common base
            (so a file gets the same id whether its folder or the file
            itself is named, as ``dedup check`` in CI needs).
        follow_symlinks: Read symlinked files and folders wherever they point.

    Returns:
        A :class:`CollectedFiles`.

    Raises:
        InputError: A path does not exist.
    """
    exts = tuple(e.lower() for e in extensions)
    id_base = os.path.abspath(root) if root else None
    found: list[str] = []
    bases: list[str] = []
    warnings: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    for p in paths:
        if not (os.path.exists(p) or os.path.islink(p)):
            raise InputError(p, "no such file or folder")
    roots = [os.path.realpath(p) for p in paths]
    for p in paths:
        if os.path.isdir(p):
            bases.append(os.path.abspath(p))
            _walk(p, exts, roots, follow_symlinks, found, warnings, errors)
        else:
            bases.append(os.path.dirname(os.path.abspath(p)))
            if p.lower().endswith(exts) or reader_kind(p) != "text":
                found.append(p)
            else:
                shown = ", ".join(extensions) or "none"
                warnings.append((p, f"not read: the extension is not one of --ext ({shown})"))
    base = id_base or (os.path.commonpath(bases) if bases else os.getcwd())

    def ident(f: str) -> str:
        return printable_id(os.path.relpath(os.path.abspath(f), base).replace(os.sep, "/"))

    seen: dict[str, str] = {}
    for f in found:
        seen.setdefault(ident(f), f)
    return CollectedFiles(
        tuple(sorted(((f, i) for i, f in seen.items()), key=lambda t: t[1])),
        tuple((ident(f), why) for f, why in warnings),
        tuple((ident(f), why) for f, why in errors),
    )


def collect_files(
    paths: Sequence[str], extensions: Sequence[str] = DEFAULT_EXTENSIONS, root: str | None = None
) -> list[tuple[str, str]]:
    """The ``(path, id)`` pairs of :func:`collect_inputs` (sorted by id, without duplicates).

    Raises:
        InputError: A path does not exist.
    """
    return list(collect_inputs(paths, extensions, root).files)


@dataclass(frozen=True)
class ReadOutcome:
    """Documents read from paths, with the problems met."""

    documents: tuple[Document, ...]
    errors: tuple[InputProblem, ...]
    warnings: tuple[InputProblem, ...]


def read_paths(
    paths: Iterable[str],
    extensions: Sequence[str] = DEFAULT_EXTENSIONS,
    options: ReaderOptions | None = None,
    root: str | None = None,
) -> ReadOutcome:
    """Read every text file under the given paths.

    A file that cannot be used is reported in ``errors`` and the others are
    still read. JSON Lines, RSS/Atom and HTML files are read with their
    reader (see :mod:`dedup.io.sources`).

    Args:
        paths: Files and folders.
        extensions: Endings of files to take from folders.
        options: Options of the structured readers (JSON Lines fields).
        root: Folder the file ids are relative to (default: the common base).

    Returns:
        The documents (sorted by id), errors and warnings.

    Raises:
        InputError: A named path does not exist.
    """
    docs: list[Document] = []
    errors: list[InputProblem] = []
    warnings: list[InputProblem] = []
    options = options or ReaderOptions()
    listing = collect_inputs(list(paths), extensions, root, options.follow_symlinks)
    warnings.extend(InputProblem(i, why) for i, why in listing.warnings)
    errors.extend(InputProblem(i, why) for i, why in listing.errors)
    for path, doc_id in listing.files:
        if reader_kind(path) != "text":
            sub = read_structured(path, doc_id, options)
            docs.extend(sub.documents)
            errors.extend(sub.errors)
            warnings.extend(sub.warnings)
            continue
        try:
            doc, warning = read_document(path, doc_id, options.max_file_size)
        except InputError as exc:
            errors.append(InputProblem(doc_id, exc.reason))
            continue
        if warning:
            warnings.append(InputProblem(doc_id, warning))
        docs.append(doc)
    docs, dup_errors = _drop_duplicate_ids(docs)
    errors.extend(dup_errors)
    return ReadOutcome(tuple(sorted(docs, key=lambda d: d.id)), tuple(errors), tuple(warnings))


def _drop_duplicate_ids(docs: list[Document]) -> tuple[list[Document], list[InputProblem]]:
    """Keep the first document of each id; later ones are errors."""
    seen: set[str] = set()
    kept: list[Document] = []
    errors: list[InputProblem] = []
    for d in docs:
        if d.id in seen:
            errors.append(InputProblem(d.id, f"duplicate document id (also in {d.path or 'another input'}); skipped"))
            continue
        seen.add(d.id)
        kept.append(d)
    return kept, errors


def read_structured(path: str, file_id: str, options: ReaderOptions) -> StructuredRead:
    """Read a JSON Lines, feed or HTML file into documents.

    Args:
        path: The file.
        file_id: The file's id (the document id of an HTML page).
        options: Reader options.

    Returns:
        A :class:`~dedup.io.sources.StructuredRead`.

    Raises:
        MissingDependencyError: The reader's extra is not installed.
    """
    try:
        data, mtime = read_bytes(path, options.max_file_size)
    except InputError as exc:
        return StructuredRead([], [InputProblem(file_id, exc.reason)], [])
    if not data.strip():
        return StructuredRead([], [InputProblem(file_id, "empty file")], [])
    kind = reader_kind(path)
    if kind == "feed":
        from .feeds import read_feed

        return read_feed(data, path, file_id)
    try:
        text, warning = decode_bytes(data, path)
    except InputError as exc:
        return StructuredRead([], [InputProblem(file_id, exc.reason)], [])
    warnings = [InputProblem(file_id, warning)] if warning else []
    if kind == "jsonl":
        from .jsonl import read_jsonl

        sub = read_jsonl(text, path, file_id, options)
    else:
        from .html import read_html

        sub = read_html(text, path, file_id, mtime)
    return StructuredRead(sub.documents, sub.errors, warnings + sub.warnings)
