"""People: cluster faces and tracks into persons, correct them, and answer "all clips of this person".

Clustering is average linkage with cannot-link constraints (people/clustering.py):
faces seen together in a photo or a frame are different people, and a chain of
look-alikes does not collapse into one person. It is incremental: a face or track
joins an existing person (or an enrolled reference) when it is close to that
person's faces on average and clearly closer than to anyone else; the rest are
clustered among themselves; what stays unclustered waits in the faces-without-
person pool. A video track counts as many faces as it holds.

Corrections stick: "not this person" records the face's identity vector against
the person, so no later pass gives it back; a split moves faces to a new person
and records the same; a merge is refused when the two share a photo.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from visearch.defaults import MOMENT_GAP
from visearch.errors import N_, Conflict, NotFound
from visearch.indexer.errors import VisearchError
from visearch.people import clustering
from visearch.people.clips import Segment, Span, build_segments
from visearch.storage.documents import DocumentStore
from visearch.people.placement import Placement
from visearch.storage.faces import FaceStore, Unit

MIN_FACES = 3
REFERENCE_WEIGHT = 3  # an enrolled reference photo counts as three faces
# A face less likely than this to be its nearest person (the backend's measured certainty) is not asked about:
# it waits among the faces of nobody known yet, where the user can still give it to anyone. Below one in four,
# "no" would be the usual answer, and the question costs more than it saves.
MIN_CERTAINTY = 0.25


class PersonNotFoundError(NotFound):
    pass


class CannotMergeError(Conflict):
    """Two people who appear together in a photo or frame are not one person."""


@dataclass
class ClusterReport:
    joined: int = 0  # units that joined an existing person
    new_people: int = 0
    unassigned: int = 0  # the faces-without-person pool
    dropped: int = 0  # faces of forgotten people, deleted on sight
    suggested: int = 0  # of the unassigned, those plausibly someone: asked about (`people review`)

    def summary(self) -> str:
        """The run's people in plain words (a face seen through a video shot counts once)."""
        def count(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        parts = [count(self.new_people, "new person", "new people"),
                 count(self.joined, "face added to someone already known", "faces added to people already known")]
        if self.suggested:
            parts.append(count(self.suggested, "face to confirm", "faces to confirm") + " (`visearch people review`)")
        if self.unassigned - self.suggested:
            parts.append(count(self.unassigned - self.suggested, "face of nobody known yet", "faces of nobody known yet"))
        return "people: " + ", ".join(parts)


@dataclass
class Clips:
    person: dict
    clips: list[Segment]
    photos: list[tuple[int, str, float]]  # item id, path, score
    notes: list[str] = field(default_factory=list)


def people_index(library) -> "PeopleIndex":
    """The people of a library, on the distance scale of the face backend that built it."""
    from visearch.indexer.models.faces import face_backend

    backend = face_backend(library.manifest.faces)
    return PeopleIndex.for_backend(library.faces, backend, library.docs)


class PeopleIndex:
    """Operations on the people of one library, with its face backend's metric and thresholds."""

    def __init__(self, faces: FaceStore, metric: str, cluster_distance: float, join_distance: float | None = None,
                 suggest_distance: float | None = None, min_faces: int = MIN_FACES,
                 docs: DocumentStore | None = None, certainty_curve: tuple[float, float] | None = None,
                 min_certainty: float = MIN_CERTAINTY):
        self.faces = faces
        self.docs = docs  # to name photos in messages
        self.metric = metric
        self.cluster_distance = cluster_distance
        self.join_distance = join_distance if join_distance is not None else cluster_distance
        self.suggest_distance = max(self.join_distance, suggest_distance or self.join_distance)
        self.min_faces = min_faces
        # (midpoint, slope) of the logistic that says how sure a suggestion is (people/review.py); unmeasured:
        # 0.95 at the join distance and 0.05 at the suggest distance.
        half = max(self.suggest_distance - self.join_distance, 1e-3) / 2
        self.certainty_curve = certainty_curve or (self.join_distance + half, float(np.log(19)) / half)
        self.min_certainty = min_certainty

    @classmethod
    def for_backend(cls, faces: FaceStore, backend, docs: DocumentStore | None = None) -> "PeopleIndex":
        return cls(faces, backend.metric, backend.cluster_distance, backend.join_distance, backend.suggest_distance,
                   docs=docs, certainty_curve=backend.certainty_curve)

    # -- the embedding space: Euclidean everywhere, so FAISS, clustering and the thresholds agree

    def space(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if self.metric == "cosine":
            vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        return np.ascontiguousarray(vectors)

    def _euclidean(self, distance: float) -> float:
        # cosine distance d between unit vectors is Euclidean distance sqrt(2d)
        return float(np.sqrt(2 * distance)) if self.metric == "cosine" else distance

    @property
    def eps(self) -> float:
        return self._euclidean(self.cluster_distance)

    @property
    def join(self) -> float:
        """Within this average distance of a person's faces (and clearly nearest) a face joins them."""
        return self._euclidean(self.join_distance)

    @property
    def suggest(self) -> float:
        """Past `join` and within this, the face is only suggested: the user is asked (people/review.py). Up to
        the suggest distance, or nearer where the certainty of the answer falls under `min_certainty` there."""
        if self.min_certainty <= 0:
            return self._euclidean(self.suggest_distance)
        midpoint, slope = self.certainty_curve
        unsure = midpoint + float(np.log(1 / self.min_certainty - 1)) / slope
        return self._euclidean(max(self.join_distance, min(self.suggest_distance, unsure)))

    def _nearest(self, queries: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Euclidean distance and index of each query's nearest base vector (FAISS exact search)."""
        import faiss

        if len(base) == 0 or len(queries) == 0:
            return np.full(len(queries), np.inf), np.full(len(queries), -1)
        index = faiss.IndexFlatL2(base.shape[1])
        index.add(self.space(base))
        distances, ids = index.search(self.space(queries), 1)
        return np.sqrt(np.maximum(distances[:, 0], 0)), ids[:, 0]

    def centroids(self, units: list[Unit] | None = None) -> dict[int, np.ndarray]:
        """Each person's weighted mean identity vector, references included."""
        members = self.members(self.faces.units() if units is None else units)
        return {person: np.average(vectors, axis=0, weights=weights).astype(np.float32)
                for person, (vectors, weights) in members.items()}

    def members(self, units: list[Unit]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Each person's member vectors (in the shared space) and weights: their faces, tracks, references."""
        rows: dict[int, list[tuple[np.ndarray, float, float]]] = {}
        for unit in units:
            if unit.person_id is not None:
                quality = unit.weight * (2 if unit.usable else 1)
                rows.setdefault(unit.person_id, []).append((self.space(unit.embedding)[0], unit.weight, quality))
        for person, references in self.faces.references().items():
            for vector in references:
                rows.setdefault(person, []).append((self.space(vector)[0], REFERENCE_WEIGHT, 10**9))
        members = {}
        for person, found in rows.items():
            vectors = np.stack([v for v, _, _ in found])
            weights = np.array([w for _, w, _ in found], np.float64)
            members[person] = clustering.strongest(vectors, weights, np.array([q for _, _, q in found]))
        return members

    # -- clustering

    def cluster(self) -> ClusterReport:
        """Place the faces and tracks without a person, in three steps that all use average distances:

        1. cluster them among themselves (average linkage, cannot-link);
        2. a group joins an existing person when within the backend's sure join distance of that person's
           faces on average (and clearly nearer than to anyone else); other groups big enough found new people;
        3. what is left (single faces and tracks that cannot found a person) joins a person under the same
           rule. Anything nearer a person than `suggest` but not sure stays unassigned and is asked about
           (people/review.py): relatives fall in that band, and a guess there is a wrong merge.
        """
        report = ClusterReport()
        units = self._drop_forgotten(self.faces.units(), report)
        placement = Placement(self, units)
        pool = [u for u in units if u.person_id is None]
        candidates = [clustering.Candidate(self.space(u.embedding)[0], u.weight, u.usable) for u in pool]
        where = {(u.kind, u.id): i for i, u in enumerate(pool)}
        links = [(where[a], where[b]) for a, b in placement.cannot_link if a in where and b in where]
        grouped, founding = self._cores(clustering.groups(candidates, links, threshold=self.eps), candidates)
        joined, rest = placement.join([[pool[i] for i in members] for members in grouped], self.join)
        report.joined = sum(map(len, joined))
        leftover: list[Unit] = []
        for members in rest:
            indices = [where[(u.kind, u.id)] for u in members]
            if clustering.founds(candidates, indices, self.min_faces) or (
                    len(indices) > 1 and founding.get(min(indices), False)):
                placement.place(members, self.faces.create_person())
                report.new_people += 1
            else:
                leftover += members
        late, unplaced = placement.join([[u] for u in leftover], self.join)
        report.joined += sum(map(len, late))
        report.unassigned = sum(map(len, unplaced))
        report.suggested = sum(1 for [unit] in unplaced
                               if placement.nearest(self.space(unit.embedding), np.ones(1),
                                                    placement.barred(unit))[1] <= self.suggest)
        self.faces.assign(placement.assignments)
        return report

    def _cores(self, grouped: list[list[int]], candidates: list[clustering.Candidate]):
        """Each group without the members not surely in it (`clustering.peel` at the join distance): those
        become groups of one, joined for sure, asked about or left unassigned like any lone face. Also, by
        a core's first member, whether its whole group could found a person: a core of two still does, so
        the faces peeled off it have someone to be suggested for."""
        result, founding = [], {}
        for members in grouped:
            if len(members) < 2:
                result.append(members)
                continue
            keep = clustering.peel(np.stack([candidates[i].vector for i in members]),
                                   np.array([candidates[i].weight for i in members], np.float64), self.join)
            core = [i for i, kept in zip(members, keep) if kept]
            founding[min(core)] = clustering.founds(candidates, members, self.min_faces)
            result.append(core)
            result += [[i] for i, kept in zip(members, keep) if not kept]
        return result, founding

    def _drop_forgotten(self, units: list[Unit], report: ClusterReport) -> list[Unit]:
        forgotten = self.faces.forgotten()
        if not forgotten or not units:
            return units
        distances, _ = self._nearest(np.stack([u.embedding for u in units]), np.stack(forgotten))
        dropped = [u for u, d in zip(units, distances) if d <= self.eps]
        self.faces.delete_units([(u.kind, u.id) for u in dropped])
        report.dropped = len(dropped)
        return [u for u, d in zip(units, distances) if d > self.eps]

    # -- people by hand

    def resolve(self, key: str | int) -> int:
        person = self.faces.find_person(str(key))
        if person is None:
            from visearch.text.names import suggestions

            near = suggestions(str(key), self.faces.names())
            if near:
                raise PersonNotFoundError(N_("no person '%(key)s'; did you mean %(names)s?"), code="person_missing",
                                          key=key, names=" or ".join(f"{name} ({pid})" for pid, name in near))
            raise PersonNotFoundError(N_("no person '%(key)s' (see `visearch people list`)"), code="person_missing",
                                      key=key)
        return person

    def enroll(self, name: str, embeddings: list[np.ndarray]) -> int:
        """Create (or label) a person from reference faces, then pull in what matches them."""
        if not embeddings:
            raise VisearchError(N_("no face found in the reference photos"), code="no_face_in_photo")
        person = self.faces.find_person(name) if name else None
        if person is None:  # an existing (maybe unnamed) person may be this one: the user says who the photos
            vectors = self.space(np.stack(embeddings))  # are, so a whole person within `suggest` is labelled
            person = Placement(self, self.faces.units()).choose(vectors, np.ones(len(vectors)), self.suggest)
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

    def reject(self, face_id: int) -> int:
        """"Not this person": detach the face (its whole track, in a video) and never give it back.
        Returns the person it was taken from."""
        face = self.faces.face(face_id)
        if face is None:
            raise PersonNotFoundError(N_("no face %(face_id)s"), code="face_missing", face_id=face_id)
        if face.person_id is None:
            raise VisearchError(N_("face %(face_id)s belongs to no one: nothing to undo"), code="face_unassigned",
                                face_id=face_id)
        unit = ("track", face.track_id) if face.track_id is not None else ("face", face.id)
        embedding = self.unit_vector(unit, face.embedding)
        self.faces.assign([(unit[0], unit[1], None)])
        self.faces.add_rejection(face.person_id, embedding)
        return face.person_id

    def split(self, person: int, face_ids: Sequence[int], name: str = "") -> int:
        """Move the chosen faces (their tracks, in videos) to a new person, and keep them off the old one."""
        faces = [self.faces.face(int(i)) for i in face_ids]
        wrong = [str(i) for i, f in zip(face_ids, faces) if f is None or f.person_id != person]
        if wrong:
            raise VisearchError(N_("faces %(wrong)s are not faces of person %(person)s"), code="faces_not_of_person",
                                wrong=', '.join(wrong), person=person)
        if not faces:
            raise VisearchError(N_("choose the faces to split off"), code="faces_missing")
        units = {("track", f.track_id) if f.track_id is not None else ("face", f.id): f for f in faces}
        new = self.faces.create_person(name)
        self.faces.assign([(kind, unit_id, new) for kind, unit_id in units])
        for unit, face in units.items():  # what clustering compares: a track's mean, a photo face's own
            self.faces.add_rejection(person, self.unit_vector(unit, face.embedding))
        return new

    def merge(self, keep: int, other: int) -> None:
        """One person from two, unless they appear together somewhere (then they are two people)."""
        if keep == other:
            raise CannotMergeError(N_("cannot merge a person into themselves"), code="merge_into_self")
        shared = self.faces.shared_items(keep, other)
        if shared:
            more = f" (and {len(shared) - 1} more)" if len(shared) > 1 else ""
            raise CannotMergeError(N_("people %(keep)s and %(other)s are both in %(describe)s%(more)s: two faces in one picture are two people"),
                                   code="same_picture", keep=keep, other=other, describe=self._describe(shared[0]),
                                   more=more)
        self.faces.merge(keep, other)

    def _describe(self, item_id: int) -> str:
        """`photo.jpg`, or `video.mp4 at 00:13.0`, for messages (item N without documents)."""
        doc = self.docs.get([item_id]).get(item_id) if self.docs is not None else None
        if doc is None:
            return f"item {item_id}"
        minutes, seconds = divmod(doc.time or 0.0, 60)
        return f"{doc.path} at {int(minutes):02d}:{seconds:04.1f}" if doc.time is not None else doc.path

    def unit_vector(self, unit: tuple[str, int], face_vector: np.ndarray) -> np.ndarray:
        """The identity vector clustering sees for a unit: a track's mean, or the face's own."""
        if unit[0] == "track":
            rows = self.faces.tracks(track_ids=[unit[1]])
            if rows:
                return rows[0].embedding
        return face_vector

    # -- clips

    def clips(self, person: int, *, gap: float = MOMENT_GAP, pad: float = 0.5) -> Clips:
        centroid = self.centroids().get(person)
        tracks = self.faces.tracks(person_id=person)
        return self._clips(person, tracks, centroid, gap=gap, pad=pad)

    def clips_for_face(self, embedding: np.ndarray, *, gap: float = MOMENT_GAP, pad: float = 0.5) -> Clips:
        """Search by a face photo: its person when it has one, else its nearest tracks."""
        centroids = self.centroids()
        if centroids:
            distances, nearest = self._nearest(embedding[None], np.stack(list(centroids.values())))
            if distances[0] <= self.eps:
                return self.clips(list(centroids)[nearest[0]], gap=gap, pad=pad)
        units = [u for u in self.faces.units() if u.kind == "track"]
        if not units:
            return Clips({"id": None, "name": ""}, [], [], ["no person or track matches this face"])
        distances = np.linalg.norm(self.space(np.stack([u.embedding for u in units])) - self.space(embedding), axis=1)
        close = [u.id for u, d in zip(units, distances) if d <= self.eps]
        tracks = self.faces.tracks(track_ids=close)
        result = self._clips(None, tracks, self.space(embedding)[0], gap=gap, pad=pad)
        result.notes.append("this face has no person yet: showing its nearest tracks")
        return result

    def _clips(self, person: int | None, tracks, centroid, *, gap: float, pad: float) -> Clips:
        def score(vector: np.ndarray) -> float:
            if centroid is None:
                return 1.0
            distance = float(np.linalg.norm(self.space(vector)[0] - centroid))
            return round(max(0.0, 1.0 - distance / (2 * self.eps)), 4)

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
