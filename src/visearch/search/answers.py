"""What a search answers: its results, why each is there, and the JSON every caller reads.

The JSON shape of `SearchResponse.to_json()` is a public contract: the CLI's `--json`, the web API and outside
scripts all read it (web/openapi.py describes it).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from visearch.indexer.records import Product
from visearch.lens.answer import SIMILAR, VARIANT, Signals
from visearch.lens.geometry import Verification
from visearch.lens.spots import Standing
from visearch.search.ranking import TermMatch
from visearch.text.normalise import query_terms

MIN_OCR_TERM = 3  # shorter fragments read off a photo are mostly noise


@dataclass
class Evidence:
    """Why a row matched: its place in each ranking and the words it shares with the query."""

    vector_score: float | None = None
    vector_rank: int | None = None
    text_rank: int | None = None
    text_terms: list[str] = field(default_factory=list)
    text_matches: list[TermMatch] = field(default_factory=list)
    local: Verification | None = None  # a homography-verified match: where the product is in the query photo
    text_share: float = 0.0  # the share of the query's text (characters) this row shows
    standing: Standing | None = None  # a verified product: its spot in the photo and its rank among variants


@dataclass
class SearchResult:
    id: int
    path: str
    score: float
    kind: str
    product: Product | None
    ocr_text: str
    thumbnail: str
    evidence: Evidence
    size: tuple[int, int] = (0, 0)  # the item's width and height, for drawing evidence boxes
    video: str | None = None  # frames: the video they come from
    time: float | None = None  # frames: seconds into the video
    video_id: int | None = None
    reasons: list[str] = field(default_factory=list)  # why it is shown: "exact", "text", "visual"

    def signals(self) -> Signals:
        evidence = self.evidence
        local = evidence.local
        standing = evidence.standing
        return Signals(local.inliers if local else 0, evidence.vector_score, evidence.text_share,
                       sum(len(term) for term in evidence.text_terms), local.coverage if local else 0.0,
                       spot=standing.spot if standing else 0, variant_rank=standing.rank if standing else 0,
                       variant_sure=standing.sure if standing else True, rivals=standing.rivals if standing else 1,
                       fit=standing.fit if standing else None)

    def to_json(self) -> dict:
        product = None
        if self.product is not None:
            # the product as a shopper needs it beside the photo, and which side of its pack matched
            product = {k: v for k, v in asdict(self.product).items() if k not in ("images", "details", "views")}
            product["view"] = self.product.view_of(self.path)
        evidence = self.evidence
        return {
            "id": self.id,
            "path": self.path,
            "score": round(self.score, 6),
            "kind": self.kind,
            "product": product,
            "ocr_text": self.ocr_text,
            "thumbnail": self.thumbnail,
            "size": list(self.size),
            "video": self.video,
            "video_id": self.video_id,
            "time": None if self.time is None else round(self.time, 3),
            "reasons": self.reasons,
            "evidence": {
                "vector_score": None if evidence.vector_score is None else round(evidence.vector_score, 6),
                "vector_rank": evidence.vector_rank,
                "text_rank": evidence.text_rank,
                "text_terms": evidence.text_terms,
                "text_share": round(evidence.text_share, 3),
                "text_matches": [
                    {"term": m.term, "text": m.text, "box": [round(v, 1) for v in m.box]}
                    for m in evidence.text_matches
                ],
                "local": None if evidence.local is None else {
                    "inliers": evidence.local.inliers,
                    "polygon": [[round(x, 1), round(y, 1)] for x, y in evidence.local.polygon],
                    "box": [round(v, 1) for v in evidence.local.box],
                    "coverage": round(evidence.local.coverage, 3),
                },
                "variant": None if evidence.standing is None else {
                    "spot": evidence.standing.spot, "rank": evidence.standing.rank, "sure": evidence.standing.sure,
                    "rivals": evidence.standing.rivals, "via": evidence.standing.via,
                    "fit": None if evidence.standing.fit is None else round(evidence.standing.fit, 2),
                    "margin": None if evidence.standing.margin is None else round(evidence.standing.margin, 3),
                },
            },
        }


@dataclass
class SearchResponse:
    query: dict
    results: list[SearchResult]
    notices: list[str] = field(default_factory=list)
    match: str = SIMILAR  # "exact" | "similar" | "none": what the results amount to (lens/answer.py)
    message: str = ""

    def to_json(self) -> dict:
        return {"query": self.query, "match": self.match, "message": self.message,
                "results": [r.to_json() for r in self.results], "notices": self.notices,
                # the answer's shape in ids: the variants the photo may show ("one of these"), and other
                # catalogue products verified elsewhere in the photo ("also in this photo")
                "variants": [r.id for r in self.results if VARIANT in r.reasons],
                "also": [r.id for r in self.results if "also" in r.reasons]}


def ocr_terms(lines) -> list[str]:
    """Search terms from the lines read off a photo: each line's words, then the line without spaces
    (recognisers drop them: `AX-2040 PRO` reads `AX-2040PRO`). Pure."""
    terms: list[str] = []
    for line in lines:
        terms += [t for t in query_terms(line.text, MIN_OCR_TERM) if t not in terms]
        if line.compact not in terms and len(line.compact) >= MIN_OCR_TERM:
            terms.append(line.compact)
    return terms


def answer_priority(standing: Standing | None, inliers: int) -> float:
    """Verified items' order: the photo's subject first and, on each spot, the variant it shows; then by
    inliers. Items that are not catalogue products (no standing) follow every product. Pure."""
    spot, rank = (standing.spot, standing.rank) if standing is not None else (10_000, 0)
    return -(spot * 1000 + rank) + min(inliers, 999) / 1000
