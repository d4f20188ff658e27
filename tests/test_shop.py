"""Shop the moment and cut-outs, as users meet them: a generated video with catalogue products on screen
(visearch/demo/shop.py) indexed with the fixture catalogue; `search --frame`, `cutout`, their API routes and
the page, with hostile input. Generated media only."""
import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

from visearch.indexer.errors import InvalidInput
from visearch.cutout.grabcut import cut_out
from visearch.search.frames import parse_moment, parse_seconds
from tests.conftest import chromium_on
from visearch.cli import main


@pytest.fixture(scope="module")
def shop(fixture_set, tmp_path_factory):
    from visearch.demo.shop import generate_shop_video

    root = tmp_path_factory.mktemp("shop")
    video = generate_shop_video(root / "video")
    assert main(["--library", str(root / "lib"), "index", str(fixture_set.catalog_dir), str(video.video),
                 "--catalog", str(fixture_set.catalog_csv), "--clip", "tiny", "--no-progress"]) == 0
    return root, video


def run_json(capsys, *argv) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


# -- pure


@pytest.mark.parametrize("text, seconds", [("12.5", 12.5), ("00:12.5", 12.5), ("1:02:03.5", 3723.5), ("7", 7.0)])
def test_times_as_typed(text, seconds):
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "12:", "-3", "1:2:3:4", "12,5"])
def test_bad_times_name_the_field(text):
    with pytest.raises(InvalidInput, match="time"):
        parse_seconds(text)


def test_moments_split_at_the_last_at_sign():
    assert parse_moment("clips/a@b.mp4@00:03") == ("clips/a@b.mp4", 3.0)
    with pytest.raises(InvalidInput, match="VIDEO@SECONDS"):
        parse_moment("show.mp4")


def test_a_box_around_a_disk_cuts_out_the_disk_with_a_soft_edge():
    rng = np.random.default_rng(0)
    pixels = np.clip(rng.normal(120, 30, (300, 400, 3)), 0, 255).astype(np.uint8)
    picture = Image.fromarray(pixels)
    ImageDraw.Draw(picture).ellipse((140, 80, 260, 200), fill=(220, 30, 30))
    truth = np.zeros((300, 400), bool)
    yy, xx = np.mgrid[:300, :400]
    truth[((xx - 200) / 60) ** 2 + ((yy - 140) / 60) ** 2 <= 1] = True
    done = cut_out(picture, box=(125, 65, 275, 215))
    assert (done.mask & truth).sum() / (done.mask | truth).sum() > 0.95
    alpha = np.asarray(done.image)[:, :, 3]
    assert done.image.mode == "RGBA" and 0 < ((alpha > 16) & (alpha < 239)).mean() < 0.1  # feathered, not blurred
    assert abs(done.image.width - 120) <= 10 and abs(done.image.height - 120) <= 10  # cropped to the object
    white = cut_out(picture, box=(125, 65, 275, 215), background="white").image
    assert white.mode == "RGB" and white.getpixel((0, 0))[0] > 200


# -- CLI


def test_search_a_frame_with_a_box_from_another_directory(shop, capsys, monkeypatch):
    root, video = shop
    seen = next(a for a in video.truth if a["how"] == "held")
    monkeypatch.chdir(root)
    when = (seen["start"] + seen["end"]) / 2
    answer = run_json(capsys, "--library", "lib", "search", "--frame", f"video/shop.mp4@00:{when:04.1f}",
                      "--box", ",".join(map(str, seen["box"])), "--json")
    assert answer["match"] == "exact" and answer["results"][0]["product"]["sku"] == seen["sku"]
    assert answer["query"]["frame"]["time"] == pytest.approx(when)
    assert answer["query"]["size"] == [960, 540]  # the original's pixels, not a thumbnail's
    assert all(r["product"] for r in answer["results"])  # products only: not the video's own frames


def test_a_small_held_product_is_found_in_a_suggested_box_without_one(shop, capsys):
    root, video = shop
    seen = next(a for a in video.truth if a["sku"] == "NOM-42")
    answer = run_json(capsys, "--library", str(root / "lib"), "search", "--frame",
                      f"{video.video}@{(seen['start'] + seen['end']) / 2}", "--json")
    assert answer["match"] == "exact" and answer["results"][0]["product"]["sku"] == "NOM-42"
    assert answer["query"]["box"] and any("suggested box" in notice for notice in answer["notices"])


