"""People you can trust: clustering that keeps look-alikes apart, cannot-link, and corrections that stick.

The pure functions (people/clustering.py) are tested on synthetic identity vectors; PeopleIndex on
a real SQLite face store with faces placed directly (no detector needed)."""
import numpy as np
import pytest
from sklearn.cluster import DBSCAN

from visearch.indexer.errors import VisearchError
from visearch.indexer.records import Face, Track
from visearch.storage.backends import open_sqlite
from visearch.storage.documents import ItemDoc, VideoDoc
from visearch.people import clustering
from visearch.people.index import CannotMergeError, PeopleIndex

DIM = 128
LINK, JOIN, SUGGEST = 0.55, 0.45, 0.6  # dlib's


def identity(seed: int) -> np.ndarray:
    """A random point of a dlib-like space: identities about 1.0 apart."""
    return np.random.default_rng(seed).standard_normal(DIM) * (0.7 / np.sqrt(DIM))


def near(centre: np.ndarray, seed: int, spread: float = 0.3) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(DIM)
    return (centre + noise / np.linalg.norm(noise) * spread).astype(np.float32)


def chain(a: np.ndarray, b: np.ndarray, steps: int) -> list[np.ndarray]:
    """Look-alikes between two people: parent, child, sibling, each close to the next."""
    return [(a + (b - a) * t).astype(np.float32) for t in np.linspace(0, 1, steps)]


# -- pure functions


def test_a_chain_of_look_alikes_that_dbscan_merges_stays_two_people():
    a, b = identity(1), identity(2)
    b = a + (b - a) / np.linalg.norm(b - a) * 0.9  # two people 0.9 apart: clearly different
    faces = [near(a, s, 0.15) for s in range(4)] + [near(b, 10 + s, 0.15) for s in range(4)] + chain(a, b, 9)
    vectors = np.stack(faces)
    assert len(set(DBSCAN(eps=0.5, min_samples=3).fit_predict(vectors)) - {-1}) == 1  # the chain joins them
    groups = clustering.cluster([clustering.Candidate(v) for v in vectors], [], threshold=LINK, min_weight=3)
    first, second = (next(i for i, g in enumerate(groups) if k in g) for k in (0, 4))
    assert first != second
    assert set(range(4)) <= set(groups[first]) and set(range(4, 8)) <= set(groups[second])


def test_two_faces_in_one_photo_are_two_people_however_alike():
    twin = identity(3)
    faces = [near(twin, s, 0.1) for s in range(6)]
    candidates = [clustering.Candidate(v) for v in faces]
    assert len(clustering.cluster(candidates, [], threshold=LINK, min_weight=3)) == 1
    groups = clustering.cluster(candidates, [(0, 1), (2, 3), (4, 5)], threshold=LINK, min_weight=3)
    for a, b in ((0, 1), (2, 3), (4, 5)):
        assert not any(a in g and b in g for g in groups)


def test_a_person_needs_enough_faces_and_one_usable():
    face = identity(4)
    assert clustering.cluster([clustering.Candidate(near(face, s)) for s in range(2)], [], threshold=LINK,
                              min_weight=3) == []
    assert clustering.cluster([clustering.Candidate(near(face, 1), weight=5, usable=False)], [], threshold=LINK,
                              min_weight=3) == []
    assert clustering.cluster([clustering.Candidate(near(face, 1), weight=5)], [], threshold=LINK,
                              min_weight=3) == [[0]]


def test_joining_needs_closeness_on_average_a_clear_margin_and_no_bar():
    assert clustering.choose_person({1: 0.40, 2: 0.70}, threshold=JOIN) == 1
    assert clustering.choose_person({1: 0.62}, threshold=JOIN) is None  # too far on average
    assert clustering.choose_person({1: 0.50, 2: 0.53}, threshold=JOIN) is None  # too close to call: wait
    assert clustering.choose_person({1: 0.40, 2: 0.42}, threshold=JOIN, barred={2}) == 1
    assert clustering.choose_person({1: 0.40}, threshold=JOIN, barred={1}) is None


