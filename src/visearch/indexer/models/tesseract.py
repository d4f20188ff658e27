"""Tesseract reading one detected line at a time, for the script PP-OCR's recognisers cannot read: Hangul.

PP-OCR's detector finds text lines in any script; its offline recognisers read Latin, digits and Chinese,
and turn a Hangul line into look-alike Han characters. A line PP-OCR did not read as sure, plain Latin is
read again by Tesseract (through tesserocr, in process: 30-40 ms a line, where pytesseract spends ~1 s
starting a process). Tesseract reads tilted text and busy backgrounds badly, so a line is offered to it in
a few forms, cheapest first, until one reads as confident Hangul (bench/korean_eval.py measured each):
  1. the line's box as it is;
  2. binarised both ways round (light text on dark, dark on light), with what touches the box's edge (a
     panel's border, the next object) cleared;
  3. the line straightened: an oriented text detector (PP-OCRv4's, from rapidocr's wheel; run once per
     picture, only when it comes to this) gives the line's quadrilateral, which is warped flat.
Tesseract's Korean model comes from the system (Debian: tesseract-ocr-kor; macOS: brew install tesseract
tesseract-lang).
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from visearch.text.hangul import has_hangul
from visearch.indexer.records import OcrLine
from visearch.text.normalise import edit_distance, normalise

LANGUAGES = "kor+eng"
# Where Tesseract's language data lives on the systems visearch installs on (the library's own default first).
TESSDATA_FOLDERS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                    "/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata",
                    "/opt/local/share/tessdata")
INSTALL_HINT = ("Hangul is not read: Tesseract's Korean data is missing. Install it with `make install` (Debian: "
                "apt-get install tesseract-ocr-kor; macOS: brew install tesseract tesseract-lang), then "
                "`visearch index --reocr` reads the text of what was indexed without it")
LATIN_SURE = 0.7  # a line PP-OCR read as plain Latin this surely is not read again (bench/korean_eval.py)
MIN_HANGUL_CONFIDENCE = 0.5  # Tesseract's mean word confidence for a Hangul reading to replace PP-OCR's
SURE_HANGUL = 0.85  # a reading this sure ends the search for a better form of the line
TEXT_HEIGHT = 64  # px: small lines are enlarged to this before binarising
QUAD_TEXT_HEIGHT = 40  # px: a taller line is shrunk to this before its orientation is detected
# Tesseract reads a lone l beside letters or digits as a pipe (1000ml → 1000m|); a pipe is rare on a package.
PIPE_AS_L = re.compile(r"(?<=[0-9A-Za-z])\|(?=[A-Za-z]|[^0-9A-Za-z]|$)|(?<=\s)\|(?=[A-Za-z])")

Reading = tuple[str, float]


def find_tessdata(language: str = "kor") -> Path | None:
    """The folder holding `language.traineddata`: Tesseract's own TESSDATA_PREFIX, else the usual ones.

    Never `tesserocr.get_languages()`: the wheel's default folder is "./", and Tesseract looks for languages
    there recursively, so a search started in one's home folder walked all of it (seconds to minutes)."""
    prefix = os.environ.get("TESSDATA_PREFIX")  # Tesseract's variable, not ours: read where Tesseract would
    candidates = [Path(prefix), Path(prefix) / "tessdata"] if prefix else []
    for folder in [*candidates, *map(Path, TESSDATA_FOLDERS)]:
        if (folder / f"{language}.traineddata").is_file():
            return folder
    return None


def missing_reason() -> str | None:
    """Why Hangul cannot be read here (None: it can)."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return "Hangul is not read: the tesserocr package is missing (pip install tesserocr)"
    return None if find_tessdata() is not None else INSTALL_HINT


class LineReader:
    """Tesseract on single-line crops (page segmentation mode 7), Korean and English, one engine per thread
    (an engine is not thread-safe; tesserocr releases the GIL while it recognises)."""

    def __init__(self, tessdata: Path, languages: str = LANGUAGES) -> None:
        self.tessdata = Path(tessdata)
        self.languages = languages
        self._local = threading.local()

    def _engine(self):
        engine = getattr(self._local, "engine", None)
        if engine is None:
            import tesserocr

            engine = tesserocr.PyTessBaseAPI(path=str(self.tessdata) + "/", lang=self.languages,
                                             psm=tesserocr.PSM.SINGLE_LINE)
            self._local.engine = engine
        return engine

    def read(self, pixels: np.ndarray) -> Reading:
        """One line crop (RGB or grey) → its text (normalised) and Tesseract's mean word confidence in 0-1."""
        from PIL import Image

        engine = self._engine()
        engine.SetImage(Image.fromarray(np.ascontiguousarray(pixels)))
        text = PIPE_AS_L.sub("l", normalise(engine.GetUTF8Text()))
        return text, max(0.0, engine.MeanTextConf() / 100.0)

    def best(self, forms: Iterable[np.ndarray], first: str = "") -> Reading:
        """The best Hangul reading of a line's forms ("", 0 if none), stopping at the first sure one that
        needs no excuse: fewest Latin words PP-OCR did not see there (`first`: its reading; Tesseract's
        Korean model reads some Hangul words as Latin, 무대 as SCH, in one form and not another), then the
        most confident."""
        found, rank = ("", 0.0), None
        for form in forms:
            if form.shape[0] < 4 or form.shape[1] < 4:
                continue
            text, confidence = self.read(form)
            if not has_hangul(text):
                continue
            strays = stray_latin(text, first)
            if rank is None or (strays, -confidence) < rank:
                found, rank = (text, confidence), (strays, -confidence)
                if confidence >= SURE_HANGUL and strays == 0:
                    break
        return found


