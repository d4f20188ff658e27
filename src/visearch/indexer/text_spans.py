"""Text on screen over time, as pure functions: where a frame changed, and which strings were on screen when.

A video's sampled frames are read for text only where they changed (`changed_regions`); the lines read are
turned into spans (`build_spans`): each string on screen from when it appeared to when it went, with its
box and its most confident reading. A string that comes back after a gap is a new span; OCR variants of one
caption in one place merge, but a number that changes (a score, a clock, a price) starts a new span.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Sequence

import numpy as np

from visearch.text.hangul import near_miss
from visearch.indexer.records import OcrLine
from visearch.text.normalise import compact

GRID = (96, 54)  # the grey thumbnail two samples are compared at (16:9; other shapes are squashed alike)
FINE = 4  # the detail image is this many times the grid
CELL_CHANGE = 18.0  # abs grey difference (0-255) above which a cell has changed
SCENE = 0.45  # a change over this share of the frame is the scene moving, not text changing
SAME_PLACE = 0.3  # IoU of two boxes that hold the same string
VARIANT = 0.7  # similarity of two readings of one caption (OCR noise), when their digits agree
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"\S+")
_NUMBER_LIKE = re.compile(r"[0-9odqil|:.,'/-]+")  # a case-folded word: a number as OCR may read it
_AS_DIGITS = str.maketrans("odqil|", "000111")


Box = tuple[float, float, float, float]


def thumbnails(image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frame (a PIL image) as what two samples are compared at: a small float grey image (GRID), how much
    edge each of its cells holds (text and graphics hold much; a smooth backdrop little), and the grey image
    at 4× the grid (a clock's 8 turning 9 shows there)."""
    import cv2
    from PIL import Image

    fine = np.asarray(image.convert("L").resize((GRID[0] * FINE, GRID[1] * FINE), Image.Resampling.BOX), np.float32)
    edges = np.abs(np.diff(fine, axis=1, append=fine[:, -1:])) + np.abs(np.diff(fine, axis=0, append=fine[-1:]))
    return (cv2.resize(fine, GRID, interpolation=cv2.INTER_AREA), cv2.resize(edges, GRID, interpolation=cv2.INTER_AREA),
            fine)


def detail_changes(before: np.ndarray, after: np.ndarray, threshold: float = CELL_CHANGE) -> np.ndarray:
    """Which grid cells hold a fine pixel (4× the grid) that changed by more than `threshold`. Pure."""
    difference = np.abs(after - before)
    return difference.reshape(GRID[1], FINE, GRID[0], FINE).max(axis=(1, 3)) > threshold


def changed_cells(before: np.ndarray, after: np.ndarray, threshold: float = CELL_CHANGE) -> np.ndarray:
    """Which cells of two grey thumbnails differ (a boolean grid). Pure."""
    return np.abs(after - before) > threshold


