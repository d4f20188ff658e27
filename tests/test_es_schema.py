"""The Elasticsearch bodies visearch sends, checked against the shapes ES documents; no server needed."""
import numpy as np
import pytest

from visearch.indexer.records import OcrLine
from visearch.indexer.text_spans import TextSpan
from visearch.storage.elastic import schema
from visearch.storage.browse import BrowseQuery
from visearch.storage.documents import ItemDoc, VideoDoc
from visearch.storage.elastic.session import BulkWriteError, EsError, bulk_write
from visearch.storage.elastic.sources import item_from_source, item_source, video_from_source, video_source
from visearch.storage.elastic.session import without_credentials


def test_items_mapping_types_the_fields_for_their_queries():
    body = schema.mappings("items", vector_dims=512)
    props = body["properties"]
    assert body["dynamic"] == "strict" and body["_meta"]["visearch_schema"] == schema.SCHEMA_VERSION
    assert all(props[f]["type"] == "keyword" for f in ("path", "sha256", "kind", "source", "skus"))
    assert props["people"]["type"] == "long" and props["added_at"]["type"] == "date"
    assert props["ocr"]["analyzer"] == "cjk" and props["ocr"]["fields"]["compact"]["analyzer"] == "visearch_compact"
    assert props["compact"]["type"] == "wildcard"
    # Vectors never ride on items: partial updates and reindexing rebuild items from `_source` (defect 1).
    assert "clip" not in props and "_source" not in body


def test_vectors_live_in_their_own_index_with_clip_kept_in_source():
    body = schema.mappings("vectors", vector_dims=512)
    assert body["properties"]["clip"] == {"type": "dense_vector", "dims": 512, "index": True,
                                          "similarity": "dot_product", "index_options": {"type": "int8_hnsw"}}
    assert "_source" not in body  # nothing excluded: a reindex carries the vector over
    assert "clip" not in schema.mappings("vectors")["properties"]  # the dimension comes with the first run


def test_shots_are_nested_and_every_kind_has_a_mapping():
    assert schema.mappings("videos")["properties"]["shots"]["type"] == "nested"
    for kind in schema.KINDS:
        assert schema.mappings(kind)["properties"]
    with pytest.raises(ValueError):
        schema.mappings("nope")


def test_compact_analyzer_is_trigrams_of_folded_text():
    analysis = schema.settings()["analysis"]
    analyzer = analysis["analyzer"]["visearch_compact"]
    assert analysis["tokenizer"][analyzer["tokenizer"]] == {"type": "ngram", "min_gram": 3, "max_gram": 3,
                                                           "token_chars": []}
    assert analyzer["filter"] == ["cjk_width", "lowercase", "asciifolding"]


def test_template_versioned_index_and_atomic_alias_swap():
    body = schema.template("shop", "items")
    assert body["index_patterns"] == ["shop-items-v*"] and body["name"] == "shop-items"
    assert schema.index_name("shop", "items") == f"shop-items-v{schema.SCHEMA_VERSION}"
    assert schema.alias_swap("shop", "items", "shop-items-v1", "shop-items-v2") == [
        {"remove": {"index": "shop-items-v1", "alias": "shop-items"}},
        {"add": {"index": "shop-items-v2", "alias": "shop-items", "is_write_index": True}},
    ]
    assert len(schema.alias_swap("shop", "items", None, "shop-items-v1")) == 1


def test_text_query_uses_trigrams_for_long_terms_pieces_for_short_and_wildcards_for_the_rest():
    query = schema.text_query(["ax-2040", "北京", "우유", "컵", "x-", "a*b"])
    should = query["bool"]["should"]
    assert {"match": {"ocr.compact": {"query": "ax-2040", "operator": "and"}}} in should
    assert {"match": {"catalog.compact": {"query": "ax-2040", "operator": "and"}}} in should
    assert {"term": {"grams": "北京"}} in should and {"term": {"grams": "우유"}} in should
    assert {"term": {"grams": "컵"}} in should
    assert {"wildcard": {"compact": {"value": "*x-*"}}} in should
    assert {"match": {"ocr.compact": {"query": "a*b", "operator": "and"}}} in should
    assert query["bool"]["minimum_should_match"] == 1


def test_korean_query_bodies():
    assert schema.initials_query("ㅅㅇㅇㅇ") == {"wildcard": {"initials": {"value": "*ㅅㅇㅇㅇ*"}}}
    assert schema.near_query(["ㅅㅓㅇㅜㄹㅇㅜㅇㅠ"]) == {"bool": {"should": [
        {"match": {"jamo": {"query": "ㅅㅓㅇㅜㄹㅇㅜㅇㅠ", "minimum_should_match": "50%"}}}], "minimum_should_match": 1}}
    mapping = schema.mappings("items")["properties"]
    assert mapping["grams"] == {"type": "keyword"} and mapping["initials"] == {"type": "wildcard"}
    assert mapping["jamo"]["analyzer"] == "visearch_jamo" and "visearch_jamo" in schema.ANALYSIS["analyzer"]


def test_item_sources_carry_the_same_korean_forms_as_the_sqlite_store():
    from visearch.storage.elastic.sources import item_source

    box = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    source = item_source(ItemDoc(path="/a.jpg", sha256="s", id=1, ocr=[OcrLine("서울우유 1L", box, 0.9)]),
                         [{"sku": "M-1", "title": "Milk", "aliases": ["Seoul Milk"]}])
    assert {"우유", "우", "1l"} <= set(source["grams"]) and source["initials"].startswith("ㅅㅇㅇㅇ")
    assert source["jamo"].startswith("ㅅㅓㅇㅜㄹㅇㅜㅇㅠ") and "seoulmilk" in source["compact"]


