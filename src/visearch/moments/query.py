"""A moment query: text on screen, an example picture, a person, or CLIP text, combined by AND or OR.

A query is plain data, so a tag stores it as JSON and applies it to videos indexed later.
An example picture is stored as its CLIP vector (with the file's name, to show): the tag
keeps working when the file is gone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from visearch.errors import N_
from visearch.indexer.errors import VisearchError
from visearch.text.normalise import compact

KINDS = ("text", "image", "person", "clip_text")
# Scores at or above which a sampled frame matches, per kind, unless a tag sets its own.
DEFAULT_THRESHOLDS = {
    "text": 1.0,  # every word of the query is on screen
    "image": 0.4,  # keypoints: 12 of the picture's found in the frame in one geometry (30 and more: 1.0)
    "clip_text": 0.25,  # CLIP text-to-image cosine: a real CLIP model's match level
    "person": 0.0,  # a person's tracks are theirs already
}


class MomentQueryError(VisearchError):
    """An empty or contradictory query: the message names the part."""


@dataclass
class Clause:
    kind: str
    value: str  # the text, the person (name or id), the CLIP text, or the example picture's name
    vector: list[float] | None = None  # image and clip_text: the query's CLIP vector
    threshold: float | None = None
    features: dict | None = None  # image: its keypoints (moments/pictures.py), to find it in frames

    def cutoff(self) -> float:
        return DEFAULT_THRESHOLDS[self.kind] if self.threshold is None else self.threshold

    def describe(self) -> str:
        label = {"text": "text", "image": "picture", "person": "person", "clip_text": "looks like"}[self.kind]
        return f'{label} "{self.value}"'


@dataclass
class MomentQuery:
    clauses: list[Clause] = field(default_factory=list)
    combine: str = "and"

    def check(self) -> "MomentQuery":
        if not self.clauses:
            raise MomentQueryError(N_("an empty query: give words on screen, a picture, a person or a description"),
                                   code="query_empty")
        if self.combine not in ("and", "or"):
            raise MomentQueryError(N_("combine: 'and' or 'or', not %(combine)s"), code="combine_choice",
                                   combine=f'{self.combine!r}')
        for clause in self.clauses:
            if clause.kind not in KINDS:
                raise MomentQueryError(N_("unknown query kind %(kind)s"), code="query_kind_unknown",
                                       kind=f'{clause.kind!r}')
            if clause.kind == "text" and not compact(clause.value):
                raise MomentQueryError(N_("text: empty; give the words seen on screen"), code="text_missing")
            if not clause.value.strip():
                raise MomentQueryError(N_("%(kind)s: empty"), code="query_clause_empty", kind=clause.kind)
            if clause.threshold is not None and not 0.0 <= clause.threshold <= 1.0:
                raise MomentQueryError(N_("threshold %(threshold)s: between 0 and 1"), code="threshold_range",
                                       threshold=clause.threshold)
        return self

    def describe(self) -> str:
        return f" {self.combine.upper()} ".join(clause.describe() for clause in self.clauses)

    def json(self) -> dict:
        return {"combine": self.combine, "clauses": [
            {k: v for k, v in (("kind", c.kind), ("value", c.value), ("vector", c.vector),
                               ("threshold", c.threshold), ("features", c.features)) if v is not None}
            for c in self.clauses]}

    @classmethod
    def from_json(cls, data: dict) -> "MomentQuery":
        clauses = [Clause(c["kind"], c["value"], c.get("vector"), c.get("threshold"), c.get("features"))
                   for c in data.get("clauses", [])]
        return cls(clauses, data.get("combine", "and")).check()

    def with_threshold(self, threshold: float | None) -> "MomentQuery":
        """The same query with `threshold` on every clause that scores frames (not on people)."""
        if threshold is None:
            return self
        return MomentQuery([Clause(c.kind, c.value, c.vector, threshold if c.kind != "person" else c.threshold,
                                   c.features) for c in self.clauses], self.combine).check()
