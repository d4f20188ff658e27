"""The face-store contract (storage/faces.py): every backend must pass these.

The Elasticsearch half runs against a real server named by VISEARCH_ES_URL and
is skipped without one; the requests it sends are checked in test_es_requests.py.
"""
import numpy as np

from visearch.indexer.records import Face, Track
from visearch.storage.browse import BrowseQuery
from visearch.storage.documents import ItemDoc, VideoDoc
from visearch.storage.faces import COVER_SCORE_PAINLESS, SHARPNESS_CAP, PeopleExport, cover_score
from tests.test_document_store import item


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_faces_people_and_browse_by_person(store, faces):
    photo, other = store.upsert([item("/p/1.jpg"), item("/p/2.jpg")])
    faces.add_faces(photo, [Face((0, 0, 10, 10), 0.9, 10, 50, unit(1))])
    faces.add_faces(other, [Face((0, 0, 20, 20), 0.9, 20, 50, unit(2))])
    units = {u.id: u for u in faces.units()}
    assert len(units) == 2 and all(u.kind == "face" for u in units.values())
    ann, bob = faces.create_person("Ann"), faces.create_person("")
    first, second = sorted(units)
    faces.assign([("face", first, ann), ("face", second, bob)])
    assert store.browse(BrowseQuery(people=(ann,))).ids == [photo]
    assert store.browse(BrowseQuery(not_people=(ann,))).ids == [other]
    assert faces.find_person("ann") == ann and faces.find_person(str(bob)) == bob
    faces.add_reference(ann, unit(3))
    faces.merge(ann, bob)
    assert set(store.browse(BrowseQuery(people=(ann,))).ids) == {photo, other}
    [row] = faces.people()
    assert (row.id, row.name, row.faces, row.photos) == (ann, "Ann", 2, 2) and row.cover_item == other
    assert len(faces.references()[ann]) == 1
    faces.forget(ann, unit(4))
    assert faces.people() == [] and faces.faces_of([photo, other]) == {photo: [], other: []}
    assert len(faces.forgotten()) == 1
    assert store.browse(BrowseQuery(people=(ann,))).ids == []


def test_tracks_carry_their_faces_to_a_person(store, faces):
    video_id = store.upsert_video(VideoDoc(path="/v/a.mp4", sha256="a", duration=4.0, shots=[(0.0, 4.0)]))
    frames = store.upsert([ItemDoc(path="/v/a.mp4", sha256="a", kind="frame", video_id=video_id, time=t, shot=0)
                           for t in (1.0, 2.0)])
    face = Face((0, 0, 10, 10), 0.9, 10, 50, unit(5))
    [track] = faces.add_tracks(video_id, [Track(shot=0, start=1.0, end=2.0, faces=[(0, 0), (1, 0)],
                                                embedding=unit(5))])
    for frame in frames:
        faces.add_faces(frame, [face], [track])
    assert [u.kind for u in faces.units()] == ["track"]
    person = faces.create_person("Cy")
    faces.assign([("track", track, person)])
    [row] = faces.tracks(person_id=person)
    assert (row.video_id, row.start, row.end, row.shot_start, row.shot_end) == (video_id, 1.0, 2.0, 0.0, 4.0)
    assert row.best_item in frames
    assert set(store.browse(BrowseQuery(people=(person,), kind="frame")).ids) == set(frames)
    assert all(f.person_id == person for found in faces.faces_of(frames).values() for f in found)


def test_the_cover_is_the_best_face_by_the_one_rule(store, faces):
    photos = store.upsert([item(f"/c/{n}.jpg") for n in range(4)])
    # (usable, size, sharpness): big but blurry, sharp but small, the best, and an unusable giant
    specs = [(True, 40, 20), (True, 10, 500), (True, 30, 300), (False, 90, 900)]
    for photo, (usable, size, sharpness) in zip(photos, specs):
        faces.add_faces(photo, [Face((0, 0, size, size), 0.9, size, sharpness, unit(photo), usable=usable)])
    person = faces.create_person("Di")
    faces.assign([("face", u.id, person) for u in faces.units()])
    [row] = faces.people()
    best = max(zip(photos, specs), key=lambda pair: cover_score(*pair[1]))[0]
    assert row.cover_item == best == photos[2]


def test_the_painless_transcription_states_the_same_rule():
    assert f"Math.min(doc['sharpness'].value, {SHARPNESS_CAP:g})" in COVER_SCORE_PAINLESS
    assert COVER_SCORE_PAINLESS.startswith("(doc['usable'].value ? 1e9 : 0) + doc['size'].value * ")
    assert cover_score(True, 1, 0) > cover_score(False, 1000, 1000)  # usable always first
    assert cover_score(True, 10, 10_000) == cover_score(True, 10, SHARPNESS_CAP)