def test_an_empty_table_is_honestly_nothing(shop, capsys):
    root, video = shop
    answer = run_json(capsys, "--library", str(root / "lib"), "search", "--frame", f"{video.video}@14", "--json")
    assert answer["match"] == "none"


@pytest.mark.parametrize("frame, message", [("{video}@99", "outside"), ("nope.mp4@1", "not an indexed video"),
                                            ("{video}@1:xx", "not a time"), ("{video}", "VIDEO@SECONDS")])
def test_bad_frames_exit_2_with_the_reason(shop, capsys, frame, message):
    root, video = shop
    capsys.readouterr()
    assert main(["--library", str(root / "lib"), "search", "--frame", frame.format(video=video.video)]) == 2
    assert message in capsys.readouterr().err


def test_cutout_cli_writes_a_transparent_png_of_the_product(shop, tmp_path, capsys):
    root, video = shop
    seen = next(a for a in video.truth if a["how"] == "table")
    out = tmp_path / "cut.png"
    when = (seen["start"] + seen["end"]) / 2
    assert main(["--library", str(root / "lib"), "cutout", "--frame", f"{video.video}@{when}", "--box",
                 ",".join(map(str, seen["box"])), "--out", str(out)]) == 0
    cut = Image.open(out)
    x0, y0, x1, y1 = seen["box"]
    assert cut.mode == "RGBA" and abs(cut.width - (x1 - x0)) < 0.25 * (x1 - x0)
    alpha = np.asarray(cut)[:, :, 3]
    assert 0.4 < (alpha > 127).mean() < 0.99


