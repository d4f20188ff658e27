"""Two processes on one library, a server reopening under load, and `kill -9` mid-run.

Each test drives the real `visearch` command in fresh processes, the way users meet it.
"""
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from visearch.demo.generate import random_photos

ROOT = Path(__file__).resolve().parents[1]


def visearch(*args, cwd=None, env=None) -> subprocess.Popen:
    """A fresh `visearch` process, as a user starts it."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", VISEARCH_TORCH_THREADS="1", **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "visearch", *args], cwd=cwd or ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def index_args(library: Path, folder: Path, *extra: str) -> list[str]:
    return ["--library", str(library), "index", str(folder), "--clip", "tiny", "--ocr", "off", "--faces", "off",
            "--no-progress", "--batch-size", "8", *extra]


def library_state(library: Path) -> tuple[int, int, int]:
    from visearch.storage.library import Library

    with Library.open(library, read_only=True) as opened:
        return opened.completeness()


def test_a_second_writer_is_refused_with_the_holder_named(tmp_path):
    folder = random_photos(tmp_path / "a", 60)
    library = tmp_path / "lib"
    first = visearch(*index_args(library, folder))
    deadline = time.time() + 60
    while not (library / "writer.lock").exists() or not (library / "writer.lock").read_text():
        assert time.time() < deadline and first.poll() is None
        time.sleep(0.05)
    second = visearch(*index_args(library, random_photos(tmp_path / "b", 5, seed=1)))
    _, err = second.communicate(timeout=120)
    assert second.returncode == 2 and "another visearch process" in err and "pid" in err
    assert first.wait(timeout=300) == 0
    assert library_state(library) == (60, 60, 60)


def test_a_waiting_writer_runs_after_the_first(tmp_path):
    library = tmp_path / "lib"
    first = visearch(*index_args(library, random_photos(tmp_path / "a", 40)))
    time.sleep(1.5)
    second = visearch(*index_args(library, random_photos(tmp_path / "b", 20, seed=1), "--wait", "300"))
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0
    assert library_state(library) == (60, 60, 60)


def _kill_after(process: subprocess.Popen, seconds: float) -> None:
    time.sleep(seconds)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume_matches_an_uninterrupted_run(tmp_path):
    folder = random_photos(tmp_path / "photos", 80)
    library = tmp_path / "lib"
    rng = random.Random(5)
    for _ in range(3):
        run = visearch(*index_args(library, folder))
        _kill_after(run, rng.uniform(2.0, 8.0))
        run.wait(timeout=300)
        docs, complete, features = library_state(library) if (library / "manifest.json").exists() else (0, 0, 0)
        assert docs == complete == features, "a document without its vector or keypoints after kill -9"
    assert visearch(*index_args(library, folder)).wait(timeout=300) == 0
    assert library_state(library) == (80, 80, 80)


def test_a_late_kill_keeps_the_checkpointed_work(tmp_path):
    """Vectors reach disk with the documents: a run killed after a checkpoint is not redone."""
    folder = random_photos(tmp_path / "photos", 120)
    library = tmp_path / "lib"
    run = visearch(*index_args(library, folder), env={"VISEARCH_CHECKPOINT_ITEMS": "32"})
    deadline = time.time() + 400
    while time.time() < deadline and run.poll() is None:
        ready = all((library / name).exists() for name in ("manifest.json", "items.sqlite"))
        if ready and library_state(library)[1] >= 64:
            break
        time.sleep(0.3)
    assert run.poll() is None, run.communicate()[1]  # still running: the kill comes late, not after the end
    run.send_signal(signal.SIGKILL)
    run.wait()
    docs, complete, features = library_state(library)
    assert docs == complete == features and complete >= 64
    resumed = visearch(*index_args(library, folder, "--json"))
    out, _ = resumed.communicate(timeout=300)
    import json

    report = json.loads(out)
    assert report["unchanged"] == complete and report["indexed"] == 120 - complete
    assert library_state(library) == (120, 120, 120)


def test_deleted_keypoints_are_rebuilt(tmp_path, indexed_library):
    import shutil

    library = tmp_path / "lib"
    shutil.copytree(indexed_library, library)
    shutil.rmtree(library / "features")
    from visearch.storage.library import Library

    with Library.open(library, read_only=True) as opened:
        paths = sorted({opened.docs.get([i])[i].source for i in opened.docs.item_ids()})
    run = visearch("--library", str(library), "index", *paths, "--clip", "tiny", "--ocr", "off", "--no-progress")
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    docs, _, features = library_state(library)
    assert features == docs


def test_reopen_while_requests_run_never_closes_a_handle_in_use(web_library, tmp_path):
    """An indexer changing the manifest makes the server reopen; in-flight requests finish on their handle."""
    import shutil

    from visearch.web import create_app

    library = tmp_path / "lib"
    shutil.copytree(web_library, library)
    app = create_app({"LIBRARY": str(library), "TESTING": True, "OCR": "off"})
    app.extensions["visearch"].load_models()
    errors, done = [], threading.Event()

    def hammer():
        client = app.test_client()
        while not done.is_set():
            for url in ("/api/browse?per_page=50", "/api/items/1", "/browse", "/api/people"):
                response = client.get(url)
                if response.status_code != 200:
                    errors.append((url, response.status_code, response.data[:200]))
            response = client.post("/api/search", json={"text": "kettle"})
            if response.status_code != 200:
                errors.append(("search", response.status_code, response.data[:200]))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    manifest = library / "manifest.json"
    for _ in range(40):  # what an indexer's checkpoints do: a new manifest, over and over
        os.utime(manifest, ns=(time.time_ns(), time.time_ns()))
        time.sleep(0.05)
    done.set()
    for thread in threads:
        thread.join()
    app.extensions["visearch"].close()
    assert not errors, errors[:3]
