"""Elasticsearch behaviour that needs a server: migration both ways, vectors surviving partial updates and
a schema bump, N workers starting at once. Skipped without VISEARCH_ES_URL; the requests themselves are
checked without a server in test_es_requests.py."""
import numpy as np
import pytest

from visearch.indexer.records import Face, Track
from visearch.storage.documents import VideoDoc
from visearch.storage.elastic import indices, schema
from visearch.storage.elastic.session import connect
from visearch.storage.library import Library
from tests.conftest import at_once, drop_prefix, es_settings_for_test
from tests.test_document_store import item
from tests.test_face_store import unit

DIM = 8


@pytest.fixture
def settings():
    settings = es_settings_for_test()
    yield settings
    drop_prefix(settings)


def vector(seed: int) -> np.ndarray:
    return unit(seed)[:DIM] / np.linalg.norm(unit(seed)[:DIM])


def fill(library: Library) -> dict:
    """A photo, a video frame with a tracked face, a person with a reference, and vectors."""
    library.bind_encoder("test-encoder", DIM, False, clip="tiny")
    docs, faces = library.docs, library.faces
    video = docs.upsert_video(VideoDoc(path="/v/a.mp4", sha256="v", duration=2.0, shots=[(0.0, 2.0)]))
    [photo] = docs.upsert([item("/p/a.jpg", "AURA")])
    [frame] = docs.upsert([item("/v/a.mp4")])
    frame_doc = docs.get([frame])[frame]
    frame_doc.kind, frame_doc.video_id, frame_doc.time, frame_doc.shot = "frame", video, 1.0, 0
    docs.upsert([frame_doc])
    [track] = faces.add_tracks(video, [Track(0, 0.5, 1.5, [(0, 0)], unit(1))])
    faces.add_faces(frame, [Face((0, 0, 4, 4), 0.9, 4, 50, unit(1))], [track])
    faces.add_faces(photo, [Face((0, 0, 9, 9), 0.9, 9, 80, unit(2))])
    person = faces.create_person("Ana")
    faces.assign([("track", track, person)])
    faces.add_reference(person, unit(3))
    library.vectors.add([photo, frame], np.stack([vector(4), vector(5)]))
    library.save()
    return {"photo": photo, "frame": frame, "video": video, "track": track, "person": person}


def check(library: Library, ids: dict) -> None:
    docs, faces = library.docs, library.faces
    assert set(docs.get([ids["photo"], ids["frame"]])) == {ids["photo"], ids["frame"]}
    assert docs.get_videos([ids["video"]])[ids["video"]].shots == [(0.0, 2.0)]
    [row] = faces.people()
    assert (row.id, row.name, row.tracks) == (ids["person"], "Ana", 1)
    assert [t.id for t in faces.tracks(person_id=ids["person"])] == [ids["track"]]
    assert len(faces.references()[ids["person"]]) == 1
    assert np.allclose(library.vectors.get([ids["photo"]])[0], vector(4), atol=0.02)
    assert [h.id for h in docs.text_search(["aura"], 5)] == [ids["photo"]]


def test_migrate_to_elasticsearch_and_back_keeps_ids_people_and_vectors(tmp_path, settings):
    from visearch.storage.scale.migrate import migrate

    with Library.open(tmp_path / "lib", create=True) as library:
        ids = fill(library)
        report = migrate(library, "elasticsearch", settings)
        assert (report.items, report.videos, report.people, report.tracks, report.faces) == (2, 1, 1, 1, 2)
    with Library.open(tmp_path / "lib", es=settings) as library:
        assert library.manifest.backend == "elasticsearch"
        check(library, ids)
        (tmp_path / "lib" / "items.sqlite").rename(tmp_path / "items.sqlite.backup")
        migrate(library, "sqlite")
    with Library.open(tmp_path / "lib") as library:
        assert library.manifest.backend == "sqlite"
        check(library, ids)


def test_kept_vectors_survive_partial_updates_of_their_items(tmp_path, settings):
    with Library.open(tmp_path / "lib", create=True, backend="elasticsearch", es=settings, es_vectors=True) as library:
        ids = fill(library)
        library.docs.update_file(ids["photo"], "/p/moved.jpg", 10, 2, "/p")  # a partial update of the item
        library.faces.assign([("face", f.id, ids["person"]) for f in library.faces.faces_of([ids["photo"]])[ids["photo"]]])
        library.docs.upsert_products([])
        library.save()
        assert np.allclose(library.vectors.get([ids["photo"]])[0], vector(4), atol=0.02)
        assert library.vectors.search(vector(4)[None], 1)[1][0, 0] == ids["photo"]


def test_a_schema_bump_carries_vectors_and_drops_the_old_index(tmp_path, settings, monkeypatch):
    with Library.open(tmp_path / "lib", create=True, backend="elasticsearch", es=settings, es_vectors=True) as library:
        ids = fill(library)
    old = schema.index_name(settings.prefix, "vectors")
    bumped = schema.SCHEMA_VERSION + 1
    monkeypatch.setattr(schema, "SCHEMA_VERSION", bumped)
    monkeypatch.setattr(schema, "index_name", lambda prefix, kind, version=None: f"{prefix}-{kind}-v{version or bumped}")
    with Library.open(tmp_path / "lib", es=settings) as library:
        client = connect(settings)
        assert indices.alias_target(client, f"{settings.prefix}-vectors") == f"{settings.prefix}-vectors-v{bumped}"
        assert not client.indices.exists(index=old)
        check(library, ids)


def test_n_workers_start_at_once_on_a_fresh_prefix(settings):
    from visearch.storage.backends import open_elasticsearch

    opened = []
    errors = at_once(lambda: opened.append(open_elasticsearch(settings, vector_dims=DIM, knn=True)), 6)
    try:
        assert errors == []
        ids = [i for stores in opened for i in stores.docs.upsert([item(f"/w/{id(stores)}.jpg")])]
        assert len(set(ids)) == len(ids) == 6
    finally:
        for stores in opened:
            stores.close()
