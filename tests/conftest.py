"""Shared fixtures: one generated catalogue and one indexed library per test session."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

# A missing CLIP checkpoint must fail at once in tests, never after a minute of network retries.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def fixture_set(tmp_path_factory):
    from visearch.demo.generate import generate

    return generate(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="session")
def tiny_encoder():
    from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec

    encoder = ClipEncoder(parse_clip_spec("tiny"))
    encoder.load()
    return encoder


@pytest.fixture(scope="session")
def ocr_model():
    from visearch.indexer.models.ocr import create_ocr

    model = create_ocr("rapidocr", threads=1)
    model.load()
    return model


@pytest.fixture(scope="session")
def indexed_library(tmp_path_factory, fixture_set):
    """The catalogue, odd formats and bad files, indexed once with the tiny encoder and real OCR."""
    from visearch.cli import main

    root = tmp_path_factory.mktemp("library") / "lib"
    code = main([
        "--library", str(root), "index", str(fixture_set.catalog_dir), str(fixture_set.formats_dir),
        str(fixture_set.bad_dir), "--catalog", str(fixture_set.catalog_csv), "--clip", "tiny", "--no-progress",
    ])
    assert code == 0
    return root


@pytest.fixture
def library_copy(indexed_library, tmp_path):
    """A private copy of the indexed library for tests that change it."""
    target = tmp_path / "lib"
    shutil.copytree(indexed_library, target)
    return target


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared sample media not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def people_video(shared_data, tmp_path_factory):
    """The generated people video (needs the shared face photos)."""
    from visearch.demo.video import generate_video

    return generate_video(shared_data, tmp_path_factory.mktemp("video"))


@pytest.fixture(scope="session")
def web_library(tmp_path_factory, fixture_set, request):
    """Catalogue + odd formats, plus the people video with one enrolled person when shared data exists."""
    from visearch.cli import main

    root = tmp_path_factory.mktemp("web") / "lib"
    paths = [str(fixture_set.catalog_dir), str(fixture_set.formats_dir)]
    enroll = None
    try:
        people_video = request.getfixturevalue("people_video")
        paths.append(str(people_video.video))
        enroll = people_video.enroll["deepface:Angelina"]
    except pytest.skip.Exception:
        pass
    assert main(["--library", str(root), "index", *paths, "--catalog", str(fixture_set.catalog_csv), "--clip", "tiny",
                 "--no-progress"]) == 0
    if enroll:
        assert main(["--library", str(root), "people", "enroll", "Angelina", *map(str, enroll)]) == 0
    return root


@pytest.fixture
def app(web_library, tmp_path):
    """The Flask app over a private copy of the web library, models loaded."""
    from visearch.web import create_app

    library = tmp_path / "lib"
    shutil.copytree(web_library, library)
    app = create_app({"LIBRARY": str(library), "TESTING": True})
    app.extensions["visearch"].load_models()
    yield app
    app.extensions["visearch"].close()


@pytest.fixture
def client(app):
    return app.test_client()


# -- store contracts: each backend's stores, fresh for each test

NO_SERVER = "no Elasticsearch server: set VISEARCH_ES_URL to run the ES half of the store contracts"


def es_settings_for_test():
    """Settings with a prefix of the test's own (credentials from VISEARCH_ES_*), or skip without a server."""
    import uuid

    from visearch.app.settings import Settings

    settings = Settings.from_env()
    if not settings.es_url:
        pytest.skip(NO_SERVER)
    return settings.es(prefix=f"visearch-test-{uuid.uuid4().hex[:8]}")


def drop_prefix(settings) -> None:
    from visearch.storage.elastic.indices import drop_indices
    from visearch.storage.elastic.session import connect

    client = connect(settings)
    drop_indices(client, settings.prefix)
    client.close()


@pytest.fixture(params=["sqlite", "elasticsearch"])
def backend(request, tmp_path):
    """A backend's document and face stores (ES: in a prefix dropped afterwards, with kNN vectors)."""
    if request.param == "sqlite":
        from visearch.storage.backends import open_sqlite

        stores = open_sqlite(tmp_path / "items.sqlite")
        yield stores
        stores.close()
        return
    from visearch.storage.backends import open_elasticsearch

    settings = es_settings_for_test()
    stores = open_elasticsearch(settings, knn=True)
    try:
        yield stores
    finally:
        stores.close()
        drop_prefix(settings)


@pytest.fixture
def store(backend):
    return backend.docs


@pytest.fixture
def faces(backend):
    return backend.faces


@pytest.fixture
def tags(backend):
    return backend.tags


def at_once(target, count: int) -> list[BaseException]:
    """Run `target` in `count` threads started together; the exceptions they raised."""
    import threading

    errors: list[BaseException] = []

    def run():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - returned for the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@contextlib.contextmanager
def chromium_on(library_copy: Path, config: dict | None = None, *, models: bool = False):
    """A page of Debian's Chromium on the app served by waitress over `library_copy`; the page errors it
    collected are checked empty on the way out. Skips without Chromium."""
    import threading

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is not installed (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright
    from waitress import create_server

    from visearch.web import create_app

    app = create_app({"LIBRARY": str(library_copy), **(config or {})})
    if models:
        app.extensions["visearch"].load_models()
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900}, base_url=f"http://127.0.0.1:"
                                                                                         f"{server.effective_port}")
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            browser.close()
            assert errors == []
    finally:
        server.close()
        app.extensions["visearch"].close()