@pytest.mark.parametrize("argv, message", [
    (["{photo}", "--box", "5000,5000,6000,6000"], "box"), (["{photo}", "--box", "10,10,10,10"], "box"),
    (["{readme}"], "not an image"), (["{missing}"], "does not exist"),
])
def test_cutout_refuses_bad_input_clearly(fixture_set, tmp_path, capsys, argv, message):
    photo = next(fixture_set.catalog_dir.glob("*.jpg"))
    readme = tmp_path / "notes.jpg"
    readme.write_text("not a picture")
    argv = [a.format(photo=photo, readme=readme, missing=tmp_path / "gone.jpg") for a in argv]
    capsys.readouterr()
    assert main(["--library", str(tmp_path / "lib"), "cutout", *argv, "--out", str(tmp_path / "x.png")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_a_huge_photo_is_cut_at_a_bounded_size(tmp_path):
    from visearch.app.cutout import cutout
    from visearch.app.searching import open_photo

    big = Image.new("RGB", (6000, 4000), (40, 90, 40))
    ImageDraw.Draw(big).rectangle((2000, 1000, 4000, 3000), fill=(230, 230, 20))
    path = tmp_path / "big.jpg"
    big.save(path, quality=90)
    done = cutout(open_photo(path), box=(1800, 800, 4200, 3200))
    assert max(done.cutout.mask.shape) == 2048  # cut at the query size, not 24 megapixels
    assert done.image.width == pytest.approx(2000 * 2048 / 6000, abs=25)


# -- API and page


@pytest.fixture
def client(shop, tmp_path):
    from visearch.web import create_app

    library = tmp_path / "lib"
    shutil.copytree(shop[0] / "lib", library)
    app = create_app({"LIBRARY": str(library), "TESTING": True})
    app.extensions["visearch"].load_models()
    yield app.test_client()
    app.extensions["visearch"].close()


def test_api_frame_search_and_its_errors(client, shop):
    seen = next(a for a in shop[1].truth if a["how"] == "large")
    body = {"video": 1, "time": (seen["start"] + seen["end"]) / 2}
    answer = client.post("/api/search/frame", json=body).get_json()
    assert answer["match"] == "exact" and answer["results"][0]["product"]["sku"] == seen["sku"]
    assert client.post("/api/search/frame", json={**body, "time": 500}).status_code == 400
    assert client.post("/api/search/frame", json={**body, "video": 999}).status_code == 404
    assert client.post("/api/search/frame", json={**body, "box": "1,2"}).status_code == 400


def test_api_cutout_from_an_upload_with_the_lens_outline(client, fixture_set):
    photo = fixture_set.root / "photos" / "aur-2040-cluttered.jpg"
    found = client.post("/api/search", data={"image": (open(photo, "rb"), "p.jpg"), "k": "5"}).get_json()
    top = found["results"][0]
    assert found["match"] == "exact" and top["evidence"]["local"]
    response = client.post("/api/cutout", json={"upload": found["query"]["upload"], "item": top["id"],
                                                "outline": top["evidence"]["local"]["polygon"]})
    assert response.status_code == 200 and response.mimetype == "image/png"
    cut = Image.open(io.BytesIO(response.data))
    assert cut.mode == "RGBA" and cut.width < Image.open(photo).width
    x0, y0 = top["evidence"]["local"]["polygon"][0]
    overhanging = [[x - x0 - 20, y - y0 - 20] for x, y in top["evidence"]["local"]["polygon"]]  # partly outside
    partly = client.post("/api/cutout", json={"upload": found["query"]["upload"], "outline": overhanging})
    assert partly.status_code == 200, partly.data
    form = client.post("/api/cutout", data={"image": (open(photo, "rb"), "p.jpg"), "background": "white",
                                            "box": ",".join(map(str, fixture_set.truth[photo.name]["box"]))})
    assert form.status_code == 200 and Image.open(io.BytesIO(form.data)).mode == "RGB"


@pytest.mark.parametrize("body, status", [({}, 400), ({"upload": "0" * 32}, 404), ({"video": 1, "time": 99}, 400),
                                          ({"video": 1, "time": 1, "outline": [[0, 0], [1, 1]]}, 400),
                                          ({"video": 1, "time": 1, "box": "0,0,9999,-5"}, 400),
                                          ({"video": 1, "time": 1, "background": "pink"}, 400),
                                          ({"video": 1, "time": 1, "blur": 2}, 400),
                                          ({"video": 1, "time": 1, "blur": "soft"}, 400),
                                          ({"video": 1, "time": 1, "person": "yes"}, 400)])
def test_api_cutout_bad_input_is_4xx_never_500(client, body, status):
    response = client.post("/api/cutout", json=body)
    assert response.status_code == status, response.data
    assert response.get_json()["error"]


def test_api_blur_gives_the_whole_frame_back_as_jpeg(client, shop):
    seen = next(a for a in shop[1].truth if a["how"] == "large")
    body = {"video": 1, "time": (seen["start"] + seen["end"]) / 2, "box": ",".join(map(str, seen["box"])), "blur": 0.7}
    response = client.post("/api/cutout", json=body)
    assert response.status_code == 200 and response.mimetype == "image/jpeg", response.data
    from visearch.demo.shop import HEIGHT, WIDTH

    assert Image.open(io.BytesIO(response.data)).size == (WIDTH, HEIGHT)


def test_shop_this_frame_opens_the_lens_on_the_frame(client):
    response = client.get("/shop/1?t=9.5")
    assert response.status_code == 302 and "shop=1" in response.location and "photo=" in response.location
    page = client.get(response.location)
    assert page.status_code == 200 and b'data-shop="1"' in page.data
    assert client.get("/shop/1?t=999").status_code == 400
    assert client.get("/shop/99?t=1").status_code == 404


@pytest.mark.browser
def test_shop_a_frame_and_cut_out_the_answer_in_chromium(shop, tmp_path):
    from tests.test_browser import shot

    library = tmp_path / "lib"
    shutil.copytree(shop[0] / "lib", library)
    with chromium_on(library, models=True) as page:
        page.goto("/shop/1?t=9.5")
        page.wait_for_selector(".cutout-button", timeout=60000)
        assert "Desk lamp" in page.locator("#results").inner_text()
        shot(page, "shop-the-moment")
        page.locator(".cutout-button").first.click()
        page.wait_for_selector("#cutout-dialog[open]")
        page.wait_for_function("document.getElementById('cutout-image').naturalWidth > 0")
        shot(page, "cutout")


def test_moments_of_a_product_and_of_an_unknown_sku(shop, capsys):
    root, video = shop
    found = run_json(capsys, "--library", str(root / "lib"), "moments", "--product", "lum-88", "--json")
    assert [(m["start"], m["end"]) for m in found["moments"]] == [(8.0, 12.0)]
    capsys.readouterr()
    assert main(["--library", str(root / "lib"), "moments", "--product", "NOPE-1"]) == 2
    assert "no product 'NOPE-1'" in capsys.readouterr().err
