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
    "ReadOutcome",
    "collect_files",
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


def collect_files(
    paths: Sequence[str], extensions: Sequence[str] = DEFAULT_EXTENSIONS, root: str | None = None
) -> list[tuple[str, str]]:
    """List the files to read and the id each gets.

    Folders are walked recursively (hidden entries and symlinked folders are
    skipped, files are matched by ``extensions``); files named directly are
    always taken. Ids are paths relative to the common base folder of the
    arguments, with ``/`` separators: scanning one folder gives ids relative
    to it.

    Args:
        paths: Files and folders.
        extensions: Endings of files to take from folders (case-insensitive).
        root: Make ids relative to this folder instead of the common base
            (so a file gets the same id whether its folder or the file
            itself is named, as ``dedup check`` in CI needs).

    Returns:
        ``(path, id)`` pairs sorted by id, without duplicates.

    Raises:
        InputError: A path does not exist.
    """
    exts = tuple(e.lower() for e in extensions)
    id_base = os.path.abspath(root) if root else None
    found: list[str] = []
    bases: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            bases.append(os.path.abspath(p))
            for root, dirs, files in os.walk(p, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
                for f in sorted(files):
                    if not _is_hidden(f) and f.lower().endswith(exts):
                        found.append(os.path.join(root, f))
        elif os.path.exists(p) or os.path.islink(p):
            bases.append(os.path.dirname(os.path.abspath(p)))
            found.append(p)
        else:
            raise InputError(p, "no such file or folder")
    if not found:
        return []
    base = id_base or (os.path.commonpath(bases) if bases else os.getcwd())
    seen: dict[str, str] = {}
    for f in found:
        rel = os.path.relpath(os.path.abspath(f), base)
        doc_id = printable_id(rel.replace(os.sep, "/"))
        seen.setdefault(doc_id, f)
    return sorted(((f, i) for i, f in seen.items()), key=lambda t: t[1])


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
    for path, doc_id in collect_files(list(paths), extensions, root):
        if reader_kind(path) != "text":
            sub = read_structured(path, doc_id, options or ReaderOptions())
            docs.extend(sub.documents)
            errors.extend(sub.errors)
            warnings.extend(sub.warnings)
            continue
        try:
            doc, warning = read_document(path, doc_id, (options or ReaderOptions()).max_file_size)
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
