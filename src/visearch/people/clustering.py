"""Who is who, as pure functions over identity vectors: clustering, and joining a known person.

Clustering is average-linkage agglomeration (scikit-learn) with cannot-link
constraints: two faces seen in one photo or one video frame are never one
person. Average linkage merges two groups only when their faces are close *on
average*, so a chain of look-alikes (a parent, a child, a sibling, each close
to the next) does not collapse into one person as it does under DBSCAN, whose
single link lets any one close pair join two groups. A wrong merge costs the
user more than a split: the thresholds lean to splitting, and people merge
by hand in one click.

Joining is held to the same standard: a face joins a person when it is close
to that person's faces on average (not merely to one of them, nor to their
mean), clearly closer than to anyone else, and never in a photo that person
is already in. Everything here works in one Euclidean space (cosine backends
are normalised first), the space FAISS and the backends' thresholds use.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

FAR = 1e6  # the distance a cannot-link pair is given: no average can bring such groups together
EXACT_LIMIT = 4000  # faces clustered with a full distance matrix (≤ 64 MB of pairs); bigger parts use the graph
NEIGHBOURS = 16  # edges per face in the neighbour graph
MAX_MEMBERS = 256  # a person's faces compared with a candidate: their best, for a bounded cost
JOIN_MARGIN = 0.05  # the nearest person must beat the next by this much, or the face waits for the user


@dataclass(frozen=True)
class Candidate:
    """A unit to place: its vector, how many faces it stands for, whether it may found a person."""

    vector: np.ndarray
    weight: int = 1
    usable: bool = True


def pairwise(vectors: np.ndarray) -> np.ndarray:
    """Euclidean distances between all rows (float64, symmetric, zero diagonal)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    squares = np.sum(vectors * vectors, axis=1)
    distances = squares[:, None] + squares[None, :] - 2 * vectors @ vectors.T
    np.fill_diagonal(distances, 0.0)
    return np.sqrt(np.maximum(distances, 0.0))


def groups(candidates: Sequence[Candidate], cannot_link: Sequence[tuple[int, int]], *,
           threshold: float) -> list[list[int]]:
    """Every group of candidate indices that average linkage puts together (singletons included).

    Faces are first split into the connected parts of their nearest-neighbour graph cut at
    `threshold`: two parts with no pair that close can never merge on average, so each part is
    clustered on its own, exactly (a full distance matrix) up to EXACT_LIMIT faces, and along the
    graph's edges beyond. A big library's first pass stays within memory; the graph may only
    miss merges, never add one. No group ever keeps a cannot-link pair.
    """
    if len(candidates) < 2:
        return [[0]] if candidates else []
    vectors = np.stack([c.vector for c in candidates]).astype(np.float32)
    graph = neighbour_graph(vectors, threshold)
    from scipy.sparse.csgraph import connected_components

    _, parts = connected_components(graph, directed=False)
    found: list[list[int]] = []
    for members in _by_label(parts):
        if len(members) == 1:
            found.append(members)
            continue
        local = {index: position for position, index in enumerate(members)}
        pairs = [(local[a], local[b]) for a, b in cannot_link if a in local and b in local]
        if len(members) <= EXACT_LIMIT:
            labels = _average_exact(vectors[members], pairs, threshold)
        else:
            labels = _average_along(vectors[members], graph[members][:, members], pairs, threshold)
        found += [[members[i] for i in group] for group in _by_label(labels)]
    return _apart(found, cannot_link)


def neighbour_graph(vectors: np.ndarray, threshold: float, neighbours: int = NEIGHBOURS):
    """A sparse graph linking each face to its nearest faces within `threshold` (FAISS exact search)."""
    import faiss
    from scipy.sparse import csr_matrix

    k = min(neighbours + 1, len(vectors))
    index = faiss.IndexFlatL2(vectors.shape[1])
    index.add(vectors)
    squared, found = index.search(vectors, k)
    rows = np.repeat(np.arange(len(vectors)), k)
    keep = (found.ravel() >= 0) & (np.sqrt(np.maximum(squared.ravel(), 0)) <= threshold)
    graph = csr_matrix((np.ones(int(keep.sum())), (rows[keep], found.ravel()[keep])), shape=(len(vectors),) * 2)
    return ((graph + graph.T) > 0).astype(np.float64)


def _average_exact(vectors: np.ndarray, cannot_link: list[tuple[int, int]], threshold: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    distances = pairwise(vectors)
    for a, b in cannot_link:
        distances[a, b] = distances[b, a] = FAR
    return AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                   distance_threshold=threshold).fit_predict(distances)


