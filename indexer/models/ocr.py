"""OCR behind one interface: PP-OCRv4 through rapidocr-onnxruntime by default, PaddleOCR optionally.

Text of any size should come back: a tight word crop has no margin for the
detector, so small images are padded (and detection falls back to
recognition-only when it still finds nothing); large images are read whole.
"""
from __future__ import annotations

import copy
from abc import abstractmethod
from pathlib import Path

import numpy as np

from indexer.errors import ModelUnavailableError, UnknownModelError
from indexer.models.base import InferenceModel
from indexer.records import OcrLine
from indexer.text import normalise

MIN_CONFIDENCE = 0.5
# An image this small, or this thin, is treated as a crop around a word or a line.
SMALL_SIDE = 200
THIN_SIDE = 128
# A whole-crop reading this sure is kept without running the detector.
CONFIDENT_LINE = 0.85
# Longer than this many times its width, an image is read in overlapping tiles: PP-OCR's
# recogniser cannot resize a 10000×10 strip (ResizeImgError), and nor can its detector.
MAX_ASPECT = 100
TILE_ASPECT = 25
MAX_TILES = 32


class OcrModel(InferenceModel):
    """Reads text lines with boxes and confidences from an RGB image."""

    kind = "ocr"
    name = ""

    def __init__(self, *, min_confidence: float = MIN_CONFIDENCE, threads: int = 0, detect_side: int = 736) -> None:
        super().__init__()
        self.min_confidence = min_confidence
        self.threads = threads
        self.detect_side = detect_side  # the detector sees the image with its short side at least this
        self.detect_limit = "min"

    def with_detect_side(self, side: int) -> "OcrModel":
        """A sibling whose detector sees images at most `side` px long (video frames: big captions,
        tight time budget), where the default enlarges them to at least 736 px short side."""
        sibling = copy.copy(self)
        InferenceModel.__init__(sibling)
        sibling.detect_side = side
        sibling.detect_limit = "max"
        return sibling

    @property
    def identity(self) -> str:
        return self.name

    def read(self, image) -> list[OcrLine]:
        """Lines in reading order, boxes in the input image's pixel coordinates."""
        self.load()
        pixels = np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)
        height, width = pixels.shape[:2]
        if max(height, width) > MAX_ASPECT * max(1, min(height, width)):
            lines = self._read_tiles(pixels)
        elif max(height, width) >= SMALL_SIDE and min(height, width) >= THIN_SIDE:
            lines = self._detect_and_read(pixels)
        else:
            lines = self._read_small(pixels)
        return [line for line in lines if line.text and line.confidence >= self.min_confidence]

    def _read_tiles(self, pixels: np.ndarray) -> list[OcrLine]:
        """An extreme strip, recognised as overlapping tiles along its long side, each tile one line
        (a strip this thin holds at most one line across; vertical strips are turned to read)."""
        height, width = pixels.shape[:2]
        across = max(1, min(height, width))
        lines = []
        for start, stop in tile_spans(max(height, width), across * TILE_ASPECT, across, MAX_TILES):
            if width >= height:
                tile, box = pixels[:, start:stop], ((start, 0), (stop, 0), (stop, height), (start, height))
            else:
                tile, box = np.rot90(pixels[start:stop], -1), ((0, start), (width, start), (width, stop), (0, stop))
            box = tuple((float(x), float(y)) for x, y in box)
            lines += [OcrLine(text, box, score) for text, score in self._recognise(np.ascontiguousarray(tile))]
        return lines

    def _read_small(self, pixels: np.ndarray) -> list[OcrLine]:
        """A crop around a word or line: recognise it whole when that is confident (fast),
        else pad it so the detector sees margins, and fall back to the whole-crop reading."""
        height, width = pixels.shape[:2]
        whole = ((0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height)))
        single_line = width >= 1.5 * height
        guesses = self._recognise(pixels) if single_line else []
        if guesses and all(score >= CONFIDENT_LINE for _, score in guesses):
            return [OcrLine(text, whole, score) for text, score in guesses]
        pad = max(16, height // 2)
        fill = np.median(np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]]), axis=0)
        padded = np.empty((height + 2 * pad, width + 2 * pad, 3), np.uint8)
        padded[:] = fill.astype(np.uint8)
        padded[pad : pad + height, pad : pad + width] = pixels
        lines = [_shift(line, -pad, -pad, width, height) for line in self._detect_and_read(padded)]
        if lines:
            return lines
        guesses = guesses or self._recognise(pixels)
        return [OcrLine(text, whole, score) for text, score in guesses]

    @abstractmethod
    def _detect_and_read(self, pixels: np.ndarray) -> list[OcrLine]: ...

    @abstractmethod
    def _recognise(self, pixels: np.ndarray) -> list[tuple[str, float]]:
        """Recognition only: the whole image is one line."""


