"""What people clustering does not guess: questions for the user, and the faces no one claims.

* **Suggestions.** A face (or a video track) without a person that is nearer a person's faces on average
  than the backend's suggest distance, but not near enough to join for sure: "Is this Karina?".
  "Yes" gives it to her; "no" records a rejection (the same one "not this person" records), so it is
  not asked again, not after re-indexing, not after re-clustering.
* **Merge suggestions.** Two people whose faces are that near on average and who never share a photo
  or frame: "Same person?". "No" is remembered as a rejection of each one's mean on the other.
* **Stacks.** The faces without a person grouped into look-alikes (the clustering's average linkage),
  to be named, given to a person, or hidden as strangers (a hidden person: later faces that match it
  join it and stay out of sight).

Nothing is stored but what the user answers: each list is computed from the faces, people and
rejections of the store, so it is the same on SQLite and Elasticsearch and is always current.
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from visearch.errors import N_, Conflict
from visearch.people import clustering
from visearch.people.index import PeopleIndex, PersonNotFoundError
from visearch.people.placement import Placement
from visearch.storage.faces import FaceRow, Unit

MERGE_NEIGHBOURS = 4  # people compared with each person for merge suggestions: the nearest by their means


class StaleAnswerError(Conflict):
    """The question no longer stands: the face found a person, or was answered, since it was asked (409)."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    face: int  # the face to show: the unit's best
    unit: tuple[str, int]  # ("face" | "track", id)
    person: int
    distance: float  # average distance to the person's faces, the backend's scale
    faces: int  # faces the unit stands for (a track's samples)


@dataclass(frozen=True, slots=True)
class MergeSuggestion:
    keep: int  # the person with more faces
    other: int
    distance: float
    faces: tuple[int, int]  # the closest face of each, side by side


@dataclass(frozen=True, slots=True)
class Stack:
    faces: tuple[int, ...]  # one face per unit, the best unit first
    units: tuple[tuple[str, int], ...]
    count: int  # faces in all


def certainty(index: PeopleIndex, distance: float) -> float:
    """How likely a face at this average distance (the backend's scale) is the person: the backend's measured
    logistic (FaceModel.certainty_curve). Pure."""
    midpoint, slope = index.certainty_curve
    return round(float(1.0 / (1.0 + np.exp(np.clip(slope * (distance - midpoint), -50, 50)))), 3)


def suggestions(index: PeopleIndex) -> list[Suggestion]:
    """Every face or track without a person that is plausibly a known, visible person; most certain first."""
    units = index.faces.units()
    pool = [u for u in units if u.person_id is None]
    hidden = {row.id for row in index.faces.people() if row.hidden}
    if not pool:
        return []
    placement = Placement(index, units)
    found = []
    for unit in pool:
        person, distance = placement.nearest(index.space(unit.embedding), np.ones(1), placement.barred(unit))
        if person is not None and person not in hidden and distance <= index.suggest:
            found.append((unit, person, _scale(index, distance)))
    covers = best_faces(index, [u for u, _, _ in found])
    return sorted((Suggestion(covers[(u.kind, u.id)], (u.kind, u.id), p, round(d, 4), u.weight)
                   for u, p, d in found if (u.kind, u.id) in covers), key=lambda s: (s.distance, s.face))


def answer(index: PeopleIndex, face_id: int, person: int, yes: bool) -> tuple[str, int]:
    """"Yes": the face (its whole track) joins the person; "no": it never will. Returns its unit.
    PersonNotFoundError (404) for a face or person gone; StaleAnswerError (409) when it already has a
    person or may not be this one (the person is in the same photo)."""
    face = index.faces.face(face_id)
    if face is None:
        raise PersonNotFoundError(N_("no face %(face_id)s: it was indexed again or forgotten; reload the suggestions"),
                                  code="face_gone", face_id=face_id)
    if not index.faces.people([person]):
        raise PersonNotFoundError(N_("no person %(person)s: merged or forgotten since; reload the suggestions"),
                                  code="person_gone", person=person)
    if face.person_id is not None:
        raise StaleAnswerError(N_("face %(face_id)s already belongs to person %(person_id)s"),
                               code="face_already_assigned", face_id=face_id, person_id=face.person_id)
    unit = unit_of(face)
    vector = index.unit_vector(unit, face.embedding)
    if not yes:
        index.faces.add_rejection(person, vector)
        return unit
    placement = Placement(index, index.faces.units())
    if person in placement.barred(Unit(unit[0], unit[1], vector, 1, True, None)):
        raise StaleAnswerError(N_("face %(face_id)s cannot be person %(person)s: they are both in one picture, or this face was said not to be them"),
                               code="cannot_be_person", face_id=face_id, person=person)
    index.faces.assign([(unit[0], unit[1], person)])
    return unit


