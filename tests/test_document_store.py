"""The document-store contract: every backend must pass these.

The Elasticsearch half runs against a real server named by VISEARCH_ES_URL
(credentials from VISEARCH_ES_API_KEY or VISEARCH_ES_USER/PASSWORD); each test
gets its own index prefix and deletes it afterwards.
"""
from pathlib import Path


from visearch.indexer.records import Failure, OcrLine, Product
from visearch.storage.browse import BrowseQuery
from visearch.storage.documents import ItemDoc, VideoDoc

BOX = ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0))


def item(path: str, *lines: str, sha: str | None = None) -> ItemDoc:
    return ItemDoc(
        path=path, sha256=sha or f"sha-{path}", size=10, mtime_ns=1, width=4, height=3,
        source=str(Path(path).parent), ocr=[OcrLine(text, BOX, 0.9) for text in lines],
    )


def test_upsert_get_round_trip(store):
    [item_id] = store.upsert([item("/a/one.jpg", "AURA", "Model AX-2040PRO")])
    got = store.get([item_id])[item_id]
    assert got.path == "/a/one.jpg" and got.kind == "image" and got.source == "/a"
    assert [line.text for line in got.ocr] == ["AURA", "Model AX-2040PRO"]
    assert got.ocr[0].box == BOX


def test_upsert_with_id_replaces_text(store):
    doc = item("/a/one.jpg", "old words")
    [item_id] = store.upsert([doc])
    doc.ocr = [OcrLine("fresh words", BOX, 0.9)]
    store.upsert([doc])
    assert store.text_search(["old"], 5) == []
    assert [hit.id for hit in store.text_search(["fresh"], 5)] == [item_id]


def test_trigram_text_finds_substrings_of_model_numbers(store):
    ids = store.upsert([item("/a/1.jpg", "Modelnumber:AX-2040PRO"), item("/a/2.jpg", "AX-3000")])
    for term in ["2040", "ax-2040", "ax-2040pro", "modelnumber"]:
        assert [hit.id for hit in store.text_search([term], 5)] == [ids[0]], term


def test_cjk_substrings_and_short_terms(store):
    ids = store.upsert([item("/a/cn.jpg", "欢迎光临北京饭店"), item("/a/kr.jpg", "서울 특별시"), item("/a/x.jpg", "X7")])
    assert [hit.id for hit in store.text_search(["北京饭店"], 5)] == [ids[0]]
    assert [hit.id for hit in store.text_search(["北京"], 5)] == [ids[0]]  # under three characters
    assert [hit.id for hit in store.text_search(["특별시"], 5)] == [ids[1]]
    assert [hit.id for hit in store.text_search(["x7"], 5)] == [ids[2]]


def test_text_hits_rank_by_matched_share_and_report_terms(store):
    ids = store.upsert([item("/a/1.jpg", "white kettle"), item("/a/2.jpg", "AURA AX-2040 white")])
    hits = store.text_search(["white", "ax-2040"], 5)
    assert [hit.id for hit in hits] == [ids[1], ids[0]]
    assert set(hits[0].terms) == {"white", "ax-2040"}


def test_tied_text_hits_keep_the_engines_relevance_order(store):
    """Items showing the same share of the query tie; the full-text engine's relevance (BM25, which both
    backends compute) breaks the tie, not the order the items were stored in."""
    passing = item("/a/1.jpg", "kettle", "descaling instructions for the water tank and filter, read carefully")
    focused = item("/a/2.jpg", "KETTLE KETTLE")
    ids = store.upsert([passing, focused])
    hits = store.text_search(["kettle"], 5)
    assert [hit.score for hit in hits] == [1.0, 1.0]
    assert [hit.id for hit in hits] == [ids[1], ids[0]]


def test_catalogue_fields_are_searchable_and_joined_by_path(store):
    [item_id] = store.upsert([item("/shop/kettle.jpg")])
    store.upsert_products([Product("KET-1", "Electric kettle", "KETTLO", 39.9, "EUR", images=(Path("/shop/kettle.jpg"),))])
    assert [hit.id for hit in store.text_search(["kettlo"], 5)] == [item_id]
    product = store.products_for([item_id])[item_id]
    assert (product.sku, product.price, product.currency) == ("KET-1", 39.9, "EUR")


def test_delete_removes_item_and_its_text(store):
    [item_id] = store.upsert([item("/a/1.jpg", "gone soon")])
    store.delete([item_id])
    assert store.get([item_id]) == {}
    assert store.text_search(["gone"], 5) == []


def test_file_states_sha_lookup_and_moves(store):
    [item_id] = store.upsert([item("/a/1.jpg", sha="abc")])
    assert [(s.path, s.sha256) for s in store.file_states()] == [("/a/1.jpg", "abc")]
    assert [doc.id for doc in store.find_by_sha256("abc")] == [item_id]
    store.update_file(item_id, "/b/renamed.jpg", 10, 2, "/b")
    assert store.get([item_id])[item_id].path == "/b/renamed.jpg"


def test_failures_are_recorded_replaced_and_cleared(store):
    store.record_failures([Failure(Path("/a/bad.jpg"), "truncated"), Failure(Path("/a/x.png"), "empty")])
    store.record_failures([Failure(Path("/a/bad.jpg"), "still truncated")])
    assert [(f.path.name, f.reason) for f in store.failures()] == [("bad.jpg", "still truncated"), ("x.png", "empty")]
    store.clear_failures(["/a/bad.jpg"])
    assert [f.path.name for f in store.failures()] == ["x.png"]