def test_browse_filter_and_sort():
    query = BrowseQuery(kind="frame", people=(1, 2), person_mode="or", not_people=(3,), has_text=True,
                        text="AX 2040", brand="Kettlo", source="/shop/", sort="name", descending=False)
    body = schema.browse_filter(query)["bool"]
    assert {"term": {"kind": "frame"}} in body["filter"]
    assert {"bool": {"should": [{"term": {"people": 1}}, {"term": {"people": 2}}], "minimum_should_match": 1}} \
        in body["filter"]
    assert body["must_not"] == [{"term": {"people": 3}}]
    assert {"wildcard": {"compact": {"value": "*ax2040*"}}} in body["filter"]
    assert {"bool": {"should": [{"term": {"source": "/shop"}}, {"prefix": {"source": "/shop/"}}],
                     "minimum_should_match": 1}} in body["filter"]
    assert schema.browse_sort(query)[0] == {"path": "asc"}
    both = schema.browse_filter(BrowseQuery(people=(1, 2)))["bool"]["filter"]
    assert both == [{"term": {"people": 1}}, {"term": {"people": 2}}]


def test_knn_clause_with_filter():
    clause = schema.knn_clause(np.ones(3, np.float32), 10, filter_query={"term": {"kind": "image"}})
    assert clause == {"field": "clip", "query_vector": [1.0, 1.0, 1.0], "k": 10, "num_candidates": 100,
                      "filter": {"term": {"kind": "image"}}}


def test_item_and_video_documents_round_trip():
    box = ((0.0, 0.0), (4.0, 0.0), (4.0, 2.0), (0.0, 2.0))
    item = ItemDoc(path="/a/1.jpg", sha256="s", id=7, ocr=[OcrLine("Model AX-2040 PRO", box, 0.9)], added_at=5.0,
                   taken="2024-05-01T14:03:22")
    source = item_source(item, [{"sku": "A-1", "title": "Kettle", "brand": "Kettlo", "category": "Kitchen"}])
    assert source["compact"].split("\n")[0] == "modelax-2040pro" and source["skus"] == ["A-1"]
    assert source["has_text"] and source["ocr_line_count"] == 1 and source["added_at"] == 5000
    back = item_from_source(7, source)
    assert back.ocr == item.ocr and back.path == item.path and back.added_at == 5.0
    assert source["taken"] == back.taken == "2024-05-01T14:03:22"
    assert schema.mappings("items")["properties"]["taken"] == {"type": "keyword"}
    video = VideoDoc(path="/v.mp4", sha256="v", shots=[(0.0, 1.5), (1.5, 3.0)], id=3, added_at=1.0,
                     taken="2019-03-02T10:11:12",
                     text_spans=[TextSpan("KOR 2:1 JPN", (40.0, 40.0, 260.0, 80.0), 0.95, 1.0, 2.5, 0)])
    source = video_source(video)
    assert source["text_spans"] == [{"text": "KOR 2:1 JPN", "box": [40.0, 40.0, 260.0, 80.0], "confidence": 0.95,
                                     "start": 1.0, "end": 2.5, "shot": 0}]
    assert video_from_source(3, source) == video
    assert schema.mappings("videos")["properties"]["text_spans"] == {"type": "object", "enabled": False}


def test_settings_prefer_options_over_environment():
    from visearch.storage.library import Manifest
    from visearch.app.settings import Settings

    settings = Settings.from_env({"VISEARCH_ES_URL": "https://env:9200", "VISEARCH_ES_API_KEY": "from-env"})
    es = settings.with_options(es_api_key="from-option", es_user=None).es()
    assert (es.url, es.api_key, es.prefix) == ("https://env:9200", "from-option", "visearch")
    recorded = Manifest(backend="elasticsearch", es_url="https://recorded:9200", es_prefix="shop")
    assert settings.store_options().es_for(recorded).url == "https://recorded:9200"  # a library's own cluster
    assert settings.store_options(explicit_es=True).es_for(recorded).url == "https://env:9200"  # unless named
    with pytest.raises(EsError, match="VISEARCH_ES_URL"):
        Settings.from_env({}).store_options().es_for(Manifest(backend="elasticsearch"))
    assert without_credentials("https://elastic:secret@es.local:9200/") == "https://es.local:9200/"


def test_bulk_write_retries_busy_documents_and_names_the_rest(monkeypatch):
    """The retry policy around the client's streaming_bulk (which is replaced by a scripted cluster here)."""
    from elasticsearch import helpers

    replies = iter([
        [(True, {"index": {"status": 201}}), (False, {"index": {"status": 429}}),
         (False, {"index": {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "bad"}}}),
         (False, {"delete": {"status": 404}})],
        [(True, {"index": {"status": 201}})],
    ])
    sent = []

    def scripted(client, actions, **kwargs):
        sent.append([a["_id"] for a in actions])
        return iter(next(replies))

    monkeypatch.setattr(helpers, "streaming_bulk", scripted)
    monkeypatch.setattr("visearch.storage.elastic.session.INITIAL_BACKOFF", 0)
    actions = [{"_index": "i", "_id": str(n)} for n in range(3)] + [{"_op_type": "delete", "_index": "i", "_id": "3"}]
    with pytest.raises(BulkWriteError, match="i/2: mapper_parsing_exception: bad") as raised:
        bulk_write(None, actions)
    assert sent == [["0", "1", "2", "3"], ["1"]] and raised.value.failures == [
        ("i", "2", "mapper_parsing_exception: bad")]
