"""The people review as users meet it: a family album indexed for real (dlib faces on two parents' photos and
their morph children, fixtures/relatives.py), then the review queue, the unassigned pool and presence through
the API, the CLI and Chromium. Needs ../shared/data."""
import json
import shutil
import threading

import pytest

from tests.conftest import at_once, chromium_on
from visearch.web import create_app
from visearch.cli import main

PARENTS = ("deepface:Angelina", "deepface:Jack")


@pytest.fixture(scope="module")
def album(shared_data, tmp_path_factory):
    from fixtures.relatives import labelled_photos, make_families

    root = tmp_path_factory.mktemp("album")
    [family] = make_families(shared_data, root / "photos", [PARENTS], children=2, photos_each=1)
    strangers = labelled_photos(shared_data)["Kit Harington"][:2]
    for number, path in enumerate(strangers):
        (root / "photos" / f"stranger-{number}{path.suffix}").symlink_to(path.resolve())
    assert main(["--library", str(root / "lib"), "index", str(root / "photos"), "--clip", "tiny", "--ocr", "off",
                 "--local-features", "off", "--no-progress"]) == 0
    return root, family


@pytest.fixture
def client(album, tmp_path):
    library = tmp_path / "lib"
    shutil.copytree(album[0] / "lib", library)
    app = create_app({"LIBRARY": str(library), "TESTING": True, "OCR": "off"})
    yield app.test_client()
    app.extensions["visearch"].close()


def test_children_are_asked_about_never_joined_to_a_parent(client, album):
    people = client.get("/api/people").get_json()["people"]
    assert sorted(p["photos"] for p in people) == [5, 9]  # each parent whole, no child inside
    queue = client.get("/api/people/review").get_json()
    assert queue["count"] >= 1
    parents = {p["id"] for p in people}
    for group in queue["suggestions"]:
        assert group["person"]["id"] in parents
        assert all("child" in face["path"] for face in group["faces"])
        assert all(0 <= face["certainty"] <= 1 for face in group["faces"])


def test_no_is_remembered_and_a_second_answer_is_409_never_500(client):
    [face] = client.get("/api/people/review").get_json()["suggestions"][0]["faces"][:1]
    body = {"face": face["face"], "person": face["person"], "answer": "no"}
    assert client.post("/api/people/review/answer", json=body).status_code == 200
    remaining = client.get("/api/people/review").get_json()["suggestions"]
    assert all(f["face"] != face["face"] for group in remaining for f in group["faces"])
    again = client.post("/api/people/review/answer", json={**body, "answer": "yes"})
    assert again.status_code == 409 and "cannot be person" in again.get_json()["error"]
    gone = client.post("/api/people/review/answer", json={**body, "face": 987654})
    assert gone.status_code == 404 and "987654" in gone.get_json()["error"]
    nobody = client.post("/api/people/review/answer", json={**body, "person": 987654})
    assert nobody.status_code == 404


def test_two_tabs_answering_at_once_get_one_200_and_one_409(client):
    [face] = client.get("/api/people/review").get_json()["suggestions"][0]["faces"][:1]
    body = {"face": face["face"], "person": face["person"], "answer": "yes"}
    codes = []
    lock = threading.Lock()

    def answer():
        response = client.post("/api/people/review/answer", json=body)
        with lock:
            codes.append(response.status_code)

    assert at_once(answer, 2) == []
    assert sorted(codes) == [200, 409]


def test_strangers_stack_and_hide_out_of_sight(client):
    stacks = client.get("/api/people/unassigned").get_json()["stacks"]
    strangers = [s for s in stacks if "stranger" in s["cover"]["path"]]
    assert strangers and strangers[0]["count"] == 2
    hidden = client.post("/api/people/unassigned", json={"faces": strangers[0]["faces"], "action": "hide"})
    assert hidden.status_code == 200 and hidden.get_json()["hidden"] is True
    left = client.get("/api/people/unassigned").get_json()["stacks"]
    assert all("stranger" not in s["cover"]["path"] for s in left)
    assert all(not p["hidden"] for p in client.get("/api/people").get_json()["people"])
    twice = client.post("/api/people/unassigned", json={"faces": strangers[0]["faces"], "action": "name", "name": "X"})
    assert twice.status_code == 409
    empty = client.post("/api/people/unassigned", json={"faces": [1], "action": "name", "name": "  "})
    assert empty.status_code in (400, 409)


