"""The requests visearch sends to Elasticsearch, checked on a recording stand-in (tests/es_fake.py):
id counters, creation races, schema upgrades, vectors kept apart from items, paginated people statistics."""
import numpy as np
import pytest

from visearch.indexer.records import OcrLine
from visearch.storage.documents import ItemDoc
from visearch.storage.elastic import indices, schema, session as es_session
from visearch.storage.elastic.documents import EsDocumentStore
from visearch.storage.elastic.faces import EsFaceStore, people_page_aggs
from visearch.storage.elastic.session import EsError, EsSession, check_server
from visearch.storage.elastic.vectors import EsVectorStore
from visearch.storage.faces import FaceRow, PeopleExport, PersonRecord, TrackRecord
from tests.conftest import at_once
from tests.es_fake import FakeCluster, api_error

BOX = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


@pytest.fixture
def written(monkeypatch):
    """Every bulk action a session writes, in order (nothing is sent)."""
    actions = []
    monkeypatch.setattr(es_session, "bulk_write", lambda client, batch: actions.extend(batch) or len(actions))
    return actions


@pytest.fixture
def scans(monkeypatch):
    """`helpers.scan` answers from `scans[alias]`: a list of hits per index name."""
    answers: dict[str, list[dict]] = {}

    def scan(client, index, query, **_):
        client.record("scan", index=index, query=query)
        yield from answers.get(index, [])

    monkeypatch.setattr("elasticsearch.helpers.scan", scan)
    return answers


def test_counter_scripts_use_long_arithmetic_and_never_move_back():
    allocate, advance = schema.allocate_request(256), schema.advance_request(1000)
    for request in (allocate, advance):
        assert "Math.max" not in request["script"]["source"] and "longValue()" in request["script"]["source"]
        assert request["retry_on_conflict"] == 20 and request["script"]["lang"] == "painless"
    assert allocate["upsert"] == {"next": 256} and allocate["source"] is True
    assert "ctx.op = 'noop'" in advance["script"]["source"]  # an id counter never goes back, nor is rewritten


def test_sessions_on_one_cluster_get_disjoint_id_blocks_and_advance_past_copied_ids():
    cluster = FakeCluster()
    one, two = EsSession(cluster, "p"), EsSession(cluster, "p")
    first, second = one.allocate("items", 3), two.allocate("items", 3)
    assert first == [1, 2, 3] and second == [257, 258, 259]  # each reserved a block of 256
    one.advance("items", 10_000)  # records were copied in with ids up to 10 000
    assert one.allocate("items", 1) == [10_001]  # its old block may overlap them: dropped
    one.advance("items", 5)  # never back
    assert EsSession(cluster, "p").allocate("items", 1)[0] > 10_001


def test_n_workers_starting_at_once_on_a_fresh_prefix_all_succeed():
    cluster = FakeCluster()
    errors = at_once(lambda: indices.ensure_indices(cluster, "shop"), 8)
    assert errors == []
    for kind in schema.KINDS:
        assert cluster.aliases[f"shop-{kind}"] == {schema.index_name("shop", kind)}
        assert schema.index_name("shop", kind) in cluster.store


def test_a_lost_creation_race_is_success_and_other_errors_are_not():
    cluster = FakeCluster()
    assert indices.create_index(cluster, "shop-items-v2") is True
    assert indices.create_index(cluster, "shop-items-v2") is False  # resource_already_exists_exception
    assert indices.already_exists(api_error("resource_already_exists_exception"))
    assert not indices.already_exists(api_error("mapper_parsing_exception"))


def test_schema_bump_rescues_v1_vectors_reindexes_swaps_and_deletes_the_old_index(written, scans, monkeypatch):
    monkeypatch.setattr(indices, "bulk_write", lambda client, actions: written.extend(actions))
    cluster = FakeCluster()
    for kind in schema.KINDS:
        if kind != "vectors":  # v1 had no vectors index; its items held `clip` outside _source
            old = f"shop-{kind}-v1"
            cluster.store[old] = {}
            cluster.aliases[f"shop-{kind}"] = {old}
    cluster.mappings["shop-items-v1"] = {"clip": schema.clip_field(4)}
    scans["shop-items-v1"] = [{"_id": "7", "fields": {"clip": [[0.5, 0.5, 0.5, 0.5]]}}, {"_id": "8", "fields": {}}]

    indices.ensure_indices(cluster, "shop")

    target = schema.index_name("shop", "items")
    assert written == [{"_op_type": "index", "_index": schema.index_name("shop", "vectors"), "_id": "7",
                        "_source": {"id": 7, "clip": [0.5, 0.5, 0.5, 0.5]}}]  # read from doc values, item 8 had none
    assert cluster.called("scan")[0]["query"] == schema.vector_scan_body()
    reindex = [c for c in cluster.called("reindex") if c["source"]["index"] == "shop-items-v1"][0]
    assert reindex["dest"] == {"index": target, "op_type": "create"} and reindex["conflicts"] == "proceed"
    order = [name for name, kwargs in cluster.calls if name in ("reindex", "update_aliases", "delete")
             and "shop-items" in str(kwargs)]
    assert order == ["reindex", "update_aliases", "delete"]  # the old index goes only after readers moved
    assert cluster.aliases["shop-items"] == {target} and "shop-items-v1" not in cluster.store


