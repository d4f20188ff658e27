"""Answer lens (photo) and text queries by fusing vector and text rankings (the answer's shape: answers.py)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np

from visearch.indexer.images import crop_box
from visearch.indexer.local_features import LocalFeatures, RootSift
from visearch.indexer.models.clip import ClipEncoder
from visearch.indexer.models.ocr import OcrModel
from visearch.text.hangul import initials_word, is_initials_query
from visearch.text.normalise import compact, query_terms
from visearch.errors import N_
from visearch.storage.documents import TextHit
from visearch.storage.library import Library
from visearch.lens.proposals import propose
from visearch.lens.geometry import Verification, foreground_box, spread_keypoints, verify
from visearch.lens.spots import Standing
from visearch.lens.answer import EXACT, NONE, PRECISION_TOLERANCE, SIMILAR, VARIANT, describe, judge
from visearch.search.answers import Evidence, SearchResponse, SearchResult, answer_priority, ocr_terms
from visearch.search.ranking import (RRF_K, group_best, reciprocal_rank_fusion, term_matches, verified_first,
                                     words_then_votes)
from visearch.search.verdicts import SpotJudge

VECTOR_CANDIDATES = 100
TEXT_CANDIDATES = 100
VOTE_SHORTLIST = 12  # images that collect the most descriptor votes get verified
SHORTLIST_EACH = 5  # and the best few of the CLIP and text rankings
NON_SEMANTIC_VECTOR_WEIGHT = 0.5
# Keypoint votes are tallied for this many images: they break ties between results there for the same words
# (a photo where only the brand name was read), beyond the shortlist that is verified.
VOTE_TALLY = 100
QUERY_KEYPOINTS = 1000
VOTERS = 500  # keypoints that vote for the shortlist: half the voting time
QUERY_MAX_SIDE = 1024
MAX_OUTLINES = 200_000  # cached product outlines (four floats each)
TEXT_TO_IMAGE_OFF = N_("text-to-image search is off: this library's CLIP model is not semantic; results come from OCR "
                       "and catalogue text only")


class SearchEngine:
    """Queries one library with the encoder that built it (and OCR for photos)."""

    def __init__(
        self, library: Library, encoder: ClipEncoder, ocr: OcrModel | None = None, local_features="auto",
        *, vectors: bool = True,
    ) -> None:
        """`vectors=False` leaves the CLIP ranking out (bench/lens_eval.py measures the other stages alone)."""
        if library.manifest.encoder and library.manifest.encoder != encoder.identity:
            raise ValueError(f"encoder {encoder.identity} does not match the library's {library.manifest.encoder}")
        self.library = library
        self.encoder = encoder
        self.ocr = ocr
        if local_features == "auto":
            # A query photo may hold several products, each small: look harder than at indexing time.
            local_features = RootSift(QUERY_KEYPOINTS, QUERY_MAX_SIDE) if len(library.features) else None
        self.local_features = local_features
        self.use_vectors = vectors
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="visearch-query")
        self._floor: float | None = None
        self._outlines: dict[str, tuple[float, float, float, float]] = {}
        self._judge = SpotJudge(library)

    @property
    def floor(self) -> float:
        """The CLIP score below which a look-alike is no evidence (measured at index time)."""
        if self._floor is None:
            from visearch.lens.calibration import calibrate

            self._floor = self.library.manifest.no_match_floor or calibrate(self.library)[0]
        return self._floor

    def close(self) -> None:
        """Stop the query threads; the library is its owner's to close."""
        self._pool.shutdown(wait=False)

    @property
    def text_to_image(self) -> bool:
        return self.encoder.semantic

    def search_image(
        self, image, *, box: Sequence[float] | None = None, k: int = 10, suggest: bool = False,
        products_only: bool = False,
    ) -> SearchResponse:
        """The lens: nearest vectors of the photo (or its boxed region), fused with the text it shows.

        `suggest` adds object boxes worth searching on their own (text regions, salient blobs)
        to `query["suggestions"]`, for a UI to offer. `products_only`: catalogue products alone (a video
        frame's own frames are not the answer to "what is this jacket").
        """
        query: dict = {"type": "image", "k": k, "box": list(box) if box else None, "size": [image.width, image.height]}
        region = crop_box(image, tuple(box)) if box else image
        # OCR runs beside CLIP and the local features: onnxruntime and OpenCV release the GIL.
        reading = self._pool.submit(self.ocr.read, region) if self.ocr is not None else None
        rankings: dict[str, list[int]] = {}
        vector_scores = self._vector_ranking(self.encoder.encode_images([region]), rankings)
        if not self.encoder.semantic:  # under the no-match floor, a non-semantic CLIP's order is noise
            rankings["vector"] = [item for item in rankings.get("vector", [])
                                  if vector_scores[item] >= self.floor - PRECISION_TOLERANCE]
        query_features = self.local_features.extract(region) if self._has_features else None
        # While OCR reads, the images the keypoints vote for (and CLIP's nearest) are verified on the other core.
        shortlist, votes = self._shortlist(query_features, region, rankings)
        verified = self._verify(query_features, region, box, shortlist)
        notices = []
        lines = reading.result() if reading is not None else []
        terms = ocr_terms(lines)
        if reading is not None:
            query["ocr_text"] = "\n".join(line.text for line in lines)
        else:
            notices.append(N_("OCR is off: the lens matches by appearance only"))
        query["terms"] = terms
        if suggest:
            full_lines = lines if not box else (self.ocr.read(image) if self.ocr else [])
            query["suggestions"] = propose(np.asarray(image), full_lines)
        hits = self._text_ranking(terms, rankings, votes)
        by_text = [item for item in rankings.get("text", [])[:SHORTLIST_EACH] if item not in shortlist]
        verified = {**verified, **self._verify(query_features, region, box, by_text)}
        standing, joined = self._judge.decide(image, verified, terms)
        verified.update(joined)
        # Ranked past k: a result with no reason to be there (lens/answer.py) gives its place to the next.
        results = self._results(rankings, vector_scores, hits, k * 2, verified, standing,
                                products_only=products_only)
        state, kept, why = judge([r.signals() for r in results], self.floor)
        results = [results[i] for i in kept[:k]]
        for result, reasons in zip(results, why):
            result.reasons = reasons
        query["floor"] = round(self.floor, 4)
        variants = sum(VARIANT in result.reasons for result in results)
        return SearchResponse(query, results, notices, state, describe(state, self.encoder.semantic, variants))

    def search_text(self, text: str, *, k: int = 10) -> SearchResponse:
        """Full-text over OCR and catalogue fields, plus CLIP text→image when the encoder is semantic. A query of
        Hangul initial consonants (ㅅㅇㅇㅇ) finds the words they start (서울우유), as Korean shops' boxes do."""
        terms = query_terms(text)
        whole = compact(text)
        if len(terms) > 1 and whole not in terms:
            terms.append(whole)  # "green valley" also matches OCR's "GreenValley"
        if is_initials_query(whole):
            return self._initials(text, whole, k)
        query = {"type": "text", "text": text, "k": k, "terms": terms}
        rankings: dict[str, list[int]] = {}
        vector_scores: dict[int, float] = {}
        notices = []
        if self.text_to_image:
            vector_scores = self._vector_ranking(self.encoder.encode_texts([text]), rankings)
        else:
            notices.append(TEXT_TO_IMAGE_OFF)
        hits = self._text_ranking(terms, rankings)
        results = self._results(rankings, vector_scores, hits, k)
        for result in results:
            result.reasons = (["text"] if result.evidence.text_terms else []) + (
                ["visual"] if result.evidence.vector_rank is not None else [])
        state = NONE if not results else EXACT if any(r.evidence.text_share >= 0.999 for r in results) else SIMILAR
        message = {EXACT: N_("Items showing these words."), SIMILAR: N_("No item shows all of these words; the closest:"),
                   NONE: N_("Nothing matches these words.")}[state]
        return SearchResponse(query, results, notices, state, message)

    def _initials(self, text: str, letters: str, k: int) -> SearchResponse:
        hits = {hit.id: hit for hit in self.library.docs.initials_search(letters, TEXT_CANDIDATES)}
        rankings = {"text": list(hits)} if hits else {}
        results = self._results(rankings, {}, hits, k)
        for result in results:
            result.reasons = ["text"]
            word = initials_word(letters, [result.ocr_text, *(result.product.text() if result.product else [])])
            if word:  # the badge names 서울우유, not ㅅㅇㅇㅇ
                result.evidence.text_terms = [word]
        query = {"type": "text", "text": text, "k": k, "terms": [letters], "initials": True}
        message = N_("Words whose syllables start with these consonants.") if results else \
            N_("No word starts with these consonants.")
        return SearchResponse(query, results, [], EXACT if results else NONE, message)

    def similar(self, item_id: int, *, k: int = 10) -> SearchResponse:
        """Near-duplicates and look-alikes of an indexed item; works with any encoder."""
        rankings: dict[str, list[int]] = {}
        scores = self._vector_ranking(self.library.vectors.get([item_id]), rankings)
        rankings["vector"] = [i for i in rankings.get("vector", []) if i != item_id]
        # A catalogue product is like other products, not like the frames of a video that happen to be near.
        results = self._results(rankings, scores, {}, k, products_only=bool(self.library.docs.products_for([item_id])))
        for result in results:
            result.reasons = ["visual"]
        return SearchResponse({"type": "similar", "id": item_id, "k": k}, results, [], SIMILAR if results else NONE)

    # -- internals

    @property
    def _has_features(self) -> bool:
        return self.local_features is not None and len(self.library.features) > 0

    def _shortlist(self, query, region, rankings: dict) -> tuple[list[int], dict[int, float]]:
        """The images the photo's keypoints vote for most, and CLIP's nearest where CLIP has meaning; and the
        votes of every image that got some."""
        if query is None or not len(query):
            return [], {}
        # The strongest keypoints of each part of the photo vote (a shelf's every product gets its say);
        # all of them are matched in `_verify`.
        chosen = spread_keypoints(query.points, region.size, VOTERS)
        voters = LocalFeatures(query.points[chosen], query.descriptors[chosen])
        voted = self.library.features.vote(voters, VOTE_TALLY)
        shortlist = [item for item, _ in voted[:VOTE_SHORTLIST]]
        if self.encoder.semantic:
            shortlist += rankings.get("vector", [])[:SHORTLIST_EACH]
        return list(dict.fromkeys(shortlist)), dict(voted)

    def _verify(self, query, region, box, items: list[int]) -> dict[int, Verification]:
        """The items whose own keypoints a robust homography confirms, placed in the whole photo."""
        store = self.library.features
        items = [item for item in items if item in store]
        if query is None or not len(query) or not items:
            return {}
        docs = self.library.docs.get(items)
        dx, dy = (box[0], box[1]) if box else (0.0, 0.0)

        def check(item: int):
            doc = docs[item]
            return item, verify(query, store.get(item), (doc.width, doc.height), region.size, outline=self._outline(doc))

        # Matching (FAISS) and the homography (OpenCV) release the GIL: the candidates are checked on both threads.
        return {item: found.moved(dx, dy) for item, found in self._pool.map(check, [i for i in items if i in docs])
                if found is not None}

    def _vector_ranking(self, vector: np.ndarray, rankings: dict) -> dict[int, float]:
        if not self.use_vectors:
            return {}
        scores, ids = self.library.vectors.search(vector, VECTOR_CANDIDATES)
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        rankings["vector"] = [i for i, _ in pairs]
        return dict(pairs)

    def _text_ranking(self, terms: list[str], rankings: dict, votes: dict[int, float] | None = None
                      ) -> dict[int, TextHit]:
        """Items showing the terms, then those showing them past one OCR slip (one jamo), ranked below; among
        items showing as much of them, the one the photo's keypoints vote for most first (`votes`)."""
        if not terms:
            return {}
        docs = self.library.docs
        hits = {hit.id: hit for hit in docs.text_search(terms, TEXT_CANDIDATES)}
        for hit in docs.near_search(terms, TEXT_CANDIDATES):
            if hit.id not in hits:
                hits[hit.id] = hit
        rankings["text"] = words_then_votes({item: hit.score for item, hit in hits.items()}, votes or {})
        return hits

    def _outline(self, doc) -> tuple[float, float, float, float]:
        """The product's extent in a catalogue image, read off its thumbnail once per engine (thumbnails
        are named by content hash, so a changed image has another key)."""
        from PIL import Image

        if doc.thumbnail in self._outlines:
            return self._outlines[doc.thumbnail]
        path = self.library.root / doc.thumbnail if doc.thumbnail else None
        if path is None or not path.is_file():
            return 0.0, 0.0, 1.0, 1.0
        with Image.open(path) as thumbnail:
            outline = foreground_box(np.asarray(thumbnail.convert("RGB")))
        if len(self._outlines) < MAX_OUTLINES:
            self._outlines[doc.thumbnail] = outline
        return outline

    def _results(
        self, rankings: dict, vector_scores: dict[int, float], text_hits: dict[int, TextHit], k: int,
        verified: dict[int, Verification] | None = None, standing: dict[int, Standing] | None = None, *,
        products_only: bool = False,
    ) -> list[SearchResult]:
        verified, standing = verified or {}, standing or {}
        best_text = max((hit.score for hit in text_hits.values()), default=1.0) or 1.0
        # Without semantics, CLIP similarity only means "near-duplicate": a text match outweighs it.
        weights = {"vector": 1.0 if self.encoder.semantic else NON_SEMANTIC_VECTOR_WEIGHT, "text": 1.0}
        fused = reciprocal_rank_fusion(
            rankings, weights, strengths={"text": {i: hit.score / best_text for i, hit in text_hits.items()}}
        )
        best_possible = sum(weights[name] for name in rankings) / (RRF_K + 1) or 1.0
        fused = [(item, score / best_possible) for item, score in fused]
        fused = verified_first(fused, {item: answer_priority(standing.get(item), v.inliers) for item, v in verified.items()})
        docs = self.library.docs
        candidates = [item for item, _ in fused[: max(k * 5, 200 if products_only else 50)]]
        products = docs.products_for(candidates)
        if products_only:
            fused = [(item, score) for item, score in fused if item in products]
        grouped = group_best(fused, {i: p.sku for i, p in products.items()})[: k * 2]
        items = docs.get([i for i, _ in grouped])
        text_rank = {item: rank for rank, item in enumerate(rankings.get("text", []), 1)}
        vector_rank = {item: rank for rank, item in enumerate(rankings.get("vector", []), 1)}
        results = []
        for item_id, score in grouped:
            doc = items.get(item_id)
            if doc is None:  # a vector whose document was pruned; the next index run drops it
                continue
            hit = text_hits.get(item_id)
            evidence = Evidence(
                vector_score=vector_scores.get(item_id),
                vector_rank=vector_rank.get(item_id),
                text_rank=text_rank.get(item_id),
                text_terms=list(hit.terms) if hit else [],
                text_matches=term_matches(list(hit.terms), doc.ocr) if hit else [],
                local=verified.get(item_id),
                standing=standing.get(item_id),
                text_share=hit.score if hit else 0.0,
            )
            results.append(SearchResult(
                id=item_id, path=doc.path, score=min(1.0, score), kind=doc.kind,
                product=products.get(item_id), ocr_text=doc.ocr_text, thumbnail=doc.thumbnail, evidence=evidence,
                video=doc.path if doc.kind == "frame" else None, time=doc.time, video_id=doc.video_id,
                size=(doc.width, doc.height),
            ))
            if len(results) == k:
                break
        return results
