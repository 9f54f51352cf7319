"""Baselines: known, accepted duplicates that do not fail ``dedup check``.

A baseline file is JSON::

    {
      "dedup_baseline": 1,
      "accepted": [
        {"a": "news/old.md", "b": "news/new.md", "kind": "near_duplicate"}
      ]
    }

Each entry names two document ids (in any order) and a finding kind: a pair
kind (``duplicate``, ``near_duplicate``, ``containment``, ...) or
``passage`` (shared passages between the two documents). Entries are written
sorted, so the same findings give a byte-identical file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import InputError
from .io.atomic import write_atomic
from .io.nesting import load_json, replace_surrogates

__all__ = ["BASELINE_VERSION", "Baseline", "Finding"]

#: Version of the baseline file format.
BASELINE_VERSION = 1


@dataclass(frozen=True, order=True)
class Finding:
    """One reason a check fails: two documents and how they are related.

    Attributes:
        a: First document id (``a <= b``).
        b: Second document id.
        kind: A pair kind, or ``"passage"``.
    """

    a: str
    b: str
    kind: str

    @classmethod
    def of(cls, a: str, b: str, kind: str) -> Finding:
        """Build a finding with the ids in sort order."""
        return cls(min(a, b), max(a, b), kind)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"a": self.a, "b": self.b, "kind": self.kind}


@dataclass(frozen=True)
class Baseline:
    """A set of accepted findings.

    Attributes:
        accepted: The accepted findings.
    """

    accepted: frozenset[Finding] = frozenset()

    def __contains__(self, finding: object) -> bool:
        return finding in self.accepted

    def __len__(self) -> int:
        return len(self.accepted)

    def suppresses_docs(self, a: str, b: str) -> bool:
        """Whether any accepted finding links the two documents."""
        lo, hi = min(a, b), max(a, b)
        return any(f.a == lo and f.b == hi for f in self.accepted)

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Baseline:
        """A baseline accepting these findings."""
        return cls(frozenset(findings))

    def to_json(self) -> str:
        """The file content (sorted, indented, final newline)."""
        data = {"dedup_baseline": BASELINE_VERSION, "accepted": [f.to_dict() for f in sorted(self.accepted)]}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def write(self, path: str) -> None:
        """Write the baseline atomically."""
        write_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: str) -> Baseline:
        """Read a baseline file.

        A file nested deeper than :data:`~dedup.io.nesting.MAX_NESTING` levels
        is refused (no ``RecursionError``); lone surrogates in ids become U+FFFD.

        Raises:
            InputError: The file is missing or not a valid baseline.
        """
        try:
            with open(path, encoding="utf-8") as fh:
                data = load_json(fh.read())
        except OSError as exc:
            raise InputError(path, exc.strerror or str(exc)) from None
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not valid UTF-8: {exc.reason}") from None
        except ValueError as exc:  # not valid JSON, or nested deeper than MAX_NESTING
            raise InputError(path, str(exc)) from None
        data, _ = replace_surrogates(data)
        if not isinstance(data, dict) or not isinstance(data.get("accepted"), list):
            raise InputError(path, 'not a dedup baseline (expected an object with an "accepted" list)')
        version = data.get("dedup_baseline", BASELINE_VERSION)
        if version != BASELINE_VERSION:
            raise InputError(path, f"baseline version {version!r} is not supported")
        found: set[Finding] = set()
        for i, entry in enumerate(data["accepted"]):
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("a", "b", "kind")):
                raise InputError(path, f'accepted[{i}] must have string "a", "b" and "kind"')
            found.add(Finding.of(entry["a"], entry["b"], entry["kind"]))
        return cls(frozenset(found))
