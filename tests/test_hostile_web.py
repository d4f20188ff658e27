"""Every route against careless and hostile input: a 4xx naming the field, never a 500; no
script from a catalogue; no write from another origin; no file that is not the indexed one."""
import io
import os
import shutil

import pytest
from PIL import Image

BAD_VALUES = {"integer": ["abc", "1.5", "-1", "0", "99999999999999999999999", "", "1e3"],
              "number": ["abc", "nan", "inf", "-5", "1e400"],
              "string": ["\x00", "a\x01b", "x" * 5000]}


def _bad_values(schema: dict) -> list[str]:
    if schema["type"] == "array":
        return ["abc", "-3"]
    if schema.get("enum"):
        return ["nonsense", "\x00"]
    values = [v for v in BAD_VALUES[schema["type"]] if v != ""]
    low = schema.get("minimum")
    # "0" and "-1" are only out of range where the minimum says so
    return [v for v in values if not (v in ("0", "-1") and (low is None or int(v) >= low))]


def test_every_documented_query_parameter_rejects_wrong_types_with_its_name(client):
    """Walks the OpenAPI document: each query parameter, each wrong type or range → 400 naming it."""
    document = client.get("/api/openapi.json").get_json()
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] != "query":
                    continue
                url = path.replace("{item_id}", "1").replace("{person_id}", "1").replace("{tag_id}", "1")
                for value in _bad_values(param["schema"]):
                    response = client.open(url, method=method.upper(), query_string={param["name"]: value})
                    assert response.status_code == 400, (url, param["name"], value, response.data[:200])
                    assert param["name"] in response.get_json()["error"], (url, param["name"], value)
                    checked += 1
    assert checked > 40


@pytest.mark.parametrize("url", ["/browse?page=abc", "/browse?per_page=-1", "/browse?sort=size", "/browse?kind=x",
                                 "/people?all=2", "/?q=%00", "/?photo=../../etc/passwd"])
def test_pages_answer_400_pages_naming_the_parameter(client, url):
    response = client.get(url)
    assert response.status_code == 400 and b"Something is not right" in response.data
    name = url.split("?")[1].split("=")[0]
    assert name.encode() in response.data


@pytest.mark.parametrize("path", ["/api/items/99999999999999999999999", "/api/items/99999999999999999999999/similar",
                                  "/thumb/99999999999999999999999", "/face/99999999999999999999999",
                                  "/media/99999999999999999999999", "/items/99999999999999999999999",
                                  "/api/people/99999999999999999999999", "/media/video/99999999999999999999999",
                                  "/export/clip/99999999999999999999999", "/api/items/9223372036854775807",
                                  "/api/people/99999999999999999999999/presence", "/shop/99999999999999999999999"])
def test_ids_beyond_64_bits_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("body", ["[1, 2]", "3", '"text"', "null", "true", "{"])
@pytest.mark.parametrize("url", ["/api/search", "/api/people/1/name", "/api/people/1/hide", "/api/people/merge",
                                 "/api/people/review/answer", "/api/people/merges/answer", "/api/people/unassigned",
                                 "/api/search/frame", "/api/cutout"])
def test_json_bodies_that_are_not_objects_are_400(client, url, body):
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400, (url, body, response.data)
    assert response.get_json()["error"]


@pytest.mark.parametrize("text", ["\x00", "kettle\x00", "a\x07b", "\ud800", "x\udfffy"])
def test_control_characters_and_lone_surrogates_are_400(client, text):
    response = client.post("/api/search", json={"text": text})
    assert response.status_code == 400 and "text" in response.get_json()["error"]
    rename = client.post("/api/people/1/name", json={"name": text})
    assert rename.status_code == 400 and "name" in rename.get_json()["error"]


@pytest.mark.parametrize("text", ['"', "it's", '"AX-2040', "AX-2040 NEAR kettle", "NEAR(a b)", "*", "ax*", "^ax",
                                  "(", "a) OR (b", "AND OR NOT", '""""', "kettle:", "col:val", "-", "+", "{}",
                                  "'; DROP TABLE items; --", "%", "_", "\\", "💥", "ＡＸ－２０４０"])
def test_search_text_is_never_query_syntax(client, text):
    response = client.post("/api/search", json={"text": text})
    assert response.status_code == 200, (text, response.data)
    browse = client.get("/api/browse", query_string={"text": text})
    assert browse.status_code == 200


def test_quoted_model_number_still_matches(client):
    response = client.post("/api/search", json={"text": '"AX-2040"'})
    assert response.get_json()["results"][0]["product"]["sku"] == "AUR-2040"


@pytest.mark.parametrize("query, status", [
    ("end=", 200),  # an empty end means "to the end"
    ("start=abc", 400), ("start=-1", 400), ("end=nan", 400), ("start=5&end=1", 400), ("start=100000", 400),
])
def test_bad_clip_ranges(client, shared_data, query, status):
    frame = client.get("/api/browse?kind=frame&per_page=1").get_json()["items"][0]
    video = client.get(f"/api/items/{frame['id']}").get_json()["video"]["id"]
    assert client.get(f"/export/clip/{video}?{query}").status_code == status


# -- security


def _with_product_url(app, url: str) -> int:
    from pathlib import Path

    from visearch.indexer.records import Product
    from visearch.storage.library import Library

    library = Library.open(app.config["LIBRARY"])
    item = next(i for i in library.docs.item_ids() if library.docs.products_for([i]))
    product = library.docs.products_for([item])[item]
    library.docs.upsert_products([Product(product.sku, product.title, product.brand, product.price, product.currency,
                                          url, product.category, (Path(library.docs.get([item])[item].path),))])
    library.save()
    library.close()
    return item


