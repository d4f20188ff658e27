"""Reading an indexed library's text again with another OCR (`visearch index --reocr`), and nothing else.

A library indexed before Tesseract's Korean data was installed has its Hangul unread; its vectors, faces
and keypoints are fine. Each item records the OCR that read it (`ItemDoc.ocr_engine`), so only the items
another engine read are opened again: photos from their files, video frames decoded at their times in one
pass over each video. A file that is gone or unreadable is counted, never fatal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from visearch.indexer.errors import MediaError
from visearch.indexer.images import open_image
from visearch.indexer.text_spans import FrameText, build_spans, sampling_interval
from visearch.indexer.video_pipeline import VideoConfig
from visearch.storage.codec import chunks
from visearch.storage.documents import ItemDoc

CHUNK = 256


@dataclass
class ReocrReport:
    images: int = 0  # photos read again
    frames: int = 0  # video frames read again
    unchanged: int = 0  # already read by this OCR
    unreadable: list[str] = field(default_factory=list)  # files that could not be opened (path: reason)
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"images": self.images, "frames": self.frames, "unchanged": self.unchanged,
                "unreadable": self.unreadable, "notices": self.notices}


def stale(doc: ItemDoc, engine: str, everything: bool) -> bool:
    """Whether an item's text is to be read again: read by another engine (a frame: if it was read at all). Pure."""
    if doc.kind == "frame" and not doc.ocr_engine:
        return False
    return everything or doc.ocr_engine != engine


def read_again(library, ocr, *, everything: bool = False, progress: Callable[[int], None] | None = None
               ) -> ReocrReport:
    """Read the text of the items `ocr` did not read (all of them with `everything`); writes as it goes."""
    report = ReocrReport()
    frames: dict[int, list[ItemDoc]] = {}
    for chunk in chunks(library.docs.item_ids(), CHUNK):
        docs = library.docs.get(chunk)
        todo = [doc for doc in docs.values() if stale(doc, ocr.identity, everything)]
        report.unchanged += len(docs) - len(todo)
        images = []
        for doc in todo:
            if doc.kind == "frame":
                frames.setdefault(doc.video_id, []).append(doc)
            elif _read_photo(doc, ocr, report):
                images.append(doc)
        library.docs.upsert(images)
        report.images += len(images)
        if progress:
            progress(len(images))
    frame_ocr = ocr.with_detect_side(VideoConfig().ocr_detect_side)  # as the video pipeline reads frames
    for video_id, docs in frames.items():
        report.frames += _read_frames(library, video_id, docs, frame_ocr, report)
        if progress:
            progress(len(docs))
    library.docs.commit()
    return report


def _read_photo(doc: ItemDoc, ocr, report: ReocrReport) -> bool:
    try:
        doc.ocr = ocr.read(open_image(Path(doc.path)))
    except MediaError as exc:
        report.unreadable.append(f"{doc.path}: {exc.reason}")
        return False
    doc.ocr_engine = ocr.identity
    return True


def _read_frames(library, video_id: int, docs: list[ItemDoc], ocr, report: ReocrReport) -> int:
    """The frames' text, each frame decoded at its time in one pass over the video."""
    from visearch.indexer.video import frame_time, open_video, time_origin

    video = library.docs.get_videos([video_id]).get(video_id)
    wanted = sorted(docs, key=lambda doc: doc.time or 0.0)
    if video is None or not wanted:
        return 0
    try:
        container, stream = open_video(Path(video.path))
    except MediaError as exc:
        report.unreadable.append(f"{video.path}: {exc.reason}")
        return 0
    done = []
    with container:
        origin, fps = time_origin(container), float(stream.average_rate or 25)
        for index, frame in enumerate(container.decode(stream)):
            if not wanted:
                break
            if frame_time(frame, stream, origin, index / fps) + 0.5 / fps >= (wanted[0].time or 0.0):
                doc = wanted.pop(0)
                image = frame.to_image()
                doc.ocr = ocr.read(image.rotate(video.rotation, expand=True) if video.rotation else image)
                doc.ocr_engine = ocr.identity
                done.append(doc)
    library.docs.upsert(done)
    _respan(library, video)
    return len(done)


def _respan(library, video) -> None:
    """The video's text spans again from its frames' new reads (each read frame now read whole); frames that
    were not read show what the spans carry to them, as at indexing."""
    frames = [doc for doc in library.docs.frames_of(video.id) if doc.time is not None]
    shots = video.shots or [(0.0, video.duration)]
    texts = [FrameText(doc.time, doc.shot or 0, tuple(shots[doc.shot]) if doc.shot is not None and doc.shot < len(shots)
                       else (0.0, video.duration), list(doc.ocr) if doc.ocr_engine else [], whole=bool(doc.ocr_engine))
             for doc in frames]
    video.text_spans, shown = build_spans(texts, sampling_interval([doc.time for doc in frames]))
    carried = []
    for doc, lines in zip(frames, shown):
        if not doc.ocr_engine and doc.ocr != lines:
            doc.ocr = list(lines)
            carried.append(doc)
    library.docs.upsert(carried)
    library.docs.upsert_video(video)
