"""Screenshot the HTML report of the example corpus with headless Chromium.

Usage (from the repository root)::

    python examples/make_screenshot.py                 # writes examples/report.png
    python examples/make_screenshot.py --output x.png --html x.html

The test suite runs this (tests/test_html.py); with ``DEDUP_UPDATE_SCREENSHOT=1``
or in CI (``CI=true``, as ``.ci/run`` sets it) the test writes
``examples/report.png`` itself, which is how the picture in the README is
made. The PNG is reduced to a 256-colour palette (numpy only) to keep it small.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = HERE / "corpus"
DEFAULT_OUTPUT = HERE / "report.png"
WINDOW = (1280, 2000)

#: Flags for a quiet, offline, sandbox-less (root in CI) headless Chromium.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    """The Chromium executable on PATH (``DEDUP_CHROMIUM`` overrides), or None."""
    override = os.environ.get("DEDUP_CHROMIUM")
    if override:
        return override
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(chromium: str, args: list[str], html_path: Path, timeout: float = 120, fragment: str = "") -> str:
    """Run headless Chromium on a local HTML file (URL ``#fragment`` optional) and return its stdout."""
    url = Path(html_path).resolve().as_uri() + (f"#{fragment}" if fragment else "")
    with tempfile.TemporaryDirectory(prefix="dedup-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def dump_dom(chromium: str, html_path: Path, fragment: str = "") -> str:
    """The DOM of the page after its scripts ran (``--dump-dom``)."""
    return run_chromium(chromium, ["--dump-dom"], html_path, fragment=fragment)


def screenshot(chromium: str, html_path: Path, png_path: Path, window: tuple[int, int] = WINDOW) -> None:
    """Write a PNG screenshot of the page's top ``window`` pixels."""
    png_path = Path(png_path).resolve()
    run_chromium(chromium, [f"--screenshot={png_path}", f"--window-size={window[0]},{window[1]}"], html_path)
    if not png_path.exists():
        raise RuntimeError(f"chromium wrote no screenshot to {png_path}")


# --- PNG reading / palette writing (numpy only) -----------------------------------------


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    out, pos = [], 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]))
        pos += 12 + n
    return out


def png_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` from a PNG's header."""
    ctype, body = _chunks(Path(path).read_bytes())[0]
    if ctype != b"IHDR":
        raise ValueError("PNG without IHDR")
    w, h = struct.unpack(">II", body[:8])
    return w, h


def _unfilter_row(f: int, line: list[int], prev: list[int], c: int) -> list[int]:
    cur = [0] * len(line)
    for i, v in enumerate(line):
        left = cur[i - c] if i >= c else 0
        up = prev[i]
        if f == 3:
            cur[i] = (v + ((left + up) >> 1)) & 0xFF
            continue
        ul = prev[i - c] if i >= c else 0
        p = left + up - ul
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
        if pa <= pb and pa <= pc:
            cur[i] = (v + left) & 0xFF
        elif pb <= pc:
            cur[i] = (v + up) & 0xFF
        else:
            cur[i] = (v + ul) & 0xFF
    return cur


def read_png(path: Path) -> np.ndarray:
    """Decode an 8-bit RGB, RGBA or palette PNG to an ``(h, w, 3)`` RGB array."""
    chunks = _chunks(Path(path).read_bytes())
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if depth != 8 or ctype not in (2, 3, 6) or interlace:
        raise ValueError("only 8-bit non-interlaced RGB, RGBA and palette PNGs are supported")
    c = {2: 3, 3: 1, 6: 4}[ctype]
    raw = np.frombuffer(zlib.decompress(b"".join(b for t, b in chunks if t == b"IDAT")), dtype=np.uint8)
    rows = raw.reshape(h, 1 + w * c)
    filters, data = rows[:, 0], rows[:, 1:].astype(np.int32)
    out = np.zeros((h, w * c), dtype=np.int32)
    prev = np.zeros(w * c, dtype=np.int32)
    for y in range(h):
        f, line = filters[y], data[y]
        if f == 0:
            cur = line
        elif f == 1:  # Sub: running sum per channel
            cur = np.cumsum(line.reshape(w, c), axis=0).reshape(-1) & 0xFF
        elif f == 2:  # Up
            cur = (line + prev) & 0xFF
        else:  # Average (3) and Paeth (4) depend on the byte to the left: plain Python per byte
            cur = np.array(_unfilter_row(int(f), line.tolist(), prev.tolist(), c), dtype=np.int32)
        out[y] = cur
        prev = cur
    if ctype == 3:
        palette = np.frombuffer(next(b for t, b in chunks if t == b"PLTE"), dtype=np.uint8).reshape(-1, 3)
        return palette[out.reshape(h, w)]
    return out.reshape(h, w, c)[:, :, :3].astype(np.uint8)


def write_palette_png(pixels: np.ndarray, path: Path, colors: int = 256) -> None:
    """Write an RGB image as a palette PNG of the ``colors`` most frequent colours (nearest match)."""
    h, w, _ = pixels.shape
    flat = pixels.reshape(-1, 3).astype(np.int32)
    codes = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    uniq, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    palette_codes = uniq[order[:colors]]
    pal = np.stack([(palette_codes >> 16) & 255, (palette_codes >> 8) & 255, palette_codes & 255], axis=1)
    urgb = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], axis=1)
    nearest = np.empty(len(uniq), dtype=np.uint8)
    for i in range(0, len(uniq), 4096):
        block = urgb[i : i + 4096, None, :] - pal[None, :, :]
        nearest[i : i + 4096] = np.argmin((block * block).sum(axis=2), axis=1)
    index = nearest[inverse.reshape(-1)].reshape(h, w)
    raw = np.concatenate([np.zeros((h, 1), dtype=np.uint8), index], axis=1).tobytes()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
        + chunk(b"PLTE", pal.astype(np.uint8).tobytes())
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    tmp = Path(str(path) + ".tmp")
    tmp.write_bytes(png)
    os.replace(tmp, path)


def make_report(html_path: Path, corpus: Path = CORPUS) -> Path:
    """Scan the corpus and write its HTML report."""
    sys.path.insert(0, str(ROOT))
    import dedup
    from dedup.report.html import to_html

    result = dedup.scan(str(corpus))
    Path(html_path).write_text(to_html(result, title="dedup report: examples/corpus"), encoding="utf-8")
    return Path(html_path)


def make_screenshot(output: Path = DEFAULT_OUTPUT, chromium: str | None = None, html: Path | None = None) -> Path:
    """Render the example corpus report, screenshot it, and shrink the PNG.

    Returns:
        The PNG path.

    Raises:
        RuntimeError: Chromium is missing or failed.
    """
    chromium = chromium or find_chromium()
    if not chromium:
        raise RuntimeError("chromium not found (Debian: apt-get install chromium)")
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="dedup-shot-") as tmp:
        html_path = Path(html) if html else Path(tmp) / "report.html"
        make_report(html_path)
        raw = Path(tmp) / "raw.png"
        screenshot(chromium, html_path, raw)
        write_palette_png(read_png(raw), output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="PNG to write")
    parser.add_argument("--html", type=Path, default=None, help="also keep the HTML report here")
    args = parser.parse_args(argv)
    path = make_screenshot(args.output, html=args.html)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
