"""The defaults that several doors share, each written once: the CLI's options, the API's parameters and their
OpenAPI description, the use cases and the web page's script all read them from here."""
from __future__ import annotations

MOMENT_GAP = 2.0  # seconds: a person's (or a moment's) spans closer than this are one clip
FANCAM_TOP = 4  # a grid fancam follows this many of the most seen people
FANCAM_ASPECT = "9:16"  # each picture of a fancam: a phone held upright
MAX_TEXT = 500  # characters of a text query or of words on screen
QUERY_SIDE = 2048  # px: a query photo needs no more (the browser shrinks uploads to it; the server decodes at it)
DEFAULT_OCR = "faster-paddle:tiny+hangul"  # PP-OCR finds the lines, Tesseract reads those PP-OCR cannot (Hangul)
BLUR_STRENGTH = 0.6  # the portrait blur's default: 0 none … 1 the strongest
