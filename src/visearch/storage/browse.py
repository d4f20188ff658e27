"""Browsing the library: filters and paging as a value, turned into SQL by the store."""
from __future__ import annotations

from dataclasses import dataclass, field

SORTS = ("added", "name")
KINDS = ("image", "frame")
PERSON_MODES = ("and", "or")


@dataclass(frozen=True)
class BrowseQuery:
    kind: str | None = None  # "image" | "frame" | None for both
    people: tuple[int, ...] = ()
    person_mode: str = "and"  # all of `people` on the item, or any of them
    not_people: tuple[int, ...] = ()
    has_text: bool | None = None
    text: str = ""  # OCR or catalogue text contains
    brand: str = ""
    category: str = ""
    source: str = ""  # folder prefix
    sort: str = "added"
    descending: bool = True
    page: int = 1
    per_page: int = 48

    def __post_init__(self) -> None:
        if self.kind not in (None, *KINDS):
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        if self.person_mode not in PERSON_MODES:
            raise ValueError("person mode must be 'and' or 'or'")
        if self.page < 1 or not 1 <= self.per_page <= 500:
            raise ValueError("page must be ≥ 1 and per_page between 1 and 500")


@dataclass
class BrowsePage:
    ids: list[int]
    total: int
    query: BrowseQuery
    facets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))
