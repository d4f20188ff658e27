from visearch.indexer.records import OcrLine
from visearch.search.ranking import group_best, reciprocal_rank_fusion, term_matches, words_then_votes
from visearch.text.matching import rank_text_matches


def test_rrf_rewards_agreement_between_lists():
    fused = reciprocal_rank_fusion({"vector": [1, 2, 3], "text": [2]})
    assert [item for item, _ in fused] == [2, 1, 3]


def test_rrf_ties_keep_first_seen_order():
    fused = reciprocal_rank_fusion({"vector": [7, 8], "text": [8, 7]})
    assert [item for item, _ in fused] == [7, 8]
    assert fused[0][1] == fused[1][1]


def test_rrf_weights_and_strengths():
    rankings = {"vector": [1, 2], "text": [2, 1]}
    assert reciprocal_rank_fusion(rankings, weights={"text": 0})[0][0] == 1
    # Item 2 matched all of the query's text, item 1 a tenth of it: the text list counts for 2 more.
    fused = reciprocal_rank_fusion({"vector": [1, 2], "text": [2, 1]}, strengths={"text": {2: 1.0, 1: 0.1}})
    assert fused[0][0] == 2


def test_rrf_of_nothing_is_empty():
    assert reciprocal_rank_fusion({}) == []


def test_text_matches_rank_by_matched_share_of_the_query():
    terms = ["white", "air", "ax-2040"]
    texts = {1: "aura\nair purifier", 2: "modelax-2040pro", 3: "nothing here"}
    ranked = rank_text_matches(terms, texts)
    assert [item for item, _, _ in ranked] == [2, 1]
    assert ranked[0][2] == ("ax-2040",)
    assert ranked[0][1] == 7 / 15


def test_votes_break_ties_in_words_and_never_outrank_them():
    shares = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.5}
    votes = {"c": 40.0, "b": 10.0, "d": 99.0}
    assert words_then_votes(shares, votes) == ["c", "b", "a", "d"]
    assert words_then_votes(shares, {}) == ["a", "b", "c", "d"]  # no votes: the given order


def test_group_best_keeps_one_row_per_product():
    ranked = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]
    assert group_best(ranked, {1: "A", 2: "A", 4: "B"}) == [(1, 0.9), (3, 0.7), (4, 0.6)]


def test_term_matches_give_the_box_of_each_matching_line():
    line = OcrLine("Model AX-2040PRO", ((10, 20), (110, 20), (110, 40), (10, 40)), 0.97)
    other = OcrLine("AURA", ((0, 0), (50, 0), (50, 10), (0, 10)), 0.99)
    matches = term_matches(["ax-2040", "zzz"], [other, line])
    assert len(matches) == 1
    assert matches[0].term == "ax-2040" and matches[0].box == (10, 20, 110, 40)


def test_verified_items_lead_by_inliers_and_scores_stay_ordered():
    from visearch.search.ranking import verified_first

    ranked = [(1, 0.9), (2, 0.8), (3, 0.5), (4, 0.4)]
    out = verified_first(ranked, {3: 40, 4: 80, 9: 20})  # 9 was found by descriptor votes only
    assert [item for item, _ in out] == [4, 3, 9, 1, 2]
    scores = [score for _, score in out]
    assert scores == sorted(scores, reverse=True)
    assert verified_first(ranked, {}) == ranked