def test_counts(store):
    store.upsert([item("/a/1.jpg", "one", "two"), item("/a/2.jpg")])
    counts = store.counts()
    assert (counts["items"], counts["text_lines"], counts["items_with_text"]) == (2, 2, 1)


def test_browse_filters_by_kind_source_text_and_brand(store):
    ids = store.upsert([item("/shop/a.jpg", "AX-2040PRO"), item("/shop/sub/b.jpg"), item("/other/c.jpg", "tea")])
    store.upsert_products([Product("A-1", "Kettle", "Kettlo", 10.0, "EUR", category="Kitchen",
                                   images=(Path("/shop/a.jpg"),))])
    assert set(store.browse(BrowseQuery(source="/shop")).ids) == {ids[0], ids[1]}
    assert store.browse(BrowseQuery(text="2040")).ids == [ids[0]]
    assert store.browse(BrowseQuery(brand="kettlo")).ids == [ids[0]]
    assert set(store.browse(BrowseQuery(has_text=False)).ids) == {ids[1]}
    page = store.browse(BrowseQuery(sort="name", descending=False, per_page=2))
    assert page.ids == [ids[2], ids[0]] and page.total == 3 and page.pages == 2
    assert page.facets["brand"] == ["Kettlo"] and "/shop/sub" in page.facets["source"]


def test_videos_with_shots_and_frames_by_time(store):
    video = VideoDoc(path="/v/clip.mp4", sha256="v1", duration=12.0, fps=25.0, shots=[(0.0, 5.0), (5.0, 12.0)])
    video_id = store.upsert_video(video)
    frames = [ItemDoc(path="/v/clip.mp4", sha256="v1", kind="frame", video_id=video_id, time=t, shot=int(t >= 5),
                      keyframe=t in (0.0, 5.0), ocr=[OcrLine(f"sign {t}", BOX, 0.9)]) for t in (6.0, 0.0, 5.0)]
    store.upsert(frames)
    assert [f.time for f in store.frames_of(video_id)] == [0.0, 5.0, 6.0]
    assert store.get_videos([video_id])[video_id].shots == [(0.0, 5.0), (5.0, 12.0)]
    assert {s.kind for s in store.file_states()} == {"video"}  # frames are not files
    store.update_video_file(video_id, "/v/renamed.mp4", 1, 2, "/v")
    assert {f.path for f in store.frames_of(video_id)} == {"/v/renamed.mp4"}
    assert sorted(store.delete_video(video_id)) == sorted(f.id for f in frames)
    assert store.item_ids() == [] and store.get_videos([video_id]) == {}


def test_a_videos_text_spans_are_kept_in_order_and_replaced_with_it(store):
    from visearch.indexer.text_spans import TextSpan

    spans = [TextSpan("HOME RUN", (10.0, 600.0, 400.0, 650.0), 0.97, 3.25, 6.5, 0),
             TextSpan("오늘의 무대", (12.0, 600.0, 380.0, 655.0), 0.91, 11.5, 14.0, 1)]
    video_id = store.upsert_video(VideoDoc(path="/v/show.mp4", sha256="s1", duration=16.0,
                                           shots=[(0.0, 8.0), (8.0, 16.0)], text_spans=spans))
    assert store.get_videos([video_id])[video_id].text_spans == spans
    [frame] = store.upsert([ItemDoc(path="/v/show.mp4", sha256="s1", kind="frame", video_id=video_id, time=4.0)])
    again = VideoDoc(path="/v/show.mp4", sha256="s2", duration=16.0, id=video_id, text_spans=spans[1:])
    store.upsert_video(again)  # its text read again: the spans are the new ones only, its frames stay
    assert store.get_videos([video_id])[video_id].text_spans == spans[1:]
    assert [f.id for f in store.frames_of(video_id)] == [frame]
    store.delete_video(video_id)
    assert store.get_videos([video_id]) == {}


def test_korean_as_it_is_typed(store):
    """Two-syllable and one-syllable words (under a trigram), 초성, a one-jamo OCR slip, mixed scripts."""
    ids = store.upsert([item("/k/milk.jpg", "서울우유 1000ml"), item("/k/ramen.jpg", "신라면 컵"),
                        item("/k/water.jpg", "제주 삼다수 2L"), item("/k/slip.jpg", "딸기우요"),
                        item("/k/latin.jpg", "AURA AX-2040")])
    milk, ramen, water, slip, _ = ids
    assert [hit.id for hit in store.text_search(["우유"], 5)] == [milk]
    assert [hit.id for hit in store.text_search(["컵"], 5)] == [ramen]
    assert {hit.id for hit in store.text_search(["삼다수", "2l"], 5)} == {water}
    assert [hit.id for hit in store.initials_search("ㅅㅇㅇㅇ", 5)] == [milk]
    assert [hit.id for hit in store.initials_search("ㅅㄹㅁ", 5)] == [ramen]
    assert store.initials_search("ㅎㅎㅎ", 5) == []
    near = store.near_search(["딸기우유"], 5)
    assert [hit.id for hit in near] == [slip] and near[0].score < 1.0
    assert store.near_search(["딸기우요"], 5) == []  # exact is not a near miss
    assert store.text_search(["없는상품"], 5) == [] and store.near_search(["없는상품"], 5) == []