def _average_along(vectors: np.ndarray, graph, cannot_link: list[tuple[int, int]], threshold: float) -> np.ndarray:
    """Average linkage restricted to the graph's edges (scikit-learn's connectivity), for parts too big
    for a full matrix; cannot-link pairs lose their edge (and `_apart` checks the rest)."""
    from sklearn.cluster import AgglomerativeClustering

    graph = graph.tolil()
    for a, b in cannot_link:
        graph[a, b] = graph[b, a] = 0
    return AgglomerativeClustering(n_clusters=None, linkage="average", connectivity=graph.tocsr(),
                                   distance_threshold=threshold).fit_predict(vectors)


def _by_label(labels) -> list[list[int]]:
    found: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        found.setdefault(int(label), []).append(index)
    return list(found.values())


def _apart(found: list[list[int]], cannot_link: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Take out of its group any face cannot-linked to one already kept there (as its own group)."""
    banned: dict[int, set[int]] = {}
    for a, b in cannot_link:
        banned.setdefault(a, set()).add(b)
        banned.setdefault(b, set()).add(a)
    result = []
    for members in found:
        kept: list[int] = []
        for index in members:
            if banned.get(index, set()).isdisjoint(kept):
                kept.append(index)
            else:
                result.append([index])
        result.append(kept)
    return result


def peel(vectors: np.ndarray, weights: np.ndarray, limit: float) -> np.ndarray:
    """Which members of a group stay in it: the one farthest from the others on average leaves, again and
    again, until every one left is within `limit` of the rest on average. Average linkage takes in a face
    that is near a whole group but near none of its faces for sure (a child to a parent's photos); this
    gives such a face back, to be asked about. Returns a boolean mask. Pure."""
    count = len(vectors)
    keep = np.ones(count, bool)
    if count < 2:
        return keep
    if count > EXACT_LIMIT:  # one pass of exact row means, in chunks
        rows = np.array([mean_distance(vectors[i : i + 1], np.ones(1), vectors, weights) for i in range(count)])
        rows = (rows * weights.sum()) / np.maximum(weights.sum() - weights, 1e-9)  # without itself
        return rows <= limit
    distances = pairwise(vectors) * weights[None, :]
    totals, mass = distances.sum(axis=1), weights.sum() - weights
    while keep.sum() > 1:
        means = np.where(keep, totals / np.maximum(mass, 1e-9), -np.inf)
        worst = int(np.argmax(means))
        if means[worst] <= limit:
            break
        keep[worst] = False
        totals -= distances[:, worst]
        mass = mass - weights[worst]
    return keep


def founds(candidates: Sequence[Candidate], members: Sequence[int], min_weight: int) -> bool:
    """Whether a group may found a new person: faces adding up to `min_weight`, at least one usable
    (sharp and large enough)."""
    return (sum(candidates[i].weight for i in members) >= min_weight
            and any(candidates[i].usable for i in members))


def cluster(candidates: Sequence[Candidate], cannot_link: Sequence[tuple[int, int]], *, threshold: float,
            min_weight: int) -> list[list[int]]:
    """The groups that are one new person each; the rest are left out."""
    return [members for members in groups(candidates, cannot_link, threshold=threshold)
            if founds(candidates, members, min_weight)]


def mean_distance(vectors: np.ndarray, weights: np.ndarray, members: np.ndarray, member_weights: np.ndarray,
                  chunk: int = 512) -> float:
    """The weighted mean of all distances between a group's vectors and a person's (average linkage's
    distance between the two), in chunks so a big group needs no big matrix."""
    vectors, members = np.asarray(vectors, np.float64), np.asarray(members, np.float64)
    member_squares = np.sum(members**2, axis=1)
    total = 0.0
    for start in range(0, len(vectors), chunk):
        block = vectors[start : start + chunk]
        squares = np.sum(block**2, axis=1)[:, None] + member_squares[None, :] - 2 * block @ members.T
        per_row = np.sqrt(np.maximum(squares, 0.0)) @ member_weights / member_weights.sum()
        total += float(per_row @ weights[start : start + chunk])
    return total / float(np.sum(weights))


def choose_person(distances: dict[int, float], *, threshold: float, barred: set[int] = frozenset(),
                  margin: float = JOIN_MARGIN) -> int | None:
    """The person a face joins: within `threshold` on average, not barred (a cannot-link or a "not this
    person"), and ahead of the runner-up by `margin`; None when no one qualifies or two are too close to call."""
    allowed = sorted((d, p) for p, d in distances.items() if p not in barred)
    if not allowed or allowed[0][0] > threshold:
        return None
    if len(allowed) > 1 and allowed[1][0] - allowed[0][0] < margin:
        return None
    return allowed[0][1]


def strongest(vectors: np.ndarray, weights: np.ndarray, quality: np.ndarray, limit: int = MAX_MEMBERS):
    """At most `limit` members by quality (a person with thousands of faces is compared through their best)."""
    if len(vectors) <= limit:
        return vectors, weights
    keep = np.argsort(-quality, kind="stable")[:limit]
    return vectors[keep], weights[keep]