def tile_spans(length: int, tile: int, overlap: int, limit: int) -> list[tuple[int, int]]:
    """[start, stop) spans of at most `tile` covering `length`, overlapping by `overlap`; at most
    `limit` of them, evenly spread (a strip longer than that is read in part, never crashed on). Pure."""
    tile = max(1, min(tile, length))
    step = max(1, tile - overlap)
    starts = list(range(0, max(1, length - tile) + 1, step))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    if len(starts) > limit:
        starts = [starts[round(i * (len(starts) - 1) / (limit - 1))] for i in range(limit)] if limit > 1 else starts[:1]
    return [(s, s + tile) for s in starts]


def _shift(line: OcrLine, dx: float, dy: float, width: int, height: int) -> OcrLine:
    box = tuple(
        (min(max(x + dx, 0.0), float(width)), min(max(y + dy, 0.0), float(height))) for x, y in line.box
    )
    return OcrLine(line.text, box, line.confidence)  # type: ignore[arg-type]


def _polygon(points) -> tuple:
    return tuple((float(x), float(y)) for x, y in np.asarray(points, dtype=np.float64).reshape(4, 2))


class RapidOcr(OcrModel):
    """PaddleOCR's PP-OCRv4 det/cls/rec models, run by onnxruntime; the weights ship in the wheel."""

    name = "rapidocr"

    def _load(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise ModelUnavailableError(f"rapidocr-onnxruntime is not installed: {exc}") from exc
        threads = self.threads if self.threads > 0 else -1
        self._engine = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1 if threads > 0 else -1,
            text_score=self.min_confidence,
            det_limit_side_len=self.detect_side,
            det_limit_type=self.detect_limit,
        )

    def _close(self) -> None:
        self._engine = None

    def _detect_and_read(self, pixels: np.ndarray) -> list[OcrLine]:
        result, _ = self._engine(np.ascontiguousarray(pixels[:, :, ::-1]))  # PP-OCR expects BGR
        return [OcrLine(normalise(text), _polygon(box), float(score)) for box, text, score in result or []]

    def _recognise(self, pixels: np.ndarray) -> list[tuple[str, float]]:
        result, _ = self._engine(np.ascontiguousarray(pixels[:, :, ::-1]), use_det=False, use_cls=False)
        return [(normalise(text), float(score)) for text, score in result or []]


class PaddleOcr(OcrModel):
    """PaddleOCR itself, for its other languages (e.g. `korean`); needs its models on disk."""

    name = "paddleocr"

    def __init__(self, *, lang: str = "ch", model_dir: str | Path | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        self.model_dir = Path(model_dir) if model_dir else None

    @property
    def identity(self) -> str:
        return f"{self.name}:{self.lang}"

    def _load(self) -> None:
        try:
            from paddleocr import PaddleOCR
        except ImportError as exc:
            raise ModelUnavailableError(
                "the paddleocr backend needs the optional extra: pip install 'visearch[paddle]'"
            ) from exc
        try:
            self._engine = PaddleOCR(lang=self.lang, use_angle_cls=True)
        except Exception as exc:  # first use downloads models; offline that fails
            raise ModelUnavailableError(
                f"PaddleOCR models for lang={self.lang!r} are not available ({exc}); run PaddleOCR once on a "
                f"machine with internet and copy ~/.paddleocr (or ~/.paddlex) here, or use --ocr rapidocr"
            ) from exc

    def _close(self) -> None:
        self._engine = None

    def _detect_and_read(self, pixels: np.ndarray) -> list[OcrLine]:
        result = self._engine.ocr(np.ascontiguousarray(pixels[:, :, ::-1]))
        lines = []
        for page in result or []:
            for box, (text, score) in page or []:
                lines.append(OcrLine(normalise(text), _polygon(box), float(score)))
        return lines

    def _recognise(self, pixels: np.ndarray) -> list[tuple[str, float]]:
        result = self._engine.ocr(np.ascontiguousarray(pixels[:, :, ::-1]), det=False, cls=False)
        return [(normalise(text), float(score)) for page in result or [] for text, score in page or []]


OCR_BACKENDS: dict[str, type[OcrModel]] = {"rapidocr": RapidOcr, "paddleocr": PaddleOcr}


def create_ocr(name: str, **options) -> OcrModel | None:
    """`off` turns OCR off; an unknown name is an error, never a silent fallback."""
    if name == "off":
        return None
    backend, _, lang = name.partition(":")
    if backend not in OCR_BACKENDS:
        raise UnknownModelError(f"unknown OCR backend '{name}'; choose one of: {', '.join(OCR_BACKENDS)}, off")
    if lang:
        if backend != "paddleocr":
            raise UnknownModelError(f"OCR backend '{backend}' has no language option")
        options["lang"] = lang
    return OCR_BACKENDS[backend](**options)