def test_a_second_process_waits_for_another_ones_upgrade(monkeypatch):
    cluster = FakeCluster()
    cluster.store["shop-items-v1"] = {}
    cluster.aliases["shop-items"] = {"shop-items-v1"}
    cluster.store[schema.index_name("shop", "items")] = {}  # another process created the target first
    monkeypatch.setattr(indices, "POLL", 0.01)
    with pytest.raises(EsError, match=f"delete the index {schema.index_name('shop', 'items')}"):
        indices.ensure_indices(cluster, "shop", wait=0.05)
    assert cluster.called("reindex") == [] and "shop-items-v1" in cluster.store  # nothing touched
    cluster.aliases["shop-items"] = {schema.index_name("shop", "items")}  # ... which then finishes
    indices.ensure_indices(cluster, "shop", wait=0.05)


def test_versions_compare_as_numbers():
    cluster = FakeCluster()
    cluster.aliases["shop-items"] = {"shop-items-v2", "shop-items-v10"}
    assert indices.alias_target(cluster, "shop-items") == "shop-items-v10"
    assert schema.index_version("shop-items") == 0


def test_items_never_carry_vectors_and_vectors_are_written_whole(written):
    cluster = FakeCluster()
    session = EsSession(cluster, "shop")
    docs = EsDocumentStore(session)
    docs.upsert([ItemDoc(path="/a.jpg", sha256="s", ocr=[OcrLine("AURA", BOX, 0.9)])])
    assert written and all("clip" not in action.get("doc", {}) for action in written)
    written.clear()

    vectors = EsVectorStore(session, 4)
    assert cluster.called("put_mapping")[-1] == {"index": "shop-vectors", "properties": {"clip": schema.clip_field(4)}}
    vectors.add([7], np.ones((1, 4), np.float32) / 2)
    assert written == [{"_op_type": "index", "_index": "shop-vectors", "_id": "7",
                        "_source": {"id": 7, "clip": [0.5, 0.5, 0.5, 0.5]}}]
    cluster.answers.append({"hits": {"hits": [{"_id": "7", "_score": 1.0}]}})
    scores, ids = vectors.search(np.ones(4, np.float32) / 2, 3)
    request = cluster.called("search")[-1]
    assert request["index"] == "shop-vectors" and request["source"] is False and request["knn"]["k"] == 3
    assert ids[0].tolist() == [7, -1, -1] and scores[0, 0] == pytest.approx(1.0)


def test_people_statistics_page_through_a_composite_aggregation(scans):
    cluster = FakeCluster()
    session = EsSession(cluster, "shop")
    faces = EsFaceStore(session, EsDocumentStore(session))
    scans["shop-people"] = [{"_source": {"id": i, "name": f"p{i}"}} for i in (1, 2)]

    def bucket(person):
        return {"key": {"person": person}, "doc_count": 5, "photos": {"items": {"value": 2}},
                "cover": {"hits": {"hits": [{"_source": {"id": 10 + person, "item_id": 20 + person,
                                                         "box": [0, 0, 1, 1]}}]}}}

    cluster.answers += [
        {"aggregations": {"person": {"buckets": [bucket(1)], "after_key": {"person": 1}}}},
        {"aggregations": {"person": {"buckets": [bucket(2)], "after_key": {"person": 2}}}},
        {"aggregations": {"person": {"buckets": []}}},
        {"aggregations": {"person": {"buckets": []}}},  # tracks: none
    ]
    rows = faces.people()
    assert [(r.id, r.faces, r.photos, r.cover_item, r.videos) for r in rows] == [(1, 5, 2, 21, 0), (2, 5, 2, 22, 0)]
    requests = [c["aggs"]["person"]["composite"] for c in cluster.called("search")]
    assert "after" not in requests[0] and requests[1]["after"] == {"person": 1} and requests[2]["after"] == {"person": 2}
    assert all(r["size"] == 1000 for r in requests)  # a page, however many people there are
    assert people_page_aggs({}, None)["person"]["composite"]["sources"] == [{"person": {"terms": {"field": "person_id"}}}]


def test_imported_people_keep_their_ids_and_move_the_counters(written, scans):
    cluster = FakeCluster()
    session = EsSession(cluster, "shop")
    faces = EsFaceStore(session, EsDocumentStore(session))
    vector = np.arange(4, dtype=np.float32)
    faces.import_records(PeopleExport(
        [PersonRecord(40, "Ana", False, 1.0, (vector,))],
        [TrackRecord(9, 3, 0, 1.0, 2.0, 4, True, vector, 40)],
        [FaceRow(77, 5, (0, 0, 1, 1), 0.9, 0.1, 50.0, True, vector, 9, 40)],
    ))
    ids = {(a["_index"], a["_id"]) for a in written if "_id" in a}
    assert {("shop-people", "40"), ("shop-tracks", "9"), ("shop-faces", "77")} <= ids
    advanced = {c["id"]: c["script"]["params"]["m"] for c in cluster.called("update")}
    assert advanced == {"people": 40, "tracks": 9, "faces": 77}


