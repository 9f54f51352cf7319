"""The scan JSON is pinned byte for byte (issue 13's characterization test).

The digests in ``tests/snapshots`` were written by ``tests/snapshots/make.py``
from the code before the pipeline refactor. A change that is meant to alter the
scan output regenerates them and says so in its commit.
"""

from __future__ import annotations

import importlib.util
import pathlib
import tempfile

import pytest

HERE = pathlib.Path(__file__).resolve().parent / "snapshots"
_spec = importlib.util.spec_from_file_location("_snapshots_make", HERE / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


def _pinned(name: str) -> str:
    return (HERE / f"{name}.sha256").read_text().strip()


@pytest.mark.parametrize("name", ["examples_corpus", "seeds"])
def test_scan_json_is_byte_identical_to_the_pinned_snapshot(name):
    paths = make.corpora().get(name)
    if paths is None:
        pytest.skip(f"inputs of {name} are absent")
    assert make.digest(make.scan_json(paths)) == _pinned(name)


def test_planted_harness_scan_json_is_byte_identical_to_the_pinned_snapshot():
    if not make.LEE_BACKGROUND.is_file():
        pytest.skip(f"{make.LEE_BACKGROUND} is absent")
    with tempfile.TemporaryDirectory() as tmp:
        folder = make.planted_folder(pathlib.Path(tmp))
        assert make.digest(make.scan_json([str(folder)])) == _pinned("planted")
