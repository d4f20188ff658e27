"""The lens's answer in words a shopper can trust: an exact product, similar items, or nothing.

Pure: results in, the kept results with the reason each is there and the state out. A result
stays only for a reason that means something in this library:

- `exact`: a homography-verified match of the product's own keypoints, spread over a real part of it, on
  the spot the photo is about, and told apart from every variant that verified there too;
- `variant`: verified as well as `exact` would be, but the photo does not show what tells it from another
  variant of the same design (the answer is "one of these", never one of them), or its colours are not the
  photo's (a variant the catalogue may not have);
- `partial`: verified, but on a small part of the product only (a logo that products of one brand
  share), or a variant the photo's colours rule out: shown, outlined, and never called the exact product;
- `also`: verified elsewhere in the photo (the shelf behind the product in the hand);
- `text`: it shows a real share of the words read off the photo (not one stray syllable);
- `visual`: its CLIP score clears the library's no-match floor (lens/calibration.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from visearch.errors import N_

EXACT, SIMILAR, NONE = "exact", "similar", "none"
VARIANT = "variant"
MIN_TEXT_SHARE = 0.3  # of the photo's text (characters) a result must show to be there for its text
MIN_TEXT_CHARS = 4  # ... and at least this many characters of it
# Measured on the shared grocery photos (bench/lens_eval.py): right products spread their inliers
# over 0.11-0.51 of the studio shot, a sibling product of the same brand through its logo 0.04-0.12.
MIN_COVERAGE = 0.10
# A query may be embedded at another precision than the library (the fp32 ONNX tower against bf16 vectors):
# their cosines differ by at most 2.3e-5 (`tiny`) and 5e-5 (ViT-B-32) on the fixture photos. Twice that is
# forgiven at the floor, so a near-copy found in one precision is found in the other; unrelated items stay
# ≥ 7e-4 under a near-copy even with `tiny` (tests/test_clip_onnx.py).
PRECISION_TOLERANCE = 1e-4
# The design verified, but in other colours: of the products photographed in the grocery data set, 97.7 % of
# right exact answers fit within this (mean ΔE of the best four fifths of the package, after the photo's
# light is mapped), and a third of the photos of products left out of the catalogue, answered by a sibling
# of theirs, do not (bench/lens_eval.py --absent).
MAX_FIT = 16.0


@dataclass(frozen=True)
class Signals:
    """What one result has going for it, as numbers."""

    inliers: int = 0
    vector_score: float | None = None
    text_share: float = 0.0  # share of the query's text characters the result shows
    text_chars: int = 0
    coverage: float = 0.0  # of a verified match: the share of the product its inliers span
    spot: int = 0  # 0: on the spot the photo is about (lens/spots.py)
    variant_rank: int = 0  # 0: the variant that spot shows, or the likeliest when unsure
    variant_sure: bool = True  # the variants verified on its spot are told apart (or it has none)
    rivals: int = 1  # variants weighed on its spot
    fit: float | None = None  # ΔE between its colours and the photo's, where it was chosen (lens/variants.py)


def reasons(signals: Signals, floor: float) -> list[str]:
    why = []
    if signals.inliers:
        why.append(verified_reason(signals))
    if signals.text_share >= MIN_TEXT_SHARE and signals.text_chars >= MIN_TEXT_CHARS:
        why.append("text")
    if signals.vector_score is not None and signals.vector_score >= floor - PRECISION_TOLERANCE:
        why.append("visual")
    return why


def verified_reason(signals: Signals) -> str:
    """What a verified match amounts to (see the module's docstring)."""
    if signals.coverage < MIN_COVERAGE:
        return "partial"
    if signals.spot > 0:
        return "also"
    if signals.rivals > 1 and not signals.variant_sure:
        return VARIANT
    if signals.variant_rank == 0 and signals.fit is not None and signals.fit > MAX_FIT:
        return VARIANT  # its design, not its colours: a variant the catalogue may not have
    return EXACT if signals.variant_rank == 0 else "partial"


def judge(signals: Sequence[Signals], floor: float) -> tuple[str, list[int], list[list[str]]]:
    """(state, indices of the results to keep, in order, and each kept result's reasons)."""
    kept, why = [], []
    for index, one in enumerate(signals):
        found = reasons(one, floor)
        if found:
            kept.append(index)
            why.append(found)
    if any(EXACT in w for w in why):
        return EXACT, kept, why
    if any(VARIANT in w for w in why):  # the variants lead, whatever else matched on appearance or words
        first = [i for i, w in enumerate(why) if VARIANT in w]
        order = first + [i for i in range(len(why)) if i not in first]
        return SIMILAR, [kept[i] for i in order], [why[i] for i in order]
    return (SIMILAR, kept, why) if kept else (NONE, [], [])


def describe(state: str, semantic: bool, variants: int = 0) -> str:
    """The sentence a UI or CLI shows above the results."""
    if state == EXACT:
        return N_("Exact product found.")
    if variants > 1:
        return N_("One of these variants: the photo does not show what tells them apart.")
    if variants == 1:
        return N_("The package's design matches, but not its colours: it may be a variant that is not in the "
                  "catalogue.")
    if state == SIMILAR:
        return N_("No exact match in the catalogue; similar items.") if semantic else \
            N_("No exact match in the catalogue; items sharing part of the package, its words, or near-copies.")
    return N_("Nothing in this library matches this photo. Draw a box around the product to search just it, "
              "or search by the words on its package.")