def test_presence_counts_photos_and_matches_the_cli(client, album, capsys, monkeypatch):
    person = max(client.get("/api/people").get_json()["people"], key=lambda p: p["photos"])
    presence = client.get(f"/api/people/{person['id']}/presence").get_json()["presence"]
    assert presence["photos"] == 9 and presence["videos"] == 0 and presence["screen_time"] == 0
    assert presence["first_seen"] <= presence["last_seen"]
    assert presence["dates_from_files"] == 9  # generated photos carry no EXIF: every date is the file's, and said so
    assert "9 dated by their files' dates" in client.get(f"/people/{person['id']}").get_data(as_text=True)
    monkeypatch.chdir(album[0])
    capsys.readouterr()
    assert main(["--library", "lib", "people", "show", str(person["id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["presence"]["photos"] == 9
    assert main(["--library", "lib", "people", "review"]) == 0
    assert "Is this" in capsys.readouterr().out


def test_review_pages_in_korean_and_english(client):
    for language, words in (("en", "Is this"), ("ko", "인가요?")):
        page = client.get(f"/people/review?lang={language}")
        assert page.status_code == 200 and words in page.get_data(as_text=True)
    assert client.get("/people/unassigned?lang=ko").status_code == 200


def test_every_page_of_a_photo_with_people_names_them_in_both_languages(client):
    people = client.get("/api/people").get_json()["people"]
    assert people
    for person in people:
        for face in client.get(f"/api/people/{person['id']}/faces").get_json()["faces"][:2]:
            for language in ("en", "ko"):
                page = client.get(f"/items/{face['item']}?lang={language}")
                assert page.status_code == 200, (face, language)
                assert f'href="/people/{person["id"]}"' in page.get_data(as_text=True)


# -- the real browser


@pytest.mark.browser
def test_review_by_keyboard_and_hide_strangers_in_chromium(album, tmp_path):
    from tests.test_browser import shot

    library = tmp_path / "lib"
    shutil.copytree(album[0] / "lib", library)
    with chromium_on(library, {"OCR": "off"}) as page:
        page.goto("/people/review")
        first = page.locator(".face-question").first
        page.keyboard.press("y")
        page.wait_for_selector(".face-question.answered-yes")
        assert "answered" in first.get_attribute("class")
        shot(page, "people-review")
        page.goto("/people/unassigned")
        stack = page.locator(".stack", has=page.locator("a", has_text="stranger")).first
        stack.locator(".stack-hide").click()
        page.wait_for_selector(".stack.settled")
        assert "Hidden" in page.locator("#pool-status").inner_text()
        page.goto("/people")
        page.locator(".person-card a").first.click()
        assert page.locator(".presence").is_visible()
        shot(page, "people-presence")


def test_review_asks_one_key_at_a_time_in_the_terminal(album, tmp_path, capsys, monkeypatch):
    import io

    library = tmp_path / "lib"
    shutil.copytree(album[0] / "lib", library)
    before = json.loads(_run(capsys, "--library", str(library), "people", "review", "--json"))["count"]
    monkeypatch.setattr("sys.stdin", io.StringIO("x\nn\nq\n"))  # a stray key is asked again; then no; then quit
    assert main(["--library", str(library), "people", "review", "--ask"]) == 0
    assert "y(es) / n(o) / s(kip) / q(uit)?" in capsys.readouterr().out
    after = json.loads(_run(capsys, "--library", str(library), "people", "review", "--json"))["count"]
    assert after == before - 1


def _run(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out
