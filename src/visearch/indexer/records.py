"""The records the indexer produces. Plain dataclasses: stores decide how to persist them."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from visearch.text.normalise import compact

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line of text read from an image, with where it was and how sure the reader was."""

    text: str
    box: tuple[Point, Point, Point, Point]
    confidence: float

    @property
    def compact(self) -> str:
        return compact(self.text)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Axis-aligned (x0, y0, x1, y1) of the polygon."""
        xs = [p[0] for p in self.box]
        ys = [p[1] for p in self.box]
        return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file on disk as the indexer saw it; size and mtime drive incremental re-indexing."""

    path: Path
    size: int
    mtime_ns: int
    sha256: str | None = None

    @classmethod
    def from_path(cls, path: Path) -> "SourceFile":
        stat = path.stat()
        return cls(path=path, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


@dataclass(slots=True)
class ImageRecord:
    """Everything extracted from one image, ready to be written to the stores."""

    source: SourceFile
    format: str
    width: int
    height: int
    embedding: np.ndarray | None = None
    ocr: list[OcrLine] = field(default_factory=list)
    thumbnail: bytes | None = None
    faces: list["Face"] = field(default_factory=list)
    features: object | None = None  # LocalFeatures, for exact-product verification
    taken: str = ""  # when it was taken, from its EXIF (indexer/taken.py); "" unknown

    @property
    def ocr_text(self) -> str:
        return "\n".join(line.text for line in self.ocr)


@dataclass(frozen=True, slots=True)
class Failure:
    """A file that could not be indexed, and why, in words a user can act on."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class Product:
    """A catalogue row: one SKU, possibly shown in several images."""

    sku: str
    title: str = ""
    brand: str = ""
    price: float | None = None
    currency: str = ""
    url: str = ""
    category: str = ""
    images: tuple[Path, ...] = ()
    aliases: tuple[str, ...] = ()  # other names it is searched by (서울우유 = Seoul Milk)
    # the catalogue's other columns (a description, the ingredients, the text printed on the pack), in the
    # catalogue's order: searchable, and the words the lens reads on a photo are matched against them
    details: tuple[tuple[str, str], ...] = ()
    views: tuple[tuple[str, str], ...] = ()  # (image path, which side of the pack it shows: "front", "back"…)

    def view_of(self, path: str) -> str:
        """The side of the pack one of its images shows, as the catalogue names it ("" when it does not)."""
        return dict(self.views).get(str(path), "")

    def text(self) -> list[str]:
        """Everything written about the product that a search may match, one value per entry."""
        return [value for value in (self.sku, self.title, self.brand, self.category, *self.aliases,
                                    *(value for _, value in self.details)) if value]


@dataclass(slots=True)
class Face:
    """One detected face: where, how sure, how usable, and who it looks like (the embedding)."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the image's pixels
    score: float  # detector confidence
    size: float  # the box's shorter side in pixels
    sharpness: float  # variance of the Laplacian on the face crop: low means blurred
    embedding: np.ndarray  # identity vector; its metric belongs to the backend
    usable: bool = True  # big and sharp enough to seed a person cluster
    track: int | None = None  # index of its track within a video, when it has one
    signature: np.ndarray | None = None  # a 32-px aligned grey chip, unit norm: a cheap "still looks the same"
    reused: int = 0  # video: samples since this identity vector was computed (0: computed for this face)


@dataclass(frozen=True, slots=True)
class Shot:
    index: int
    start: float
    end: float


@dataclass(slots=True)
class FrameRecord:
    """A sampled video frame: searchable like an image, placed in time."""

    time: float
    shot: int
    keyframe: bool  # the first sample of its shot
    width: int
    height: int
    embedding: np.ndarray | None = None
    ocr: list[OcrLine] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    thumbnail: bytes | None = None
    until: float | None = None  # later samples that were near-duplicates of this one reach here
    features: object | None = None  # LocalFeatures: finds a logo or graphic in the frame (moments)
    text_read: bool = False  # OCR looked at this frame (its `ocr` may still be empty)
    text_plan: object | None = None  # where its text is read (indexer/video_text.py): all, some regions, none

    @property
    def last_seen(self) -> float:
        return self.time if self.until is None else self.until


@dataclass(slots=True)
class Track:
    """One face followed across consecutive samples of a shot: a continuous on-screen span."""

    shot: int
    start: float
    end: float
    faces: list[tuple[int, int]]  # (frame index, face index) pairs
    embedding: np.ndarray  # mean of its faces' embeddings, steadier than any one frame
    usable: bool = True


@dataclass(slots=True)
class VideoRecord:
    """A video with its shots, sampled frames and face tracks."""

    source: SourceFile
    format: str
    duration: float
    fps: float
    width: int
    height: int
    codec: str
    rotation: int = 0
    shots: list[Shot] = field(default_factory=list)
    frames: list[FrameRecord] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    error: str = ""  # damage found while decoding; the frames before it are kept
    damaged: int = 0  # packets that would not decode and were skipped; the frames around them are kept
    text_spans: list = field(default_factory=list)  # TextSpan (indexer/text_spans.py): each string on screen, when
    taken: str = ""  # the container's creation time (indexer/taken.py); "" unknown
