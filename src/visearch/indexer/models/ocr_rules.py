"""When a cheap look at a picture has read all its text, and how a long strip is cut into tiles: the pure rules
behind OcrModel.read (indexer/models/ocr.py), each tested on its own (tests/test_ocr.py)."""
from __future__ import annotations

MIN_CONFIDENCE = 0.5  # a reading less sure than this is no reading
# The cheap first look (bench/ocr_eval.py, bench/index_throughput.py): at 480 px a line at least 12 px tall
# and a sure reading (a package's brand and model) is all there is; smaller or unsure text gets the full read.
PROBE_MIN_HEIGHT = 12.0
PROBE_SURE = 0.8
PROBE_GAIN = 1.5  # a picture less than this much larger than the look gains too little from it
PROBE_MAX_LINES = 5  # more lines than this is a page (a receipt, a menu): it is read in full
TILE_ASPECT = 25
MAX_TILES = 32


def plain_words(text: str) -> bool:
    """ASCII letters, digits and punctuation, with at least three letters or digits: what a look at low
    resolution reads surely when it reads it at all. Pure."""
    return all(ord(ch) < 128 for ch in text) and sum(ch.isalnum() for ch in text) >= 3


def trust_probe(heights: list[float], confidences: list[float]) -> bool:
    """Whether a cheap look found all a picture's text: a few lines (not a page), each tall at its scale (small
    print would have been there too, at least partly) and read surely. Pure."""
    return 0 < len(heights) <= PROBE_MAX_LINES and min(heights) >= PROBE_MIN_HEIGHT and \
        sum(confidences) / len(confidences) >= PROBE_SURE and min(confidences) >= MIN_CONFIDENCE


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
