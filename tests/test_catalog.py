import pytest

from visearch.indexer.catalog import CatalogError, read_catalog


def test_csv_joins_rows_of_one_sku_and_resolves_paths(tmp_path):
    (tmp_path / "c.csv").write_text(
        "SKU,title,brand,price,currency,image\n"
        "A1,Kettle,KETTLO,\"39,90\",EUR,img/a.jpg\n"
        "A1,Kettle,KETTLO,39.90,EUR,img/a-side.jpg|img/a.jpg\n"
        "B2,Lamp,LUMEN,,,\n"
    )
    products = {p.sku: p for p in read_catalog(tmp_path / "c.csv")}
    assert products["A1"].price == 39.9
    assert products["A1"].images == (tmp_path / "img/a.jpg", tmp_path / "img/a-side.jpg")
    assert products["B2"].price is None and products["B2"].images == ()


def test_jsonl_with_image_lists(tmp_path):
    (tmp_path / "c.jsonl").write_text('{"sku": "A", "images": ["x.jpg", "y.jpg"], "price": 3}\n\n')
    [product] = read_catalog(tmp_path / "c.jsonl")
    assert product.images == (tmp_path / "x.jpg", tmp_path / "y.jpg") and product.price == 3.0


@pytest.mark.parametrize(
    "name, text, reason",
    [
        ("c.csv", "title,image\nx,y.jpg\n", "'sku' column"),
        ("c.csv", "sku,price\nA,cheap\n", ":2: price 'cheap'"),
        ("c.csv", "sku,title\n,nameless\n", ":2: missing sku"),
        ("c.jsonl", '{"sku": "A"}\n{oops\n', ":2: not valid JSON"),
    ],
)
def test_errors_name_file_line_and_reason(tmp_path, name, text, reason):
    (tmp_path / name).write_text(text)
    with pytest.raises(CatalogError) as caught:
        read_catalog(tmp_path / name)
    assert name in str(caught.value) and reason in str(caught.value)


def test_missing_catalogue(tmp_path):
    with pytest.raises(CatalogError, match="not found"):
        read_catalog(tmp_path / "none.csv")
