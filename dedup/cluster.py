"""Clusters of duplicate documents and the choice of a canonical member."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from .errors import ConfigError
from .models import CLUSTER_KINDS, Cluster, Document, Pair

__all__ = ["UnionFind", "choose_canonical", "clusters_from_pairs"]

#: Pair kinds that join two documents into one cluster.


class UnionFind:
    """Disjoint sets over hashable items (path halving, union by size)."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._size: dict[str, int] = {}

    def find(self, x: str) -> str:
        """The representative of ``x``'s set (adds ``x`` if new)."""
        parent = self._parent
        if x not in parent:
            parent[x] = x
            self._size[x] = 1
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        """Merge the sets of ``a`` and ``b``."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]

    def groups(self) -> list[list[str]]:
        """All sets with two or more members, each sorted, sorted by first member."""
        out: dict[str, list[str]] = {}
        for x in self._parent:
            out.setdefault(self.find(x), []).append(x)
        return sorted(sorted(g) for g in out.values() if len(g) > 1)


def _date_key(doc: Document) -> tuple[int, str]:
    if doc.date:
        return (0, doc.date)
    if doc.mtime is not None:
        return (1, f"{doc.mtime:020.6f}")
    return (2, "")


def choose_canonical(
    members: Sequence[str],
    documents: Mapping[str, Document],
    policy: str,
    order: Sequence[str] | None = None,
) -> str:
    """Pick the member to keep.

    Policies: ``first`` is the member added first: the first in ``order``,
    or, without ``order``, in the iteration order of ``documents`` (a
    ``Detector`` keeps its documents in the order they were added). It is
    never string order, where ``"52"`` comes before ``"7"``. ``longest`` is
    the one with the most characters; ``earliest`` the one with the oldest
    metadata ``date``, else oldest file modification time (documents with a
    date come before those with only a time). Ties of ``longest`` and
    ``earliest`` go to the member first in ``order`` or, without ``order``,
    to the smallest id (so a mapping built in any order, as Spark builds
    it, gives the same answer). Members missing from ``order`` come after
    the others.

    Args:
        members: Member ids (any order).
        documents: Documents by id, in the order they were added.
        policy: ``"first"``, ``"longest"`` or ``"earliest"``.
        order: Document ids in the order they were added.

    Raises:
        ConfigError: On an unknown policy.

    Example:
        >>> docs = {i: Document(i, t) for i, t in [("7", "full original"), ("52", "half")]}
        >>> choose_canonical(["52", "7"], docs, "first")
        '7'
        >>> choose_canonical(["52", "7"], docs, "first", order=["52", "7"])
        '52'
    """
    return _choose(members, documents, policy, _tie_key(documents, policy, order))


def _tie_key(
    documents: Mapping[str, Document], policy: str, order: Sequence[str] | None
) -> Callable[[str], tuple[int, str]]:
    """The tie-break key of :func:`choose_canonical` (built once per corpus: it ranks every document)."""
    if policy not in ("first", "longest", "earliest"):
        raise ConfigError(f"unknown canonical policy {policy!r}")
    if policy == "first" or order is not None:
        ids = list(documents) if order is None else list(order)
        ranks = {doc_id: i for i, doc_id in enumerate(ids)}
        late = len(ranks)

        def tie(m: str) -> tuple[int, str]:
            return (ranks.get(m, late), m)
    else:

        def tie(m: str) -> tuple[int, str]:
            return (0, m)

    return tie


def _choose(
    members: Sequence[str], documents: Mapping[str, Document], policy: str, tie: Callable[[str], tuple[int, str]]
) -> str:
    if policy == "first":
        return min(members, key=tie)
    if policy == "longest":
        return min(members, key=lambda m: (-len(documents[m].text), tie(m)))
    return min(members, key=lambda m: (_date_key(documents[m]), tie(m)))


def clusters_from_pairs(
    pairs: Iterable[Pair],
    documents: Mapping[str, Document],
    policy: str = "first",
    order: Sequence[str] | None = None,
) -> list[Cluster]:
    """Connected components of the duplicate and near-duplicate pairs.

    Args:
        pairs: Document pairs (other kinds are ignored).
        documents: Documents by id, in the order they were added.
        policy: Canonical member policy (see :func:`choose_canonical`).
        order: Document ids in the order they were added, when ``documents``
            is not in that order.

    Returns:
        Clusters with two or more members (members sorted by id), sorted.
    """
    uf = UnionFind()
    for p in pairs:
        if p.kind in CLUSTER_KINDS:
            uf.union(p.a, p.b)
    groups = uf.groups()
    # One ranking of all documents for every cluster (per cluster it made the stage quadratic).
    tie = _tie_key(documents, policy, order)
    return [Cluster(tuple(g), _choose(g, documents, policy, tie)) for g in groups]
