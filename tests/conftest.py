from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
EXAMPLES = ROOT / "examples" / "corpus"


@pytest.fixture
def seeds_dir() -> pathlib.Path:
    """The real seed articles beside the project (skips when absent)."""
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(f"seed folder {SEEDS} is absent")
    return SEEDS


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    """The seed articles' texts by their three-digit prefix (skips when absent)."""
    if not SEEDS.is_dir() or not any(SEEDS.glob("*.txt")):
        pytest.skip(f"seed folder {SEEDS} is absent")
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir()) if p.is_file()}


def seed_path(seeds: pathlib.Path, prefix: str) -> pathlib.Path:
    """The seed file whose name starts with ``prefix`` (e.g. "003")."""
    matches = sorted(seeds.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix}_* is absent")
    return matches[0]