def merge_suggestions(index: PeopleIndex) -> list[MergeSuggestion]:
    """Pairs of visible people nearer on average than the suggest distance, never seen together and never
    said to be two; the nearest first."""
    rows = {row.id: row for row in index.faces.people() if not row.hidden}
    members = {p: m for p, m in index.members(index.faces.units()).items() if p in rows}
    if len(members) < 2:
        return []
    people = list(members)
    means = np.stack([np.average(v, axis=0, weights=w) for v, w in members.values()]).astype(np.float32)
    rejected = {p: index.space(np.stack(v)) for p, v in index.faces.rejections().items()}
    pairs = set()
    for row, columns in enumerate(_nearest_means(means, MERGE_NEIGHBOURS + 1)):
        pairs.update(tuple(sorted((row, int(column)))) for column in columns if 0 <= column != row)
    found = []
    for a, b in sorted(pairs):
        distance = clustering.mean_distance(*members[people[a]], *members[people[b]])
        if distance > index.suggest or _said_apart(rejected, people[a], people[b], means[a], means[b], index):
            continue
        if index.faces.shared_items(people[a], people[b]):
            continue
        keep, other = sorted((people[a], people[b]), key=lambda p: (-rows[p].faces, p))
        found.append(MergeSuggestion(keep, other, round(_scale(index, distance), 4), closest_faces(index, keep, other)))
    return sorted(found, key=lambda m: m.distance)


def _nearest_means(means: np.ndarray, k: int) -> np.ndarray:
    """Each mean's k nearest means (itself among them), by FAISS exact search: no n×n matrix for many people."""
    import faiss

    search = faiss.IndexFlatL2(means.shape[1])
    search.add(np.ascontiguousarray(means, np.float32))
    return search.search(np.ascontiguousarray(means, np.float32), min(k, len(means)))[1]


def decline_merge(index: PeopleIndex, keep: int, other: int) -> None:
    """"Not the same person": each one's mean is recorded against the other, so the pair is not offered again
    and neither one's faces drift to the other."""
    centroids = index.centroids()
    for person in (keep, other):
        if person not in centroids:
            raise PersonNotFoundError(N_("no person %(person)s with faces: merged or forgotten since"),
                                      code="person_gone", person=person)
    index.faces.add_rejection(keep, centroids[other])
    index.faces.add_rejection(other, centroids[keep])


def _said_apart(rejected: dict, a: int, b: int, mean_a, mean_b, index: PeopleIndex) -> bool:
    radius = 0.5 * index.eps  # a mean moves little as a person gains faces
    return any(p in rejected and np.min(np.linalg.norm(rejected[p] - mean, axis=1)) <= radius
               for p, mean in ((a, mean_b), (b, mean_a)))


def closest_faces(index: PeopleIndex, a: int, b: int, limit: int = 64) -> tuple[int, int]:
    """The face of each person nearest the other's: what the user compares."""
    faces_a, faces_b = index.faces.person_faces(a)[:limit], index.faces.person_faces(b)[:limit]
    if not faces_a or not faces_b:
        return (faces_a[0].id if faces_a else 0, faces_b[0].id if faces_b else 0)
    distances = np.linalg.norm(index.space(np.stack([f.embedding for f in faces_a]))[:, None]
                               - index.space(np.stack([f.embedding for f in faces_b]))[None], axis=2)
    i, j = np.unravel_index(int(np.argmin(distances)), distances.shape)
    return faces_a[i].id, faces_b[j].id