@pytest.mark.parametrize("url", ["javascript:alert('url')", " JavaScript:alert(1)", "data:text/html,<script>",
                                 "vbscript:x", "//evil.example/x", "java\tscript:alert(1)"])
def test_catalogue_urls_that_are_not_http_never_become_links(app, client, url):
    item = _with_product_url(app, url)
    page = client.get(f"/items/{item}")
    assert page.status_code == 200
    assert b"Product page" not in page.data and b"javascript:" not in page.data.lower()
    assert client.get(f"/api/items/{item}").get_json()["product"]["url"] == ""


def test_http_catalogue_urls_stay_links(app, client):
    item = _with_product_url(app, "https://shop.example/p/1?a=1&b=2")
    assert b'href="https://shop.example/p/1?a=1&amp;b=2"' in client.get(f"/items/{item}").data


def test_security_headers_on_every_response(client):
    for url in ["/", "/api/stats", "/thumb/1", "/media/1", "/nope"]:
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"]


def test_templates_hold_no_inline_script():
    from pathlib import Path

    for template in (Path(__file__).parents[1] / "src" / "visearch" / "web" / "templates").glob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and " onclick=" not in text and " onload=" not in text, template


def test_cross_origin_form_post_cannot_rename(client):
    response = client.post("/api/people/1/name", data={"name": "pwned"}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    response = client.post("/api/people/1/name", data={"name": "pwned"})  # same origin, but a form: not JSON
    assert response.status_code == 415
    assert client.get("/api/people/1").get_json()["name"] != "pwned"


def test_cross_site_text_plain_post_cannot_hide(client):
    response = client.post("/api/people/1/hide", data='{"hidden": true}', content_type="text/plain",
                           headers={"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"})
    assert response.status_code == 403
    response = client.post("/api/people/1/hide", data='{"hidden": true}', content_type="text/plain")
    assert response.status_code == 415
    assert client.get("/api/people/1").get_json()["hidden"] is False


def test_other_local_ports_are_other_origins(client):
    response = client.post("/api/people/1/hide", json={"hidden": True}, headers={"Origin": "http://localhost:9999",
                                                                                  "Sec-Fetch-Site": "same-site"})
    assert response.status_code == 403


def test_same_origin_json_write_works(client):
    response = client.post("/api/people/1/name", json={"name": "Ada"},
                           headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200 and response.get_json()["name"] == "Ada"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "127.0.0.1.evil.example", "localhost.evil"])
def test_foreign_host_header_is_refused(client, host):
    response = client.get("/api/stats", headers={"Host": host})
    assert response.status_code == 400 and "host" in response.get_json()["error"]


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1:8080", "[::1]:5000"])
def test_loopback_host_names_are_served(client, host):
    assert client.get("/api/stats", headers={"Host": host}).status_code == 200


def test_swapped_file_is_not_served(app, client, tmp_path):
    from visearch.storage.library import Library

    library = Library.open(app.config["LIBRARY"])
    doc = library.docs.get([1])[1]
    library.close()
    original = doc.path
    backup = tmp_path / "backup.jpg"
    shutil.copy2(original, backup)
    try:
        os.unlink(original)
        os.symlink("/etc/passwd", original)
        response = client.get("/media/1")
        assert response.status_code == 410 and b"root:" not in response.data
        os.unlink(original)
        shutil.copyfile(backup, original)  # same bytes, new mtime: still not what was indexed
        assert client.get("/media/1").status_code == 410
    finally:
        if os.path.islink(original) or os.path.exists(original):
            os.unlink(original)
        shutil.copy2(backup, original)
    library = Library.open(app.config["LIBRARY"])
    assert library.docs.get([1])[1].mtime_ns == 0  # marked: the next index run hashes it again
    library.close()


def test_media_outside_the_indexed_folders_is_refused(app, client, tmp_path):
    import json

    manifest = os.path.join(app.config["LIBRARY"], "manifest.json")
    data = json.load(open(manifest))
    data["roots"] = [str(tmp_path / "elsewhere")]
    json.dump(data, open(manifest, "w"))
    assert client.get("/media/1").status_code == 410


@pytest.mark.parametrize("size", [(10000, 10), (10, 10000), (1, 1), (3, 4000)])
def test_extreme_aspect_uploads_are_searched(client, size):
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    response = client.post("/api/search", data={"image": (io.BytesIO(buffer.getvalue()), "strip.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.data


def test_uploaded_photo_can_be_searched_again_by_id(client, fixture_set):
    photo = fixture_set.root / "photos" / "aur-2040-cluttered.jpg"
    first = client.post("/api/search", data={"image": (io.BytesIO(photo.read_bytes()), "p.jpg")},
                        content_type="multipart/form-data").get_json()
    upload = first["query"]["upload"]
    again = client.post("/api/search", data={"upload": upload, "box": "30,510,210,690"},
                        content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["results"][0]["product"]["sku"] == "POL-7"
    assert client.get(f"/queries/{upload}").status_code == 200
    assert client.post("/api/search", data={"upload": "0" * 32}, content_type="multipart/form-data").status_code == 404
    assert client.get("/queries/..%2F..%2Fetc%2Fpasswd").status_code == 404
