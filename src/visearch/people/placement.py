"""One clustering pass's view of the people: who is in which person, who may not be whom, and how far
a group of faces is from each person on average (people/index.py and review.py use it)."""
from __future__ import annotations

import numpy as np

from visearch.people import clustering
from visearch.storage.faces import Unit

REJECT_RADIUS = 0.25  # of the cluster distance: a rejected face re-detected (re-indexed) is still rejected
CANDIDATE_PEOPLE = 8  # people compared face by face with a group: those whose mean is nearest


class Placement:
    """One clustering pass's view: who is in which person, and who may not be whom."""

    def __init__(self, index, units: list[Unit]) -> None:
        from itertools import combinations

        self.index = index
        self.assignments: list[tuple[str, int, int | None]] = []
        self.person_of = {(u.kind, u.id): u.person_id for u in units}
        self.together: dict[tuple[str, int], set[tuple[str, int]]] = {}
        self.cannot_link: list[tuple[tuple[str, int], tuple[str, int]]] = []
        for group in index.faces.co_occurring():
            for a, b in combinations(group, 2):
                self.cannot_link.append((a, b))
                self.together.setdefault(a, set()).add(b)
                self.together.setdefault(b, set()).add(a)
        self.rejected = {person: index.space(np.stack(vectors)) for person, vectors in index.faces.rejections().items()}
        self.members = index.members(units)
        self._means = None  # see _people_index

    def barred(self, unit: Unit) -> set[int]:
        """People this unit may not join: those already in one of its photos or frames, and those
        the user said it is not."""
        people = {self.person_of.get(other) for other in self.together.get((unit.kind, unit.id), ())} - {None}
        vector = self.index.space(unit.embedding)[0]
        radius = REJECT_RADIUS * self.index.eps
        for person, vectors in self.rejected.items():
            if np.min(np.linalg.norm(vectors - vector, axis=1)) <= radius:
                people.add(person)
        return people

    def join(self, groups: list[list[Unit]], threshold: float) -> tuple[list[list[Unit]], list[list[Unit]]]:
        """Give each group (all its units) to the person it clearly belongs to (see `choose`);
        returns (joined groups, groups left over)."""
        joined, rest = [], []
        for group in groups:
            vectors = self.index.space(np.stack([u.embedding for u in group]))
            weights = np.array([u.weight or 1 for u in group], np.float64)
            barred = set().union(*(self.barred(u) for u in group))
            person = self.choose(vectors, weights, threshold, barred)
            if person is None:
                rest.append(group)
            else:
                for unit in group:
                    self._record(unit, person)
                joined.append(group)
        return joined, rest

    def choose(self, vectors: np.ndarray, weights: np.ndarray, threshold: float,
               barred: set[int] = frozenset()) -> int | None:
        """The person whose faces a group of identity vectors (in the shared space) is nearest on average,
        within `threshold` and clearly ahead of the next; None if no one qualifies."""
        return clustering.choose_person(self.distances(vectors, weights), threshold=threshold, barred=barred)

    def nearest(self, vectors: np.ndarray, weights: np.ndarray, barred: set[int] = frozenset()):
        """(the nearest person on average not barred, that distance), or (None, inf)."""
        allowed = [(d, p) for p, d in self.distances(vectors, weights).items() if p not in barred]
        return (min(allowed)[1], min(allowed)[0]) if allowed else (None, float("inf"))

    def distances(self, vectors: np.ndarray, weights: np.ndarray) -> dict[int, float]:
        """Average distances to the people whose mean is among the group's nearest few: the cost stays
        bounded however many people a library holds."""
        if not self.members:
            return {}
        people, index = self._people_index()
        centre = np.average(vectors, axis=0, weights=weights).astype(np.float32)[None]
        _, nearest = index.search(centre, min(CANDIDATE_PEOPLE, len(people)))
        return {people[column]: clustering.mean_distance(vectors, weights, *self.members[people[column]])
                for column in nearest[0] if column >= 0}

    def _people_index(self):
        """(people, FAISS index over their mean vectors), built once per change of the people."""
        if self._means is None:
            import faiss

            people = list(self.members)
            means = np.stack([np.average(v, axis=0, weights=w) for v, w in self.members.values()])
            index = faiss.IndexFlatL2(means.shape[1])
            index.add(means.astype(np.float32))
            self._means = (people, index)
        return self._means

    def place(self, units: list[Unit], person: int) -> None:
        """A new person founded by `units`: later faces are compared with them."""
        for unit in units:
            self._record(unit, person)
        vectors = self.index.space(np.stack([u.embedding for u in units]))
        self.members[person] = (vectors, np.array([u.weight for u in units], np.float64))
        self._means = None

    def _record(self, unit: Unit, person: int) -> None:
        self.assignments.append((unit.kind, unit.id, person))
        self.person_of[(unit.kind, unit.id)] = person