def stacks(index: PeopleIndex, *, limit: int = 200) -> list[Stack]:
    """The faces without a person, grouped into look-alikes (never two faces of one picture); biggest first."""
    units = index.faces.units()
    pool = [u for u in units if u.person_id is None]
    if not pool:
        return []
    where = {(u.kind, u.id): i for i, u in enumerate(pool)}
    links = [(where[a], where[b]) for a, b in Placement(index, units).cannot_link if a in where and b in where]
    candidates = [clustering.Candidate(index.space(u.embedding)[0], u.weight, u.usable) for u in pool]
    grouped = clustering.groups(candidates, links, threshold=index.eps)
    grouped.sort(key=lambda members: (-sum(pool[i].weight for i in members), min(members)))
    chosen = [[pool[i] for i in members] for members in grouped[:limit]]
    covers = best_faces(index, [u for members in chosen for u in members])
    result = []
    for members in chosen:
        members = sorted((u for u in members if (u.kind, u.id) in covers), key=lambda u: (not u.usable, -u.weight))
        if members:
            result.append(Stack(tuple(covers[(u.kind, u.id)] for u in members),
                                tuple((u.kind, u.id) for u in members), sum(u.weight for u in members)))
    return result


def units_of_faces(index: PeopleIndex, face_ids: list[int]) -> list[tuple[str, int]]:
    """The units (tracks, photo faces) of faces the user picked, all without a person; errors name the face."""
    units = []
    for face_id in dict.fromkeys(face_ids):
        face = index.faces.face(int(face_id))
        if face is None:
            raise PersonNotFoundError(N_("no face %(face_id)s: it was indexed again or forgotten; reload the page"),
                                      code="face_gone", face_id=face_id)
        if face.person_id is not None:
            raise StaleAnswerError(N_("face %(face_id)s already belongs to person %(person_id)s"),
                                   code="face_already_assigned", face_id=face_id, person_id=face.person_id)
        units.append(unit_of(face))
    return list(dict.fromkeys(units))


def give(index: PeopleIndex, units: list[tuple[str, int]], person: int | None, new_person=None) -> int:
    """Units to a person (`new_person()` makes one when `person` is None), refused (409) for any that shares
    a picture with them or with another of the units, or was said not to be them. Returns the person."""
    everything = index.faces.units()
    placement, by_key = Placement(index, everything), {(u.kind, u.id): u for u in everything}
    for key in units:
        if person is not None and person in placement.barred(by_key[key]):
            raise StaleAnswerError(N_("%(key)s %(key2)s cannot be person %(person)s: they are both in one picture, or it was said not to be them"),
                                   code="cannot_be_person", key=key[0], key2=key[1], person=person)
        clash = placement.together.get(key, set()) & set(units)
        if clash:
            other = sorted(clash)[0]
            raise StaleAnswerError(N_("%(key)s %(key2)s and %(other)s %(other2)s are in one picture: two people"),
                                   code="same_picture", key=key[0], key2=key[1], other=other[0], other2=other[1])
    if person is None:
        person = new_person()
    index.faces.assign([(kind, unit_id, person) for kind, unit_id in units])
    return person


def unit_of(face: FaceRow) -> tuple[str, int]:
    return ("track", face.track_id) if face.track_id is not None else ("face", face.id)


def best_faces(index: PeopleIndex, units: list[Unit]) -> dict[tuple[str, int], int]:
    """A face id to show for each unit: the face itself, or a track's best sample's face."""
    found = {("face", u.id): u.id for u in units if u.kind == "face"}
    tracks = index.faces.tracks(track_ids=[u.id for u in units if u.kind == "track"])
    faces = index.faces.faces_of([t.best_item for t in tracks if t.best_item is not None])
    for track in tracks:
        for face in faces.get(track.best_item, []):
            if face.track_id == track.id:
                found[("track", track.id)] = face.id
                break
    return found


def _scale(index: PeopleIndex, euclidean: float) -> float:
    """A distance in the shared Euclidean space back on the backend's own scale (cosine for ArcFace)."""
    return euclidean**2 / 2 if index.metric == "cosine" else euclidean
