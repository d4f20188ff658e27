"""The tag store interface: saved moment queries (tags) and the video segments they matched.

`SqliteTagStore` (storage/sqlite/tags.py) and `EsTagStore` (storage/elastic/tags.py) both
implement `TagStore`; one contract suite (tests/test_tag_store.py) runs against each.
A tag's segments are stored, not recomputed on every view; which videos a tag has been
applied to is stored with them, so indexing applies each tag to new videos only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from visearch.errors import Conflict


@dataclass(frozen=True, slots=True)
class TagRecord:
    id: int
    name: str
    query: dict  # a MomentQuery as JSON (moments/query.py)
    threshold: float | None
    created_at: float
    segments: int = 0  # how many segments it holds
    videos: int = 0  # in how many videos


@dataclass(frozen=True, slots=True)
class TagSegment:
    video_id: int
    start: float
    end: float
    score: float
    thumbnail_item: int | None
    evidence: dict = field(default_factory=dict)


class TagStore(Protocol):
    def create_tag(self, name: str, query: dict, threshold: float | None) -> int:
        """A new tag; a TagExistsError when the name (case-insensitive) is taken."""

    def delete_tag(self, tag_id: int) -> None:
        """The tag with its segments."""

    def tags(self) -> list[TagRecord]:
        """Every tag with its counts, by name."""

    def find_tag(self, name: str) -> TagRecord | None: ...

    def replace_segments(self, tag_id: int, video_ids: Sequence[int], segments: Sequence[TagSegment]) -> None:
        """The tag's segments in these videos become `segments` (all of them in those videos), and the
        videos count as applied, in one step: a run stopped half-way leaves the old ones whole."""

    def segments(self, tag_id: int | None = None, video_id: int | None = None) -> list[tuple[int, TagSegment]]:
        """(tag id, segment) for one tag, one video, or both, by video and start."""

    def applied_videos(self, tag_id: int) -> set[int]:
        """The videos the tag has been applied to."""

    def forget_videos(self, video_ids: Sequence[int]) -> None:
        """Drop every tag's segments and applied marks for videos that are gone or indexed again."""


class TagExistsError(Conflict):
    """A tag by that name exists: refuse, or replace it on request (the web answers 409)."""
