"""Writing reports and files so that nothing is lost.

* :func:`write_atomic`: a temporary file in the same folder, ``fsync``, then
  ``os.replace``: readers see the old content or the new, never half. A new
  file gets the permissions the umask allows (``0666 & ~umask``, as ``>``
  in a shell); an existing file keeps its permission bits.
* :func:`write_output`: what ``--output`` uses. It refuses a path that is one
  of the inputs or the index (:func:`check_output_path`), writes *in place*
  (not atomically) to what a rename would destroy: character/block devices
  such as ``/dev/stdout`` or ``/dev/null``, FIFOs, sockets, and symbolic
  links (the link stays and its target gets the report), and atomically to
  everything else.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence

from ..errors import OutputError

__all__ = ["check_output_path", "write_atomic", "write_output"]

#: Files next to a SQLite index that are part of it.
_INDEX_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    Args:
        path: Destination file.
        data: Text (encoded with ``encoding``) or bytes.
        encoding: Text encoding.

    Raises:
        OSError: The folder is not writable; ``path`` is left untouched.
    """
    payload = data.encode(encoding) if isinstance(data, str) else data
    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=".dedup-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _same(st: os.stat_result, path: str) -> bool:
    try:
        other = os.stat(path)
    except (OSError, ValueError):
        return False
    return (st.st_dev, st.st_ino) == (other.st_dev, other.st_ino)


def _inside_read_folder(real: str, folder: str, extensions: Sequence[str]) -> bool:
    """Whether ``real`` is a file a scan of ``folder`` reads (not hidden, a matching extension)."""
    root = os.path.realpath(folder)
    if not real.startswith(root.rstrip(os.sep) + os.sep):
        return False
    rel = os.path.relpath(real, root)
    if any(part.startswith(".") for part in rel.split(os.sep)):
        return False
    return real.lower().endswith(tuple(e.lower() for e in extensions))


def check_output_path(
    output: str,
    inputs: Iterable[str] = (),
    index: str | None = None,
    extensions: Sequence[str] = (".txt", ".md"),
) -> None:
    """Refuse an output path whose writing would destroy an input or the index.

    The output is refused when it is (the same file as, by device and inode,
    symbolic links followed) a named input file, a file a named input folder
    contributes (not hidden, its extension in ``extensions``), or the index
    (a SQLite file or its ``-wal`` / ``-shm`` / ``-journal`` companions).
    A path that does not exist yet destroys nothing and is always accepted.

    Args:
        output: The ``--output`` path.
        inputs: The paths given to read (files and folders).
        index: The ``--index`` path (a Redis URL is ignored).
        extensions: The ``--ext`` endings folders are read with.

    Raises:
        OutputError: The output is an input or the index.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> (d / "a.txt").write_text("x")
        1
        >>> check_output_path(str(d / "a.txt"), [str(d / "a.txt")])
        Traceback (most recent call last):
        dedup.errors.OutputError: ...a.txt: refusing to write the output over an input file
        >>> check_output_path(str(d / "report.json"), [str(d)])
    """
    try:
        st = os.stat(output)
    except (OSError, ValueError):
        return
    if not stat.S_ISREG(st.st_mode):
        return  # devices, FIFOs, sockets: written in place, never replaced
    real = os.path.realpath(output)
    for p in inputs:
        if os.path.isdir(p):
            if _inside_read_folder(real, p, extensions):
                raise OutputError(f"{output}: refusing to write the output over a file read from {p}")
        elif _same(st, p):
            raise OutputError(f"{output}: refusing to write the output over an input file")
    if index and "://" not in index:
        for suffix in _INDEX_COMPANIONS:
            if _same(st, index + suffix):
                raise OutputError(f"{output}: refusing to write the output over the index {index}")


def _special(path: str) -> bool:
    """Whether a rename over ``path`` would destroy something other than a regular file."""
    try:
        if os.path.islink(path):
            return True
        st = os.stat(path)
    except (OSError, ValueError):
        return False
    return not stat.S_ISREG(st.st_mode)


def write_output(
    path: str,
    data: str | bytes,
    *,
    inputs: Iterable[str] = (),
    index: str | None = None,
    extensions: Sequence[str] = (".txt", ".md"),
    encoding: str = "utf-8",
) -> None:
    """Write a report to ``path`` without destroying anything (what ``--output`` does).

    Args:
        path: The output path.
        data: Text or bytes.
        inputs: The paths read (see :func:`check_output_path`).
        index: The index path, if any.
        extensions: The ``--ext`` endings.
        encoding: Text encoding.

    Raises:
        OutputError: The path is an input or the index, or cannot be written.
    """
    check_output_path(path, inputs, index, extensions)
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        if _special(path):
            with open(path, "wb") as fh:  # follows a symlink; a device/FIFO stays what it is
                fh.write(payload)
        else:
            write_atomic(path, payload)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
