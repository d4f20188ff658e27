from visearch.text.normalise import compact, normalise, query_terms


def test_normalise_collapses_whitespace_and_full_width_forms():
    assert normalise("  Model\tAX－２０４０\n PRO ") == "Model AX-2040 PRO"


def test_compact_matches_what_the_recogniser_drops():
    assert compact("Model number: AX-2040 PRO") == compact("Modelnumber:AX-2040PRO")


def test_query_terms_keep_model_numbers_whole_and_drop_repeats():
    assert query_terms("white air purifier AX-2040, air") == ["white", "air", "purifier", "ax-2040"]


def test_query_terms_minimum_length():
    assert query_terms("a of AX-2040", min_length=3) == ["ax-2040"]


def test_compact_folds_accents_but_keeps_cjk():
    assert compact("au développement") == compact("audeveloppement")
    assert compact("서울 특별시") == "서울특별시"
    assert compact("北京 饭店") == "北京饭店"
