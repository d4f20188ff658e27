"""`visearch index` end to end: failures, incremental runs, renames, pruning, encoder guard."""
import json
import os
import shutil

import pytest

from visearch.cli import main


def run_json(capsys, *argv) -> dict:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def index(capsys, library, *paths, extra=()):
    return run_json(capsys, "--library", str(library), "index", *map(str, paths), "--clip", "tiny",
                    "--no-progress", "--json", *extra)


def test_every_bad_file_is_reported_and_every_good_one_searchable(indexed_library, fixture_set, capsys):
    failures = run_json(capsys, "--library", str(indexed_library), "errors", "--json")
    reasons = {os.path.basename(f["path"]): f["reason"] for f in failures}
    assert set(reasons) == set(fixture_set.bad)
    for name, word in fixture_set.bad.items():
        assert word in reasons[name], (name, reasons[name])
    stats = run_json(capsys, "--library", str(indexed_library), "stats", "--json")
    good = len(list(fixture_set.catalog_dir.iterdir())) + len(list(fixture_set.formats_dir.iterdir()))
    assert stats["items"] == stats["vectors"] == good
    assert stats["products"] == 8 and stats["encoder"] == "open_clip:tiny:seed0" and stats["backend"] == "sqlite"
    assert stats["text_lines"] > 2 * 10


def test_every_odd_format_is_found_by_its_own_pixels(indexed_library, fixture_set, capsys):
    formats = sorted(fixture_set.formats_dir.iterdir())
    assert len(formats) >= 5, formats  # PNG with alpha, CMYK, 16-bit, HEIC-less oddities…: an empty folder proves nothing
    for path in formats:
        result = run_json(capsys, "--library", str(indexed_library), "search", "--image", str(path), "--json",
                          "--ocr", "off", "-k", "20")
        paths = [r["path"] for r in result["results"]]
        assert str(path) in paths, path.name


def test_unchanged_reindex_is_a_no_op(library_copy, fixture_set, capsys):
    before = (library_copy / "vectors.faiss").stat().st_mtime_ns
    report = index(capsys, library_copy, fixture_set.catalog_dir, fixture_set.formats_dir)
    assert report["indexed"] == 0 and report["unchanged"] == 21 and report["failed"] == []
    assert (library_copy / "vectors.faiss").stat().st_mtime_ns == before  # nothing rewritten


def test_touched_file_is_rehashed_not_reindexed(library_copy, fixture_set, capsys, tmp_path):
    catalog = tmp_path / "catalog"
    shutil.copytree(fixture_set.catalog_dir, catalog)
    first = index(capsys, library_copy, catalog)
    assert first["indexed"] == 0 and first["copied"] == 10  # same bytes as the indexed catalogue: reused
    os.utime(catalog / "ket-315-front.jpg", ns=(1, 1))
    report = index(capsys, library_copy, catalog)
    assert report["unchanged"] == 10 and report["indexed"] == 0


def test_rename_keeps_vectors_change_reindexes_and_prune_removes(library_copy, fixture_set, capsys, tmp_path):
    folder = tmp_path / "shop"
    folder.mkdir()
    for name in ("ket-315-front.jpg", "lum-88-front.jpg", "cri-900-front.jpg"):
        shutil.copy(fixture_set.catalog_dir / name, folder / name)
    library = tmp_path / "own-lib"
    assert index(capsys, library, folder)["indexed"] == 3
    ids_before = {r["path"]: r["id"] for r in run_json(
        capsys, "--library", str(library), "search", "--text", "kettlo lumen crispo", "--json")["results"]}

    (folder / "ket-315-front.jpg").rename(folder / "kettle.jpg")
    shutil.copy(fixture_set.catalog_dir / "son-500-front.jpg", folder / "lum-88-front.jpg")  # content changed
    (folder / "cri-900-front.jpg").unlink()
    report = index(capsys, library, folder, extra=["--prune"])
    assert (report["moved"], report["indexed"], report["pruned"]) == (1, 1, 1)

    stats = run_json(capsys, "--library", str(library), "stats", "--json")
    assert stats["items"] == stats["vectors"] == 2
    hits = run_json(capsys, "--library", str(library), "search", "--text", "KT-315", "--json")["results"]
    assert hits[0]["path"] == str(folder / "kettle.jpg")
    assert hits[0]["id"] == ids_before[str(folder / "ket-315-front.jpg")]  # same item, vectors kept
    assert run_json(capsys, "--library", str(library), "search", "--text", "LX-88", "--json")["results"] == []
    assert run_json(capsys, "--library", str(library), "search", "--text", "crispo", "--json")["results"] == []