def test_mean_distance_matches_brute_force():
    rng = np.random.default_rng(5)
    queries, members = rng.standard_normal((7, 8)), rng.standard_normal((10, 8))
    weights, group_weights = rng.uniform(1, 4, 10), rng.uniform(1, 3, 7)
    expected = np.average([np.average(np.linalg.norm(members - q, axis=1), weights=weights) for q in queries],
                          weights=group_weights)
    assert clustering.mean_distance(queries, group_weights, members, weights, chunk=2) == pytest.approx(expected)


# -- PeopleIndex on a real store


@pytest.fixture
def store(tmp_path):
    stores = open_sqlite(tmp_path / "items.sqlite")
    yield stores
    stores.close()


def photo(store, name: str, *vectors: np.ndarray) -> int:
    [item] = store.docs.upsert([ItemDoc(path=f"/p/{name}.jpg", sha256=name, width=200, height=200)])
    store.faces.add_faces(item, [Face((10 * i, 0, 10 * i + 60, 60), 0.9, 60, 100, v) for i, v in enumerate(vectors)])
    return item


def people_of(store) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    items = store.docs.get(store.docs.item_ids())
    for item, faces in store.faces.faces_of(list(items)).items():
        for face in faces:
            if face.person_id is not None:
                found.setdefault(face.person_id, set()).add(items[item].path)
    return found


def index(store) -> PeopleIndex:
    return PeopleIndex(store.faces, "euclidean", LINK, JOIN, SUGGEST, docs=store.docs)


def test_faces_in_one_photo_never_share_a_person_even_when_they_join_later(store):
    ann = identity(10)
    for n in range(4):
        photo(store, f"ann{n}", near(ann, n))
    people = index(store)
    people.cluster()
    [person] = people_of(store)
    group = photo(store, "twins", near(ann, 20, 0.1), near(ann, 21, 0.1))  # both look like Ann
    people.cluster()
    faces = store.faces.faces_of([group])[group]
    assert sum(f.person_id == person for f in faces) <= 1


def test_tracks_seen_in_one_frame_are_two_people(store):
    a = identity(11)
    video = store.docs.upsert_video(VideoDoc(path="/v/x.mp4", sha256="x", duration=9.0,
                                             shots=[(0.0, 4.0), (4.0, 9.0)]))
    frames = store.docs.upsert([ItemDoc(path="/v/x.mp4", sha256="x", kind="frame", video_id=video, time=float(t),
                                        shot=0 if t < 4 else 1) for t in range(8)])
    alone = store.faces.add_tracks(video, [Track(1, 4.0, 7.0, [(i, 0) for i in range(4)], near(a, 0, 0.05))])
    pair = store.faces.add_tracks(video, [Track(0, 0.0, 3.0, [(i, 0) for i in range(4)], near(a, 1, 0.05)),
                                          Track(0, 0.0, 3.0, [(i, 1) for i in range(4)], near(a, 2, 0.05))])
    for frame in frames[:4]:  # two look-alikes side by side in every frame of the first shot
        store.faces.add_faces(frame, [Face((0, 0, 60, 60), 0.9, 60, 100, near(a, 1, 0.05)),
                                      Face((80, 0, 140, 60), 0.9, 60, 100, near(a, 2, 0.05))], pair)
    for frame in frames[4:]:
        store.faces.add_faces(frame, [Face((0, 0, 60, 60), 0.9, 60, 100, near(a, 0, 0.05))], alone)
    index(store).cluster()
    person = {u.id: u.person_id for u in store.faces.units() if u.kind == "track"}
    assert person[alone[0]] is not None
    # both look like the lone track's person; seen side by side, they are two different people
    assert None not in (person[pair[0]], person[pair[1]]) and person[pair[0]] != person[pair[1]], person


def test_not_this_person_sticks_through_reclustering_and_reindexing(store):
    ann = identity(12)
    items = [photo(store, f"ann{n}", near(ann, n)) for n in range(4)]
    people = index(store)
    people.cluster()
    [person] = people_of(store)
    wrong = store.faces.faces_of([items[0]])[items[0]][0]
    assert people.reject(wrong.id) == person
    people.cluster()
    assert store.faces.face(wrong.id).person_id != person
    # re-indexing the photo: its faces are deleted and found again, with new ids
    store.faces.delete_faces_of([items[0]])
    store.faces.add_faces(items[0], [Face(wrong.box, 0.9, 60, 100, wrong.embedding)])
    people.cluster()
    [again] = store.faces.faces_of([items[0]])[items[0]]
    assert again.id != wrong.id and again.person_id != person
    with pytest.raises(VisearchError, match="belongs to no one"):
        people.reject(again.id)