def cell_boxes(cells: np.ndarray, size: tuple[int, int], *, min_area: int = 0) -> list[Box]:
    """Boxes (in a size[0]×size[1] frame) around groups of neighbouring True cells; a group whose grown
    area is under `min_area` cells is dropped (a lone flickering cell of a moving scene). Pure."""
    import cv2

    if not cells.any():
        return []
    grown = cv2.dilate(cells.astype(np.uint8), np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(grown, 8)
    sx, sy = size[0] / cells.shape[1], size[1] / cells.shape[0]
    return [(float(x * sx), float(y * sy), float((x + w) * sx), float((y + h) * sy))
            for x, y, w, h, area in stats[1:count] if area >= min_area]


def changed_regions(before: np.ndarray, after: np.ndarray, size: tuple[int, int]) -> tuple[list[Box], float]:
    """Where `after` differs from `before` (grey thumbnails), as boxes in a size[0]×size[1] frame, and the
    share of the frame that changed. Neighbouring changed cells join into one box. Pure."""
    cells = changed_cells(before, after)
    return cell_boxes(cells, size), float(cells.mean())


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(a: Box, b: Box, share: float = 0.5) -> bool:
    """Whether at least `share` of box `a` lies in box `b`."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy >= share * max(1e-9, (a[2] - a[0]) * (a[3] - a[1]))


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def read_numbers(text: str) -> str:
    """Text with OCR's letters for digits put right inside numbers: O:O → 0:0, 1O → 10 (a word of digit-like
    characters only, holding a digit or a colon). Pure."""
    def digits(match: re.Match) -> str:
        word = match.group()
        numeric = _NUMBER_LIKE.fullmatch(word.casefold()) and (":" in word or any(c.isdigit() for c in word))
        return word.casefold().translate(_AS_DIGITS) if numeric else word

    return _WORD.sub(digits, text)


def text_form(text: str) -> str:
    """What on-screen text and a moments query are matched as: numbers read right, then compact. Both what
    was read and what is searched go through this, so the scoreboard's 0:0 is found however OCR read its
    zeros. Pure."""
    return compact(read_numbers(text))


def same_string(a: str, b: str) -> bool:
    """Two readings of one caption: alike, with the same numbers (a score that changed is another string)."""
    ca, cb = text_form(a), text_form(b)
    if ca == cb:
        return True
    if numbers(ca) != numbers(cb):
        return False
    return SequenceMatcher(None, ca, cb).ratio() >= VARIANT


def numbers(text: str) -> list[str]:
    """The numbers in compact text; a digit between two letters is a misread letter (h0me), not a number. Pure."""
    def in_a_word(m: re.Match) -> bool:
        return 0 < m.start() and m.end() < len(text) and text[m.start() - 1].isalpha() and text[m.end()].isalpha()

    return [m.group() for m in _DIGITS.finditer(text) if not in_a_word(m)]


@dataclass
class FrameText:
    """What a sampled frame tells about the text on screen.

    `lines` were read around the places that `changed` (the whole frame when `whole`); text elsewhere is still
    on screen when `carry` (the rest of the frame did not change), else, unless read whole, what is on screen
    is not known. Lines read where a moving picture began to hold still (`settled`) were there at `since` (a
    sample earlier) already."""

    time: float
    shot: int
    shot_span: tuple[float, float]
    lines: list[OcrLine] = field(default_factory=list)
    changed: list[Box] = field(default_factory=list)
    whole: bool = False
    carry: bool = True
    settled: list[Box] = field(default_factory=list)
    since: float | None = None


@dataclass
class TextSpan:
    text: str
    box: Box
    confidence: float
    start: float
    end: float
    shot: int

    def json(self) -> dict:
        return {"text": self.text, "box": [round(v, 1) for v in self.box], "confidence": round(self.confidence, 3),
                "start": round(self.start, 3), "end": round(self.end, 3), "shot": self.shot}

    @classmethod
    def from_json(cls, data: dict) -> "TextSpan":
        return cls(str(data["text"]), tuple(float(v) for v in data["box"]), float(data["confidence"]),  # type: ignore[arg-type]
                   float(data["start"]), float(data["end"]), int(data["shot"]))


def on_screen(previous: list[OcrLine], frame: FrameText) -> list[OcrLine] | None:
    """The lines on screen at a frame: what it read, plus what was there before where nothing changed and
    nothing new was read (if the rest did not change). None: not known (not read whole, and the rest could
    have changed)."""
    if frame.whole:
        return list(frame.lines)
    if not frame.carry:
        return None
    kept = [line for line in previous if not any(overlaps(line.bounds, box) for box in frame.changed)
            and not any(iou(line.bounds, new.bounds) >= SAME_PLACE for new in frame.lines)]
    return kept + list(frame.lines)


def build_spans(frames: Sequence[FrameText], interval: float) -> tuple[list[TextSpan], list[list[OcrLine]]]:
    """The spans of every string on screen, and the lines on screen at each frame. A change between two
    samples is placed half an interval before the sample that shows it, never before its shot's start (a cut
    is where it changed); a string that stays over a cut is one span. Text on screen at the last sample lasts
    to the end. Pure."""
    spans: list[TextSpan] = []
    active: list[TextSpan] = []
    shown: list[list[OcrLine]] = []
    previous: list[OcrLine] = []
    for index, frame in enumerate(frames):
        if index and frame.shot != frames[index - 1].shot and not frame.whole:  # read whole, a caption held
            _close(active, spans, lambda span: frames[index - 1].shot_span[1])   # over the cut continues
            previous = []
        lines = on_screen(previous, frame)
        shown.append(lines or [])
        if lines is None:  # not known: what was seen lasts to this sample at most
            _close(active, spans, lambda span: min(frame.time, span.end + interval))
            previous = []
            continue
        _advance(active, spans, lines, frame, interval)
        previous = lines
    _close(active, spans, lambda span: frames[-1].shot_span[1])
    return sorted(spans, key=lambda s: (s.start, s.box[1], s.box[0])), shown


def _close(active: list[TextSpan], spans: list[TextSpan], end_of) -> None:
    for span in active:
        span.end = max(span.end, end_of(span))
        spans.append(span)
    active.clear()


def _advance(active: list[TextSpan], spans: list[TextSpan], lines: list[OcrLine], frame: FrameText,
             interval: float) -> None:
    """Match the frame's lines to the open spans: the same string in the same place continues; the rest opens
    or closes, half an interval before this frame (within its shot)."""
    change = max(frame.shot_span[0], frame.time - interval / 2)
    earlier = change if frame.since is None else max(0.0, frame.since - interval / 2)  # it held still since
    unmatched = list(active)
    for line in lines:
        match = next((s for s in unmatched if iou(s.box, line.bounds) >= SAME_PLACE and same_string(s.text, line.text)),
                     None)
        if match is None:
            opened = earlier if any(inside(line.bounds, box) for box in frame.settled) else change
            active.append(TextSpan(line.text, line.bounds, line.confidence, opened, frame.time, frame.shot))
            continue
        unmatched.remove(match)
        match.end = frame.time
        if line.confidence > match.confidence:  # the most confident reading wins
            match.text, match.box, match.confidence = line.text, line.bounds, line.confidence
    for span in unmatched:
        span.end = max(span.end, change)
        active.remove(span)
        spans.append(span)


def sampling_interval(times: Sequence[float]) -> float:
    """The sampling interval (1 s by default) from a video's kept frame times. Near-duplicate samples are not
    kept, so kept frames are often further apart: the short steps between them are the interval. Pure."""
    steps = np.diff(sorted(times))
    steps = steps[steps > 0.05]
    return float(np.clip(np.percentile(steps, 25), 0.05, 1.0)) if len(steps) else 1.0


def shows(text: str, word: str) -> bool:
    """Whether on-screen text shows a query word (both as `text_form` makes them): a number whole, and a
    Hangul word also past an OCR slip of a jamo (속보 전해드립니타 shows 전해드립니다), search's near-miss
    rule. Pure."""
    return contains_value(text, word) or near_miss(word, text)


def contains_value(text: str, word: str) -> bool:
    """Whether `text` shows `word` (both as `text_form` makes them), a number only as a whole (2:1 is not in
    12:1). Pure."""
    if not word:
        return False
    start = text.find(word)
    while start >= 0:
        before = text[start - 1] if start else ""
        after = text[start + len(word)] if start + len(word) < len(text) else ""
        if not ((word[0].isdigit() and before.isdigit()) or (word[-1].isdigit() and after.isdigit())):
            return True
        start = text.find(word, start + 1)
    return False


def places(spans: Sequence[TextSpan], *, limit: int = 12, min_confidence: float = 0.6) -> list[list[TextSpan]]:
    """The spans grouped by where on screen they show (a caption band, a scoreboard, a logo), the place with
    the most time on screen first, at most `limit`; single marks and unsure readings are left out. Pure."""
    groups: list[list[TextSpan]] = []
    for span in sorted(spans, key=lambda s: s.start):
        if span.confidence < min_confidence or len(text_form(span.text)) < 2:
            continue
        home = next((g for g in groups if iou(g[0].box, span.box) >= SAME_PLACE or _same_row(g[0].box, span.box)),
                    None)
        if home is None:
            groups.append([span])
        else:
            home.append(span)
    groups.sort(key=lambda g: -sum(s.end - s.start for s in g))
    return groups[:limit]


def _same_row(a: Box, b: Box) -> bool:
    """Two boxes on one line of the screen, overlapping across: a caption band holding captions of any width."""
    height = min(a[3] - a[1], b[3] - b[1])
    return overlaps(a, b) and min(a[3], b[3]) - max(a[1], b[1]) >= 0.6 * height
