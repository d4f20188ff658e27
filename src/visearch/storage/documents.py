"""Document store interface: everything about an item except its vector.

The embedded SQLite store and the Elasticsearch store both implement
`DocumentStore`; one contract test suite runs against each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol, Sequence

from visearch.indexer.records import Failure, OcrLine, Product
from visearch.indexer.text_spans import TextSpan
from visearch.storage.browse import BrowsePage, BrowseQuery


@dataclass(slots=True)
class ItemDoc:
    """One searchable item: an image now, a video frame later."""

    path: str
    sha256: str
    kind: str = "image"
    size: int = 0
    mtime_ns: int = 0
    format: str = ""
    width: int = 0
    height: int = 0
    source: str = ""  # the folder it was found in, for browsing by source
    thumbnail: str = ""  # relative to the library folder
    ocr: list[OcrLine] = field(default_factory=list)
    added_at: float = 0.0
    id: int | None = None
    # Video frames only: which video, when, in which shot, and whether it is the shot's keyframe.
    video_id: int | None = None
    time: float | None = None
    shot: int | None = None
    keyframe: bool = False
    ocr_engine: str = ""  # the OCR that read its text ("" for frames not read): what `index --reocr` reads again
    taken: str = ""  # when the photo or video was taken, ISO 8601 (indexer/taken.py); "" unknown: the file's date

    @property
    def ocr_text(self) -> str:
        return "\n".join(line.text for line in self.ocr)


@dataclass(slots=True)
class VideoDoc:
    path: str
    sha256: str
    size: int = 0
    mtime_ns: int = 0
    format: str = ""
    duration: float = 0.0
    fps: float = 0.0
    width: int = 0
    height: int = 0
    codec: str = ""
    rotation: int = 0
    error: str = ""
    source: str = ""
    shots: list[tuple[float, float]] = field(default_factory=list)
    added_at: float = 0.0
    id: int | None = None
    text_spans: list[TextSpan] = field(default_factory=list)  # each string on screen, when: moments read these
    taken: str = ""  # the container's creation time, ISO 8601; "" unknown


@dataclass(frozen=True, slots=True)
class FileState:
    """What incremental indexing compares against a file on disk."""

    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str
    kind: str = "image"  # "image": id is an item id; "video": id is a video id


@dataclass(frozen=True, slots=True)
class TextHit:
    id: int
    score: float  # higher is better; comparable only within one query
    terms: tuple[str, ...]  # the query terms this item's text contains


class ItemStore(Protocol):
    """Images and video frames: their documents, file states and text."""

    def upsert(self, items: Sequence[ItemDoc]) -> list[int]:
        """Insert items (id None) or replace them (id set); returns their ids."""

    def get(self, ids: Sequence[int]) -> dict[int, ItemDoc]: ...

    def delete(self, ids: Sequence[int]) -> None: ...

    def item_ids(self, video_id: int | None = None) -> list[int]:
        """Every item id, or the frames of one video."""

    def file_states(self) -> Iterator[FileState]: ...

    def find_by_sha256(self, sha256: str) -> list[ItemDoc]: ...

    def update_file(self, item_id: int, path: str, size: int, mtime_ns: int, source: str) -> None:
        """Record a move or a touch without re-extracting anything."""

    def ocr_engines(self) -> dict[str, int]:
        """How many items each OCR engine read (the engine "" for frames not read): who `--reocr` reads again."""


class TextSearch(Protocol):
    """Finding items by the words they show (OCR and catalogue text), and browsing them by filters."""

    def text_search(self, terms: Sequence[str], limit: int) -> list[TextHit]:
        """Items whose OCR or catalogue text contains the compact terms, best first (ties: the engine's
        relevance order, the same in every backend). Terms of any length: 서울우유, 우유 and 컵 alike."""

    def initials_search(self, letters: str, limit: int) -> list[TextHit]:
        """Items whose Hangul text has syllables starting with these consonants in a row (ㅅㅇㅇㅇ: 서울우유)."""

    def near_search(self, terms: Sequence[str], limit: int) -> list[TextHit]:
        """Items showing a Hangul term with one syllable off by one jamo (an OCR slip), scored below exact."""

    def browse(self, query: "BrowseQuery") -> "BrowsePage":
        """A page of item ids matching the filters, plus the values the filters can take."""


class VideoStore(Protocol):
    """Videos and their shots (their frames are items with `video_id`)."""

    def upsert_video(self, video: VideoDoc) -> int:
        """Insert or replace a video row and its shots."""

    def get_videos(self, ids: Sequence[int]) -> dict[int, VideoDoc]: ...

    def delete_video(self, video_id: int) -> list[int]:
        """Delete a video with its frames, faces and tracks; returns the frame item ids."""

    def frames_of(self, video_id: int) -> list[ItemDoc]: ...

    def update_video_file(self, video_id: int, path: str, size: int, mtime_ns: int, source: str) -> None: ...


class CatalogueStore(Protocol):
    """Products and the images that show them."""

    def upsert_products(self, products: Sequence[Product]) -> None: ...

    def products_for(self, ids: Sequence[int]) -> dict[int, Product]: ...

    def products(self) -> list[Product]:
        """The whole catalogue, with each product's image paths (for migration)."""


class FailureStore(Protocol):
    """Files that could not be indexed, and why."""

    def record_failures(self, failures: Sequence[Failure]) -> None: ...

    def clear_failures(self, paths: Sequence[str]) -> None: ...

    def failures(self) -> list[Failure]: ...


class DocumentStore(ItemStore, TextSearch, VideoStore, CatalogueStore, FailureStore, Protocol):
    """Everything about items but their vectors: the five roles, plus the store's own life. A new backend
    can be written and tested one role at a time (tests/test_document_store.py runs each)."""

    backend: str

    def counts(self) -> dict[str, int]: ...

    def reserve_ids(self, sequence: str, at_least: int) -> None:
        """Make later new ids of `sequence` ("items", "videos") exceed `at_least`, after a copy kept ids."""

    def commit(self) -> None: ...

    def close(self) -> None: ...