def test_split_moves_faces_to_a_new_person_and_they_stay_there(store):
    ann = identity(14)
    items = [photo(store, f"ann{n}", near(ann, n)) for n in range(6)]
    people = index(store)
    people.cluster()
    [person] = people_of(store)
    moving = [store.faces.faces_of([i])[i][0].id for i in items[:2]]
    new = people.split(person, moving, "Ann's sister")
    people.cluster()
    found = people_of(store)
    assert found[new] == {"/p/ann0.jpg", "/p/ann1.jpg"} and len(found[person]) == 4
    assert store.faces.people([new])[0].name == "Ann's sister"
    with pytest.raises(VisearchError, match="not faces of person"):
        people.split(person, moving)


def test_a_merge_of_two_people_seen_together_is_refused_naming_the_photo(store):
    ann, bob = identity(15), identity(16)
    for n in range(3):
        photo(store, f"ann{n}", near(ann, n))
        photo(store, f"bob{n}", near(bob, 10 + n))
    together = photo(store, "both", near(ann, 30), near(bob, 31))
    people = index(store)
    people.cluster()
    owners = people_of(store)
    assert len(owners) == 2
    first, second = sorted(owners)
    with pytest.raises(CannotMergeError, match="both in /p/both.jpg: two faces in one picture"):
        people.merge(first, second)
    del together


def test_not_this_person_survives_a_real_reindex_of_the_changed_photo(shared_data, tmp_path, capsys):
    """Through the CLI and the real detector: the photo is saved again (new bytes), indexed again
    (its faces are found anew, with new ids), and its face still stays off the person."""
    import csv
    import json

    from PIL import Image

    from visearch.cli import main

    rows = [r for r in csv.DictReader(open(shared_data / "faces" / "identities.csv", encoding="utf-8"))
            if r["identity"] == "deepface:Angelina" and r["multi_face_image"] == "no"][:5]
    folder = tmp_path / "photos"
    folder.mkdir()
    for number, row in enumerate(rows):
        Image.open(shared_data / row["file"]).convert("RGB").save(folder / f"{number}.jpg", quality=92)
    library = str(tmp_path / "lib")
    argv = ["--library", library, "index", str(folder), "--clip", "tiny", "--ocr", "off", "--no-progress"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["--library", library, "people", "list", "--json"]) == 0
    [person] = json.loads(capsys.readouterr().out)
    assert main(["--library", library, "people", "faces", str(person["id"]), "--json"]) == 0
    faces = json.loads(capsys.readouterr().out)
    wrong = next(f for f in faces if f["path"].endswith("0.jpg"))
    assert main(["--library", library, "people", "reject", str(wrong["id"])]) == 0

    Image.open(folder / "0.jpg").save(folder / "0.jpg", quality=75)  # new bytes, the same face
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["--library", library, "people", "faces", str(person["id"]), "--json"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert not any(f["path"].endswith("0.jpg") for f in kept) and len(kept) == len(faces) - 1


def test_big_parts_cluster_along_the_neighbour_graph_and_keep_cannot_links(monkeypatch):
    monkeypatch.setattr(clustering, "EXACT_LIMIT", 10)  # force the sparse path on a small example
    a, b = identity(40), identity(41)
    faces = [near(a, s, 0.2) for s in range(15)] + [near(b, 100 + s, 0.2) for s in range(15)]
    candidates = [clustering.Candidate(v) for v in faces]
    groups = clustering.groups(candidates, [(0, 1)], threshold=LINK)
    assert not any(0 in g and 1 in g for g in groups)
    big = sorted((g for g in groups if len(g) >= 5), key=min)
    assert len(big) == 2 and set(big[0]) <= set(range(15)) and set(big[1]) <= set(range(15, 30))