def test_names_hiding_and_lookup(faces):
    ann = faces.create_person("Ann")
    faces.rename(ann, "Ann Lee")
    faces.set_hidden(ann, True)
    [row] = faces.people([ann])
    assert (row.name, row.hidden) == ("Ann Lee", True)
    assert faces.find_person("ANN LEE") == ann and faces.find_person("nobody") is None
    assert faces.find_person("999999") is None and faces.people([]) == []


def test_export_and_import_keep_ids_people_tracks_and_the_block_list(tmp_path, backend):
    from visearch.storage.backends import open_sqlite

    store, faces = backend.docs, backend.faces
    video_id = store.upsert_video(VideoDoc(path="/v/b.mp4", sha256="b", duration=3.0, shots=[(0.0, 3.0)]))
    [frame] = store.upsert([ItemDoc(path="/v/b.mp4", sha256="b", kind="frame", video_id=video_id, time=1.0, shot=0)])
    [photo] = store.upsert([item("/p/x.jpg")])
    [track] = faces.add_tracks(video_id, [Track(0, 0.5, 1.5, [(0, 0)], unit(8))])
    faces.add_faces(frame, [Face((0, 0, 5, 5), 0.9, 5, 50, unit(8))], [track])
    faces.add_faces(photo, [Face((1, 1, 9, 9), 0.8, 8, 60, unit(9))])
    person = faces.create_person("Eve")
    faces.assign([("track", track, person)])
    faces.add_reference(person, unit(10))
    gone = faces.create_person("Gone")
    faces.forget(gone, unit(11))

    copy = open_sqlite(tmp_path / "copy.sqlite")
    try:
        copy.docs.upsert_video(store.get_videos([video_id])[video_id])
        copy.docs.upsert(list(store.get([frame, photo]).values()))
        copy.faces.import_records(faces.export())
        [row] = copy.faces.people()
        assert (row.id, row.name, row.tracks) == (person, "Eve", 1)
        assert [t.id for t in copy.faces.tracks(person_id=person)] == [track]
        assert {f.id for found in copy.faces.faces_of([frame, photo]).values() for f in found} == {
            f.id for found in faces.faces_of([frame, photo]).values() for f in found}
        assert np.allclose(copy.faces.references()[person][0], unit(10))
        assert len(copy.faces.forgotten()) == 1
        assert copy.faces.create_person("New") > person  # ids continue above the copied ones
        assert copy.docs.browse(BrowseQuery(people=(person,))).ids == [frame]
    finally:
        copy.close()


def test_export_streams(faces):
    exported = faces.export()
    assert isinstance(exported, PeopleExport)
    assert list(exported.people) == [] and list(exported.faces) == [] and list(exported.tracks) == []


def test_co_occurring_shared_items_person_faces_and_rejections(store, faces):
    group, alone = store.upsert([item("/g/two.jpg"), item("/g/one.jpg")])
    faces.add_faces(group, [Face((0, 0, 50, 50), 0.9, 50, 80, unit(20)), Face((60, 0, 90, 30), 0.9, 30, 80, unit(21))])
    faces.add_faces(alone, [Face((0, 0, 40, 40), 0.9, 40, 80, unit(22))])
    by_item = {f.item_id: f for found in faces.faces_of([group, alone]).values() for f in found}
    in_group = sorted(f.id for found in [faces.faces_of([group])[group]] for f in found)
    assert faces.co_occurring() == [[("face", in_group[0]), ("face", in_group[1])]]
    ann, bob = faces.create_person("Ann"), faces.create_person("Bob")
    faces.assign([("face", in_group[0], ann), ("face", in_group[1], bob), ("face", by_item[alone].id, ann)])
    assert faces.shared_items(ann, bob) == [group] and faces.shared_items(ann, ann + bob + 99) == []
    assert [f.item_id for f in faces.person_faces(ann)] == [group, alone]  # the bigger face first
    faces.add_rejection(ann, unit(23))
    assert np.allclose(faces.rejections()[ann][0], unit(23))
    exported = {p.id: p for p in faces.export().people}
    assert len(exported[ann].rejected) == 1 and exported[bob].rejected == ()
    faces.merge(ann, bob)  # the store merges; refusing people seen together is PeopleIndex's rule
    assert len(faces.rejections()[ann]) == 1