def test_a_file_that_turns_corrupt_loses_its_stale_item(fixture_set, capsys, tmp_path):
    photo = tmp_path / "p.jpg"
    shutil.copy(fixture_set.catalog_image("KET-315"), photo)
    library = tmp_path / "lib"
    index(capsys, library, photo)
    photo.write_bytes(photo.read_bytes()[:500])
    report = index(capsys, library, photo)
    assert report["failed"] and "truncated" in report["failed"][0]["reason"]
    assert run_json(capsys, "--library", str(library), "stats", "--json")["items"] == 0


def test_strict_makes_failures_an_error(fixture_set, tmp_path, capsys):
    args = ["--library", str(tmp_path / "lib"), "index", str(fixture_set.bad_dir / "empty.jpg"), "--clip", "tiny",
            "--no-progress"]
    assert main(args) == 0
    assert main(args + ["--strict"]) == 1
    assert "empty.jpg: empty file" in capsys.readouterr().out


def test_mixing_encoders_is_refused(library_copy, fixture_set, capsys):
    code = main(["--library", str(library_copy), "index", str(fixture_set.catalog_dir), "--clip", "ViT-B-32:random"])
    assert code == 2
    error = capsys.readouterr().err
    assert "open_clip:tiny:seed0" in error and "cannot be mixed" in error


def test_missing_weights_is_one_clear_error(tmp_path, fixture_set, capsys, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    code = main(["--library", str(tmp_path / "lib"), "index", str(fixture_set.catalog_dir)])
    assert code == 2
    error = capsys.readouterr().err
    assert "CLIP weights for ViT-B-32:laion2b_s34b_b79k" in error and "Traceback" not in error
    assert not (tmp_path / "lib" / "vectors.faiss").exists()


def test_interrupted_run_keeps_finished_items_and_resumes(fixture_set, tmp_path, capsys, monkeypatch):
    """A crash between committing documents and saving vectors is repaired on the next run."""
    from visearch.storage.vectors.faiss_store import FaissVectorStore

    library = tmp_path / "lib"
    monkeypatch.setattr(FaissVectorStore, "save", lambda self: (_ for _ in ()).throw(OSError("power cut")))
    assert main(["--library", str(library), "index", str(fixture_set.catalog_dir), "--clip", "tiny",
                 "--no-progress", "--ocr", "off"]) == 2
    monkeypatch.undo()
    report = index(capsys, library, fixture_set.catalog_dir, extra=["--ocr", "off"])
    assert report["indexed"] == 10
    stats = run_json(capsys, "--library", str(library), "stats", "--json")
    assert stats["items"] == stats["vectors"] == 10


def test_search_needs_a_library(tmp_path, capsys):
    assert main(["--library", str(tmp_path / "none"), "search", "--text", "x"]) == 2
    assert "no visearch library" in capsys.readouterr().err


@pytest.mark.parametrize("box", ["1,2,3", "5,5,1,1", "a,b,c,d"])
def test_malformed_box_is_a_usage_error(indexed_library, fixture_set, capsys, box):
    code = main(["--library", str(indexed_library), "search", "--image", str(fixture_set.photos[0]), "--box", box])
    assert code == 2 and "--box" in capsys.readouterr().err


def test_demo_runs_offline_and_says_so(tmp_path, capsys):
    from visearch.demo.generate import PRODUCTS
    from visearch.demo.korean import korean_fonts
    from tests.conftest import SHARED_DATA

    code = main(["--library", str(tmp_path / "lib"), "demo", "--out", str(tmp_path / "out"), "--no-serve"])
    out = capsys.readouterr().out
    assert code == 0
    assert "continuing with the small offline 'tiny' model" in out and "searching photos by a description is off" in out
    assert "[AUR-2040] AURA Air purifier" in out
    shopped = out.split("$ visearch search --frame")[1]  # the demo's shop video: a held product, found exactly
    assert shopped.splitlines()[1].startswith("exact") and f"[{PRODUCTS[1].sku}]" in shopped.splitlines()[2]
    stats = run_json(capsys, "--library", str(tmp_path / "lib"), "stats", "--json")
    assert stats["products"] == 8 + (3 if korean_fonts() else 0)  # the Korean products need a Korean font
    assert stats["videos"] == 1 + (1 if SHARED_DATA.is_dir() else 0)  # the shop video, and the people video


def test_a_closed_pipe_ends_the_command_quietly():
    """`visearch … | head`: the reader leaving early is no error of ours, and says nothing on stderr."""
    import signal
    import subprocess
    import sys

    run = subprocess.Popen([sys.executable, "-m", "visearch", "models", "list"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    run.stdout.close()  # before the command writes its first line
    _, err = run.communicate(timeout=60)
    assert run.returncode == 128 + signal.SIGPIPE and err == b"", err