def test_servers_and_clients_that_cannot_work_together_are_named():
    with pytest.raises(EsError, match=r"8\.12\+.*int8_hnsw"):
        check_server("8.11.3", 8)
    with pytest.raises(EsError, match=r"visearch\[es8\]"):
        check_server("8.15.0", 9)  # a 9.x client sends compatible-with=9, which 8.x refuses
    check_server("9.2.1", 8)  # 9.x answers an 8.x client through REST compatibility
    check_server("9.2.1", 9)
    check_server("8.12.0-SNAPSHOT", 8)


def test_rejections_are_appended_to_the_person_document_by_script(scans):
    cluster = FakeCluster()
    session = EsSession(cluster, "shop")
    faces = EsFaceStore(session, EsDocumentStore(session))
    cluster.store["shop-people"] = {"4": {"id": 4}}
    faces.add_rejection(4, np.arange(4, dtype=np.float32))
    faces.add_reference(4, np.ones(4, dtype=np.float32))
    rejection, reference = cluster.called("update")
    assert rejection["index"] == "shop-people" and rejection["id"] == "4"
    assert rejection["script"]["params"]["field"] == "rejected" and reference["script"]["params"]["field"] == "references"
    assert rejection["script"]["source"] == schema.APPEND_VECTOR_SCRIPT
    scans["shop-people"] = [{"_source": {"id": 4, "rejected": {"vectors": [rejection["script"]["params"]["v"]]}}}]
    assert np.allclose(faces.rejections()[4][0], np.arange(4))
    assert schema.mappings("people")["properties"]["rejected"] == {"type": "object", "enabled": False}


def test_tag_segments_are_rewritten_by_generation_and_read_only_at_the_current_one(written, scans):
    from visearch.storage.elastic.tags import EsTagStore
    from visearch.storage.tags import TagSegment

    cluster = FakeCluster()
    tags = EsTagStore(EsSession(cluster, "shop"))
    tags.replace_segments(3, [7, 8], [TagSegment(7, 1.0, 2.0, 0.9, 11, {"text": {"words": ["goal"]}})])
    segment, switch_7, switch_8 = written
    generation = segment["_source"]["generation"]
    assert segment["_index"] == "shop-tag_segments" and segment["_source"]["evidence"] == {"text": {"words": ["goal"]}}
    assert switch_7 == {"_op_type": "index", "_index": "shop-tag_videos", "_id": "3-7",
                        "_source": {"tag_id": 3, "video_id": 7, "generation": generation}}
    assert switch_8["_id"] == "3-8" and switch_8["_source"]["generation"] == generation
    cleanup = cluster.called("delete_by_query")[-1]  # the older generations, after the switch
    assert cleanup["index"] == "shop-tag_segments" and cleanup["query"]["bool"] == {
        "filter": [{"term": {"tag_id": 3}}, {"terms": {"video_id": [7, 8]}}],
        "must_not": [{"term": {"generation": generation}}]}
    # a reader sees the current generation only: a run stopped before its switch shows the old segments
    scans["shop-tag_videos"] = [{"_source": {"tag_id": 3, "video_id": 7, "generation": "old"}}]
    scans["shop-tag_segments"] = [
        {"_source": {"tag_id": 3, "video_id": 7, "generation": "old", "start": 5.0, "end": 6.0, "score": 1.0}},
        {"_source": {"tag_id": 3, "video_id": 7, "generation": generation, "start": 1.0, "end": 2.0, "score": 0.9}}]
    assert [s.start for _, s in tags.segments(3)] == [5.0]
    assert schema.mappings("tag_segments")["properties"]["evidence"] == {"type": "object", "enabled": False}


def test_tags_are_created_once_by_name_and_deleted_with_their_segments(written, scans):
    from visearch.storage.elastic.tags import EsTagStore
    from visearch.storage.tags import TagExistsError

    cluster = FakeCluster()
    tags = EsTagStore(EsSession(cluster, "shop"))
    tag_id = tags.create_tag("Goal", {"clauses": []}, 0.5)
    [create] = written
    assert create["_op_type"] == "create" and create["_id"] == "goal" and create["_source"]["id"] == tag_id
    scans["shop-tags"] = [{"_source": create["_source"]}]
    with pytest.raises(TagExistsError, match="Goal"):
        tags.create_tag("GOAL", {"clauses": []}, None)
    lookups = [c["query"] for c in cluster.called("scan") if c["index"] == "shop-tags"]
    assert lookups[-1]["query"] == {"term": {"name": "GOAL"}}  # the normalizer lower-cases the term too
    tags.delete_tag(tag_id)
    deleted = [(c["index"], c["query"]) for c in cluster.called("delete_by_query")]
    assert deleted == [("shop-tag_segments", {"term": {"tag_id": tag_id}}),
                       ("shop-tag_videos", {"term": {"tag_id": tag_id}}), ("shop-tags", {"term": {"id": tag_id}})]
