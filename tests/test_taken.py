"""When media was taken: EXIF and container dates (pure), and the index keeping them where the file's own date
says only when it was copied."""
import io
import os

import numpy as np
import pytest
from PIL import Image

from visearch.indexer.taken import exif_time, photo_taken, video_time
from visearch.people.presence import seen_day

COPIED = 1_765_000_000  # 2025-12-06: the day the library was copied to this laptop


@pytest.mark.parametrize("text, iso", [
    ("2024:05:01 14:03:22", "2024-05-01T14:03:22"),
    ("2024:05:01 14:03:22\x00", "2024-05-01T14:03:22"),  # C strings from some cameras
    ("2024-05-01T14:03:22.000000Z", "2024-05-01T14:03:22"),  # what apps and muxers write
    ("2024:05:01", "2024-05-01T00:00:00"),
    ("0000:00:00 00:00:00", ""),  # a clock never set
    ("    :  :     :  :  ", ""),
    ("2024:13:01 10:00:00", ""),
    ("", ""), (None, ""), (b"2024:05:01 14:03:22", ""),
])
def test_exif_dates_read_as_iso_or_unknown(text, iso):
    assert exif_time(text) == iso


def test_a_videos_creation_time_and_quicktimes_local_date_first():
    assert video_time({"creation_time": "2019-03-02T10:11:12.000000Z"}) == "2019-03-02T10:11:12"
    assert video_time({"creation_time": "2019-03-02T10:11:12Z",
                       "com.apple.quicktime.creationdate": "2019-03-02T19:11:12+0900"}) == "2019-03-02T19:11:12"
    assert video_time({"creation_time": "1970-01-01T00:00:00.000000Z"}) == ""  # muxers that write 0
    assert video_time({"encoder": "Lavf62"}) == ""


def jpeg(taken: str | None, *, tag: int = 0x9003) -> bytes:
    exif = Image.Exif()
    if taken and tag == 0x0132:
        exif[tag] = taken
    elif taken:
        exif.get_ifd(0x8769)[tag] = taken
    out = io.BytesIO()
    Image.fromarray(np.random.default_rng(len(taken or "")).integers(0, 255, (96, 128, 3), np.uint8)).save(
        out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photos_taken_date_from_any_of_the_three_exif_fields():
    assert photo_taken(jpeg("2021:07:04 09:08:07")) == "2021-07-04T09:08:07"
    assert photo_taken(jpeg("2021:07:04 09:08:07", tag=0x9004)) == "2021-07-04T09:08:07"
    assert photo_taken(jpeg("2020:01:01 00:00:01", tag=0x0132)) == "2020-01-01T00:00:01"
    assert photo_taken(jpeg(None)) == ""
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    assert photo_taken(png.getvalue()) == "" and photo_taken(b"not a picture") == ""


def test_the_day_seen_is_when_taken_else_the_files_date_said_so():
    assert seen_day("2021-07-04T09:08:07", COPIED * 10**9) == ("2021-07-04", False)
    assert seen_day("", COPIED * 10**9) == ("2025-12-06", True)


def test_the_index_keeps_when_photos_and_videos_were_taken(tmp_path):
    av = pytest.importorskip("av")
    from visearch.cli import main
    from visearch.storage.library import Library

    folder = tmp_path / "copied"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(jpeg("2021:07:04 09:08:07"))
    (folder / "scan.jpg").write_bytes(jpeg(None))
    container = av.open(str(folder / "clip.mp4"), "w")
    container.metadata["creation_time"] = "2020-01-02T03:04:05.000000Z"
    stream = container.add_stream("mpeg4", rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    for i in range(20):
        for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 10, np.uint8), "rgb24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    for path in folder.iterdir():
        os.utime(path, (COPIED, COPIED))
    assert main(["--library", str(tmp_path / "lib"), "index", str(folder), "--clip", "tiny", "--ocr", "off",
                 "--faces", "off", "--no-progress"]) == 0
    with Library.open(tmp_path / "lib", read_only=True) as library:
        docs = library.docs.get(list(range(1, 40)))
        taken = {os.path.basename(doc.path): doc.taken for doc in docs.values() if doc.kind == "image"}
        frames = {doc.taken for doc in docs.values() if doc.kind == "frame"}
        videos = library.docs.get_videos({doc.video_id for doc in docs.values() if doc.video_id})
    assert taken == {"holiday.jpg": "2021-07-04T09:08:07", "scan.jpg": ""}
    assert frames == {"2020-01-02T03:04:05"} and [v.taken for v in videos.values()] == ["2020-01-02T03:04:05"]


def test_a_library_from_before_opens_to_read_and_is_upgraded(tmp_path):
    """`visearch search` on a library indexed by the previous version: the new columns are added first."""
    import sqlite3

    from visearch.cli import main
    from visearch.storage.library import Library
    from visearch.storage.sqlite.schema import SCHEMA_VERSION

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(jpeg("2021:07:04 09:08:07"))
    assert main(["--library", str(tmp_path / "lib"), "index", str(folder), "--clip", "tiny", "--ocr", "off",
                 "--faces", "off", "--no-progress"]) == 0
    with sqlite3.connect(tmp_path / "lib" / "items.sqlite") as older:  # as version 7 left it
        older.executescript(f"ALTER TABLE items DROP COLUMN taken; ALTER TABLE videos DROP COLUMN taken; "
                            f"PRAGMA user_version = {SCHEMA_VERSION - 1};")
    with Library.open(tmp_path / "lib", read_only=True) as library:
        [doc] = library.docs.get([1]).values()
    assert doc.taken == ""  # indexed before dates were kept: unknown, and the pages fall back to the file's date
