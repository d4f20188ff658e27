"""The lens's verdict on a photo's verified products: which one the photo is about, and which variant it shows.

Joins the pure decisions of `lens/spots.py` (where, which spot first) and `lens/variants.py` (which variant)
to the library: the catalogue images they compare (read once per engine from the thumbnails) and the
siblings found at index time (storage/siblings.py), which join a spot through the design they share with
the product verified there.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np

from visearch.lens.answer import MIN_COVERAGE
from visearch.lens.geometry import Verification, foreground_box, plausible
from visearch.lens.spots import Standing, group_spots, order_spots, prominence, standings
from visearch.lens.variants import Candidate, compare, fit
from visearch.text.normalise import compact

SURE_MARGIN = 0.25  # a variant wins when it explains the differing colours this much better than the runner-up
SURE_WITH_WORDS = 0.1  # ... or this much, when the words read on the photo name it and not its rivals
MIN_WORD = 4  # characters: a shorter word read on a photo is too often a fragment
MAX_SIBLINGS = 6  # of a spot's best product, weighed beside it
# Another product verified on the spot is a rival when it is a sibling (same design) or verified nearly as
# strongly; a weaker match of another design there shares a logo, not the package.
RIVAL_SHARE = 0.6
MAX_IMAGES = 20_000  # catalogue thumbnails kept decoded (256 px RGB: ~200 KB each at most)


class SpotJudge:
    """Decides, query by query, which verified product the photo is about and which variant each spot shows."""

    def __init__(self, library) -> None:
        self.library = library
        self._images: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def decide(self, image, verified: Mapping[int, Verification], words: Sequence[str] = ()
               ) -> tuple[dict[int, Standing], dict[int, Verification]]:
        """Every verified catalogue product's standing (items that are not products have none), and the
        siblings that joined a spot through the design they share with a product verified there. `words`:
        what OCR read on the photo (compact), matched against each rival's own text."""
        products = self.library.docs.products_for(list(verified))
        sku_of = {item: product.sku for item, product in products.items()}
        spots = group_spots(verified, sku_of)
        spots = order_spots(spots, {item: prominence(verified[item], image.size) for spot in spots for item in spot})
        joined = self._siblings(spots, verified, sku_of, image.size)
        placed = {**verified, **{item: found for item, (_, found) in joined.items()}}
        contests = [self._rivals(spot, placed, joined) for spot in spots]
        everyone = [item for rivals, _ in contests for item in rivals]
        docs = self.library.docs.get(everyone)
        pixels = np.asarray(image.convert("RGB")) if everyone else None
        texts = {item: compact(" ".join(product.text()))
                 for item, product in self.library.docs.products_for(everyone).items()} if words else {}
        decided = {}
        for rivals, others in contests:
            order, margin, sure = rivals, None, True  # no rival: nothing to tell apart
            if len(rivals) > 1:
                order, margin, sure = self._weigh(pixels, [(item, docs.get(item), placed[item]) for item in rivals],
                                                  distinctive_words(words, {i: texts.get(i, "") for i in rivals}),
                                                  set(joined))
            decided[rivals[0]] = (order + others, margin, sure, len(rivals))
        standing = standings([rivals + others for rivals, others in contests], decided)
        for rivals, _ in contests:  # how well the chosen one's colours explain the photo, whatever it is
            winner = decided[rivals[0]][0][0]
            candidate = self._candidate(winner, docs.get(winner), placed[winner])
            if candidate is not None:
                standing[winner] = replace(standing[winner], fit=fit(pixels, candidate))
        for item, (best, _) in joined.items():
            standing[item] = replace(standing[item], via=best)
        return standing, {item: found for item, (_, found) in joined.items()}

    def _rivals(self, spot: list[int], placed, joined) -> tuple[list[int], list[int]]:
        """A spot's rivals (the variants it may show: its best product and every other that covers a real part
        of the package there, siblings joined through the best among them) and the rest (a shared logo)."""
        # A weak match that joined as a sibling carries its guide's coverage: it may be weighed, never lead,
        # or the siblings joined through the real leader would belong to no spot.
        strong = [item for item in spot if item not in joined and placed[item].coverage >= MIN_COVERAGE]
        if not strong:  # only shared logos here: the strongest leads its spot, and nothing is weighed
            return [spot[0]], spot[1:]
        best = strong[0]
        siblings = {s.item for s in self.library.siblings.of(best)}
        rivals = [best] + [item for item in strong[1:] if item in siblings
                           or placed[item].inliers >= RIVAL_SHARE * placed[best].inliers]
        rivals += [item for item, (by, _) in joined.items() if by == best and item not in rivals]
        return rivals, [item for item in spot if item not in rivals]

    def _siblings(self, spots, verified, sku_of, size) -> dict[int, tuple[int, Verification]]:
        """Catalogue siblings of each spot's best product that are no rival there yet (they did not verify, or
        only on a small part of this spot), placed in the photo through the homography they share with the
        best product, one image per product: item → (best, where)."""
        table = self.library.siblings
        wanted: dict[int, tuple[int, object]] = {}
        for spot in spots:
            best = next((item for item in spot if verified[item].coverage >= MIN_COVERAGE), None)
            if best is None:
                continue  # a shared logo places no sibling
            for sibling in table.of(best)[:MAX_SIBLINGS]:
                item = sibling.item
                weak_here = item in spot and verified[item].coverage < MIN_COVERAGE
                if (item not in verified or weak_here) and item not in wanted:
                    wanted[item] = (best, sibling)
        if not wanted:
            return {}
        products = self.library.docs.products_for(list(wanted))
        docs = self.library.docs.get(list(wanted))
        taken = {sku_of[item] for item in verified if item not in wanted and verified[item].coverage >= MIN_COVERAGE}
        joined = {}
        for item, (best, sibling) in wanted.items():
            if item not in docs or item not in products or products[item].sku in taken:
                continue
            homography = np.reshape(verified[best].homography, (3, 3)) @ sibling.homography
            found = self._place(homography, docs[item], size, verified[best])
            if found is not None:
                joined[item] = (best, found)
                taken.add(products[item].sku)
        return joined

    def _place(self, homography: np.ndarray, doc, size, through: Verification) -> Verification | None:
        """A sibling's outline in the photo, through the design it shares with a verified product."""
        import cv2

        thumbnail = self._thumbnail(doc)
        if thumbnail is None:
            return None
        x0, y0, x1, y1 = foreground_box(thumbnail)
        corners = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) * np.float32([doc.width, doc.height])
        polygon = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), homography).reshape(-1, 2)
        if not plausible(polygon, size):
            return None
        (left, top), (right, bottom) = polygon.min(axis=0), polygon.max(axis=0)
        box = [float(max(0, left)), float(max(0, top)), float(min(size[0], right)), float(min(size[1], bottom))]
        return Verification(through.inliers, polygon.tolist(), box, through.coverage,
                            tuple(float(v) for v in homography.ravel()))

    def _weigh(self, pixels: np.ndarray, members, read: Mapping[int, int], joined: set[int]
               ) -> tuple[list[int], float | None, bool]:
        """Rivals on one spot, best first, the margin, and whether it is decisive: by colour where they differ
        (lens/variants.py). The words read on the photo that only some rivals' texts carry confirm the colours'
        choice at a lower margin, or veto it; they never choose alone (a catalogue's text rarely lists every
        word on a pack, so a word missing from a product's text is no proof it is not on the pack). A sibling
        that did not verify itself leads only when the colours choose it for sure."""
        candidates = [c for c in (self._candidate(item, doc, found) for item, doc, found in members) if c is not None]
        verdict = compare(pixels, candidates) if len(candidates) > 1 else None
        said = max(read, key=read.get) if read and list(read.values()).count(max(read.values())) == 1 else None
        order = [item for item, _ in verdict.ranking] if verdict else []
        order += [item for item, _, _ in members if item not in order]
        margin = verdict.margin if verdict else None
        sure = margin is not None and (margin >= SURE_MARGIN if said is None else
                                       said == order[0] and margin >= SURE_WITH_WORDS)
        if margin is None or (not sure and order[0] in joined):  # the colours cannot choose, or not for sure
            lead = next((item for item in order if item not in joined), order[0])  # what verified itself leads
            order = [lead] + [item for item in order if item != lead]
        return order, margin, sure

    def _candidate(self, item: int, doc, found: Verification) -> Candidate | None:
        """A product's catalogue image and where it lies in the photo, as lens/variants.py compares them."""
        thumbnail = self._thumbnail(doc) if doc is not None else None
        if thumbnail is None or not found.homography:
            return None
        scale = np.diag([doc.width / thumbnail.shape[1], doc.height / thumbnail.shape[0], 1.0])
        return Candidate(item, thumbnail, np.reshape(found.homography, (3, 3)) @ scale)

    def _thumbnail(self, doc) -> np.ndarray | None:
        from PIL import Image

        if not doc.thumbnail:
            return None
        with self._lock:
            cached = self._images.get(doc.thumbnail)
        if cached is not None:
            return cached
        path = self.library.root / doc.thumbnail
        if not path.is_file():
            return None
        with Image.open(path) as thumbnail:
            pixels = np.asarray(thumbnail.convert("RGB"))
        with self._lock:
            if len(self._images) < MAX_IMAGES:
                self._images[doc.thumbnail] = pixels
        return pixels


def distinctive_words(words: Sequence[str], texts: Mapping[int, str]) -> dict[int, int]:
    """For rivals' texts (compact), the characters of the photo's words each carries that not every rival
    does: the words that tell them apart. Rivals carrying none are left out. Pure."""
    found: dict[int, int] = {}
    for word in dict.fromkeys(w for w in words if len(w) >= MIN_WORD):
        holders = [item for item, text in texts.items() if word in text]
        if 0 < len(holders) < len(texts):
            for item in holders:
                found[item] = found.get(item, 0) + len(word)
    return found
