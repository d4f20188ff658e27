"""People: cluster faces and tracks into persons, and answer "all clips of this person".

Clustering is DBSCAN (scikit-learn) in the spirit of Immich: a person needs
`min_faces` usable faces within `max_distance` of each other to be born; a
video track counts as many faces as it holds. It is incremental: faces and
tracks close enough to an existing person (or to an enrolled reference) join
it; the rest are clustered among themselves; what stays unclustered waits in
the faces-without-person pool for the next pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.errors import VisearchError
from search.people.clips import Segment, Span, build_segments
from search.people.store import FaceStore, Unit

MIN_FACES = 3


class PersonNotFoundError(VisearchError):
    pass


@dataclass
class ClusterReport:
    joined: int = 0  # units that joined an existing person
    new_people: int = 0
    unassigned: int = 0  # the faces-without-person pool
    dropped: int = 0  # faces of forgotten people, deleted on sight


@dataclass
class Clips:
    person: dict
    clips: list[Segment]
    photos: list[tuple[int, str, float]]  # item id, path, score
    notes: list[str] = field(default_factory=list)


def people_index(library) -> "PeopleIndex":
    """The people of a library, on the distance scale of the face backend that built it."""
    from indexer.models.faces import FACE_BACKENDS

    backend = FACE_BACKENDS[library.manifest.faces or "dlib"]
    return PeopleIndex(library.faces, backend.metric, backend.same_person)


class PeopleIndex:
    """Operations on the people of one library; `metric` and `max_distance` come from its face backend."""

    def __init__(self, faces: FaceStore, metric: str, max_distance: float, min_faces: int = MIN_FACES):
        self.faces = faces
        self.metric = metric
        self.max_distance = max_distance
        self.min_faces = min_faces

    # -- the embedding space: Euclidean everywhere, so FAISS L2 and DBSCAN agree with the backend

    def _space(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if self.metric == "cosine":
            vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        return np.ascontiguousarray(vectors)

    @property
    def _eps(self) -> float:
        # cosine distance d between unit vectors is Euclidean distance sqrt(2d)
        return float(np.sqrt(2 * self.max_distance)) if self.metric == "cosine" else self.max_distance

    def _nearest(self, queries: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Euclidean distance and index of each query's nearest base vector (FAISS exact search)."""
        import faiss

        if len(base) == 0 or len(queries) == 0:
            return np.full(len(queries), np.inf), np.full(len(queries), -1)
        index = faiss.IndexFlatL2(base.shape[1])
        index.add(self._space(base))
        distances, ids = index.search(self._space(queries), 1)
        return np.sqrt(np.maximum(distances[:, 0], 0)), ids[:, 0]

    def centroids(self, units: list[Unit] | None = None) -> dict[int, np.ndarray]:
        """Each person's weighted mean identity vector, references included."""
        units = self.faces.units() if units is None else units
        sums: dict[int, list] = {}
        for unit in units:
            if unit.person_id is not None:
                sums.setdefault(unit.person_id, []).append((self._space(unit.embedding)[0], unit.weight))
        for person, references in self.faces.references().items():
            for vector in references:
                sums.setdefault(person, []).append((self._space(vector)[0], 3))
        return {
            person: np.average([v for v, _ in rows], axis=0, weights=[w for _, w in rows]).astype(np.float32)
            for person, rows in sums.items()
        }

    # -- clustering

    def cluster(self) -> ClusterReport:
        from sklearn.cluster import DBSCAN

        report = ClusterReport()
        units = self.faces.units()
        forgotten = self.faces.forgotten()
        if forgotten and units:
            distances, _ = self._nearest(np.stack([u.embedding for u in units]), np.stack(forgotten))
            dropped = [u for u, d in zip(units, distances) if d <= self._eps]
            self.faces.delete_units([(u.kind, u.id) for u in dropped])
            report.dropped = len(dropped)
            units = [u for u, d in zip(units, distances) if d > self._eps]

        pool = [u for u in units if u.person_id is None]
        assignments, pool = self._join(pool, self.centroids(units))
        report.joined = len(assignments)

        seeds = [u for u in pool if u.usable]
        born: dict[int, list[Unit]] = {}
        if seeds:
            labels = DBSCAN(eps=self._eps, min_samples=self.min_faces).fit_predict(
                self._space(np.stack([u.embedding for u in seeds])), sample_weight=[u.weight for u in seeds]
            )
            for unit, label in zip(seeds, labels):
                if label >= 0:
                    born.setdefault(int(label), []).append(unit)
        new_people = {self.faces.create_person(): members for members in born.values()}
        report.new_people = len(new_people)
        assignments += [(u.kind, u.id, person) for person, members in new_people.items() for u in members]
        seeded = {(u.kind, u.id) for members in born.values() for u in members}
        rest = [u for u in pool if (u.kind, u.id) not in seeded]
        # Small or blurry faces may join the new people; they never found one.
        late, rest = self._join(rest, {person: self._mean(members) for person, members in new_people.items()})
        assignments += late
        report.unassigned = len(rest)
        self.faces.assign(assignments)
        return report

    def _join(self, units: list[Unit], centroids: dict[int, np.ndarray]) -> tuple[list, list[Unit]]:
        """Assign each unit to its nearest person within reach; returns (assignments, the units left over)."""
        if not units or not centroids:
            return [], units
        people = list(centroids)
        distances, nearest = self._nearest(np.stack([u.embedding for u in units]), np.stack(list(centroids.values())))
        joined = [(u.kind, u.id, people[i]) for u, d, i in zip(units, distances, nearest) if d <= self._eps]
        left = [u for u, d in zip(units, distances) if d > self._eps]
        return joined, left

    def _mean(self, units: list[Unit]) -> np.ndarray:
        return np.average(self._space(np.stack([u.embedding for u in units])), axis=0,
                          weights=[u.weight for u in units]).astype(np.float32)

    # -- people by hand

    def resolve(self, key: str | int) -> int:
        person = self.faces.find_person(str(key))
        if person is None:
            raise PersonNotFoundError(f"no person '{key}' (see `visearch people list`)")
        return person

    def enroll(self, name: str, embeddings: list[np.ndarray]) -> int:
        """Create (or label) a person from reference faces, then pull in what matches them."""
        if not embeddings:
            raise VisearchError("no face found in the reference photos")
        reference = np.mean(self._space(np.stack(embeddings)), axis=0)
        person = self.faces.find_person(name) if name else None
        if person is None:
            centroids = self.centroids()
            if centroids:
                distances, nearest = self._nearest(reference[None], np.stack(list(centroids.values())))
                if distances[0] <= self._eps:  # an existing (maybe unnamed) cluster is this person
                    person = list(centroids)[nearest[0]]
            if person is None:
                person = self.faces.create_person(name)
            else:
                self.faces.rename(person, name)
        for vector in embeddings:
            self.faces.add_reference(person, vector)
        self.cluster()
        return person

    def forget(self, key: str | int) -> None:
        person = self.resolve(key)
        signature = self.centroids().get(person)
        self.faces.forget(person, signature)

    # -- clips

    def clips(self, person: int, *, gap: float = 2.0, pad: float = 0.5) -> Clips:
        centroid = self.centroids().get(person)
        tracks = self.faces.tracks(person_id=person)
        return self._clips(person, tracks, centroid, gap=gap, pad=pad)

    def clips_for_face(self, embedding: np.ndarray, *, gap: float = 2.0, pad: float = 0.5) -> Clips:
        """Search by a face photo: its person when it has one, else its nearest tracks."""
        centroids = self.centroids()
        if centroids:
            distances, nearest = self._nearest(embedding[None], np.stack(list(centroids.values())))
            if distances[0] <= self._eps:
                return self.clips(list(centroids)[nearest[0]], gap=gap, pad=pad)
        units = [u for u in self.faces.units() if u.kind == "track"]
        if not units:
            return Clips({"id": None, "name": ""}, [], [], ["no person or track matches this face"])
        distances = np.linalg.norm(self._space(np.stack([u.embedding for u in units])) - self._space(embedding), axis=1)
        close = [u.id for u, d in zip(units, distances) if d <= self._eps]
        tracks = self.faces.tracks(track_ids=close)
        result = self._clips(None, tracks, self._space(embedding)[0], gap=gap, pad=pad)
        result.notes.append("this face has no person yet: showing its nearest tracks")
        return result

    def _clips(self, person: int | None, tracks, centroid, *, gap: float, pad: float) -> Clips:
        def score(vector: np.ndarray) -> float:
            if centroid is None:
                return 1.0
            distance = float(np.linalg.norm(self._space(vector)[0] - centroid))
            return round(max(0.0, 1.0 - distance / (2 * self._eps)), 4)

        spans = [Span(t.video_id, t.start, t.end, t.shot, t.shot_start, t.shot_end, score(t.embedding), t.best_item)
                 for t in tracks]
        photos = []
        if person is not None:
            best: dict[int, float] = {}
            for face in self.faces.photo_faces(person):
                best[face.item_id] = max(best.get(face.item_id, 0.0), score(face.embedding))
            photos = sorted(best.items(), key=lambda pair: -pair[1])
        info = {"id": person, "name": ""}
        if person is not None:
            [row] = self.faces.people([person])
            info["name"] = row.name
        return Clips(info, build_segments(spans, gap=gap, pad=pad), [(i, "", s) for i, s in photos])