def open_reader() -> LineReader | None:
    folder = find_tessdata()
    return LineReader(folder) if folder is not None else None


def line_crop(pixels: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """A detected line's box with a margin of a quarter of its height (Tesseract wants white space round it)."""
    height, width = pixels.shape[:2]
    x0, y0, x1, y1 = bounds
    pad = max(2.0, 0.25 * (y1 - y0))
    left, top = max(0, int(x0 - pad)), max(0, int(y0 - pad))
    right, bottom = min(width, int(np.ceil(x1 + pad))), min(height, int(np.ceil(y1 + pad)))
    return pixels[top:bottom, left:right]


def binarised(crop: np.ndarray) -> list[np.ndarray]:
    """The crop enlarged to TEXT_HEIGHT, binarised (Otsu) both ways round, with the dark shapes that touch its
    edge cleared (what is cut by the box is not the line), on a white margin."""
    import cv2

    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
    scale = TEXT_HEIGHT / max(8, grey.shape[0])
    if scale > 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    _, black_on_white = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    forms = []
    for binary in (black_on_white, 255 - black_on_white):
        count, labels, stats, _ = cv2.connectedComponentsWithStats((binary == 0).astype(np.uint8), 8)
        height, width = binary.shape
        touching = [i for i in range(1, count) if stats[i, 0] == 0 or stats[i, 1] == 0 or
                    stats[i, 0] + stats[i, 2] >= width or stats[i, 1] + stats[i, 3] >= height]
        cleared = binary.copy()
        cleared[np.isin(labels, touching)] = 255
        forms.append(cv2.copyMakeBorder(cleared, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255))
    return forms


def flattened(pixels: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """A tilted line's quadrilateral (corners clockwise from top-left) warped to a level strip with a margin."""
    import cv2

    quad = np.asarray(quad, np.float32)
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    pad = max(4, height // 3)
    target = np.array([[pad, pad], [width + pad, pad], [width + pad, height + pad], [pad, height + pad]], np.float32)
    return cv2.warpPerspective(pixels, cv2.getPerspectiveTransform(quad, target), (width + 2 * pad, height + 2 * pad),
                               borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)


def covered(bounds: tuple[float, float, float, float], quad: np.ndarray) -> float:
    """How much of a quadrilateral's bounding box lies inside `bounds`. Pure."""
    x0, y0, x1, y1 = bounds
    (qx0, qy0), (qx1, qy1) = np.min(quad, axis=0), np.max(quad, axis=0)
    inside = max(0.0, min(x1, qx1) - max(x0, qx0)) * max(0.0, min(y1, qy1) - max(y0, qy0))
    return inside / max(1.0, float((qx1 - qx0) * (qy1 - qy0)))


def line_forms(pixels: np.ndarray, bounds, quads: Callable[[tuple], list]) -> Iterator[np.ndarray]:
    """A line's forms for Tesseract, cheapest first; `quads(bounds)` runs the oriented detector around it."""
    crop = line_crop(pixels, bounds)
    yield crop
    yield from binarised(crop)
    for quad in quads(bounds):
        if covered(bounds, quad) >= 0.5:
            flat = flattened(pixels, quad)
            yield flat
            yield from binarised(flat)


class QuadFinder:
    """PP-OCRv4's text detector from rapidocr's wheel, for the orientation of tilted lines (quadrilaterals)."""

    def __init__(self, side: int = 960) -> None:
        self.side = side
        self._detector = None
        self._lock = threading.Lock()

    def __call__(self, pixels: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            if self._detector is None:
                from rapidocr_onnxruntime import RapidOCR

                self._detector = RapidOCR(det_limit_side_len=self.side, det_limit_type="max")
        found, _ = self._detector.text_det(np.ascontiguousarray(pixels[:, :, ::-1]))
        return [np.asarray(quad, np.float32) for quad in (found if found is not None else [])]

    def around(self, pixels: np.ndarray, bounds: tuple[float, float, float, float]) -> list[np.ndarray]:
        """The oriented lines in a window around one line's box, in the picture's pixels: the detector sees a
        few hundred pixels, not the whole picture (a twentieth of the time on a phone photo)."""
        height, width = pixels.shape[:2]
        x0, y0, x1, y1 = bounds
        margin = max(8.0, y1 - y0)  # a tilted line leaves its level box by up to about its height
        left, top = max(0, int(x0 - margin)), max(0, int(y0 - margin))
        right, bottom = min(width, int(np.ceil(x1 + margin))), min(height, int(np.ceil(y1 + margin)))
        window = pixels[top:bottom, left:right]
        scale = min(1.0, QUAD_TEXT_HEIGHT / max(1.0, y1 - y0))  # the detector finds a line as well at 40 px high
        if scale < 1.0:
            import cv2

            window = cv2.resize(window, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return [quad / np.float32(scale) + np.float32([left, top]) for quad in self(window)]


def better_reading(first: Reading, second: Reading) -> bool:
    """Whether Tesseract's reading (`second`) replaces PP-OCR's (`first`): it reads Hangul, surely enough. Pure."""
    text, confidence = second
    return has_hangul(text) and confidence >= MIN_HANGUL_CONFIDENCE


def plainly_latin(text: str) -> bool:
    """Text in Latin letters, digits and common punctuation only (no Han, Hangul or other script). Pure."""
    return all(ord(ch) < 0x250 or 0x2000 <= ord(ch) <= 0x20CF for ch in text)


_SCRIPT_RUNS = re.compile(r"[0-9A-Za-z\u00c0-\u024f]+|[^\s\x00-\u024f]+")  # Latin words and digits, or other script
_QUANTITY = re.compile(r"\d+(?:[.,]\d+)?(?:ml|l|g|kg|mg|cm|mm|m)", re.IGNORECASE)  # 1000ml, 2L, 120g


def merged(first: str, second: str) -> str:
    """Tesseract's reading (`second`) with each Latin piece PP-OCR also read (within a slip or two) spelled as
    PP-OCR read it (`first`): PP-OCR reads the Latin and digits of a mixed line well (1000ml, 2L, 120g),
    Tesseract the Hangul (불닭볶음면). A quantity PP-OCR read that Tesseract dropped is kept; PP-OCR's other
    Latin pieces are its misreadings of Hangul. Pure."""
    pool = [piece for piece in _SCRIPT_RUNS.findall(first) if plainly_latin(piece)]
    out = []
    for piece in _SCRIPT_RUNS.findall(second):
        if plainly_latin(piece) and pool:
            distance, closest = min((edit_distance(piece.casefold(), p.casefold()), p) for p in pool)
            if distance <= max(1, len(piece) // 3):
                pool.remove(closest)
                piece = closest
        out.append(piece)
    return " ".join(out + [piece for piece in pool if _QUANTITY.fullmatch(piece)])


def stray_latin(second: str, first: str) -> int:
    """Latin words (two letters or more) in Tesseract's reading of a mixed line that PP-OCR's reading of it
    has nothing close to: Hangul Tesseract misread as Latin, since PP-OCR reads Latin well. Pure."""
    pool = [piece.casefold() for piece in _SCRIPT_RUNS.findall(first) if plainly_latin(piece)]
    return sum(1 for piece in _SCRIPT_RUNS.findall(second)
               if piece.isalpha() and plainly_latin(piece) and len(piece) >= 2
               and not any(edit_distance(piece.casefold(), p) <= max(1, len(piece) // 3) for p in pool))


def read_again(reader: LineReader, finder: QuadFinder, pixels: np.ndarray, lines: list[OcrLine]) -> list[OcrLine]:
    """The lines PP-OCR did not read as sure, plain Latin, read by Tesseract; a Hangul reading wins. The oriented
    detector that straightens tilted lines runs only for a line that needs it, around that line."""
    def quads(bounds) -> list:
        return finder.around(pixels, bounds)

    out = []
    for line in lines:
        if not (plainly_latin(line.text) and line.confidence >= LATIN_SURE):
            reading = reader.best(line_forms(pixels, line.bounds, quads), line.text)
            if better_reading((line.text, line.confidence), reading):
                line = OcrLine(merged(line.text, reading[0]), line.box, reading[1])
        out.append(line)
    return out
