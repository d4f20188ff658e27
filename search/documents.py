"""Document store interface: everything about an item except its vector.

The embedded SQLite store and the Elasticsearch store both implement
`DocumentStore`; one contract test suite runs against each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol, Sequence

from indexer.records import Failure, OcrLine, Product


@dataclass(slots=True)
class ItemDoc:
    """One searchable item: an image now, a video frame later."""

    path: str
    sha256: str
    kind: str = "image"
    size: int = 0
    mtime_ns: int = 0
    format: str = ""
    width: int = 0
    height: int = 0
    source: str = ""  # the folder it was found in, for browsing by source
    thumbnail: str = ""  # relative to the library folder
    ocr: list[OcrLine] = field(default_factory=list)
    added_at: float = 0.0
    id: int | None = None

    @property
    def ocr_text(self) -> str:
        return "\n".join(line.text for line in self.ocr)


@dataclass(frozen=True, slots=True)
class FileState:
    """What incremental indexing compares against a file on disk."""

    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True, slots=True)
class TextHit:
    id: int
    score: float  # higher is better; comparable only within one query
    terms: tuple[str, ...]  # the query terms this item's text contains


class DocumentStore(Protocol):
    backend: str

    def upsert(self, items: Sequence[ItemDoc]) -> list[int]:
        """Insert items (id None) or replace them (id set); returns their ids."""

    def get(self, ids: Sequence[int]) -> dict[int, ItemDoc]: ...

    def delete(self, ids: Sequence[int]) -> None: ...

    def file_states(self) -> Iterator[FileState]: ...

    def find_by_sha256(self, sha256: str) -> list[ItemDoc]: ...

    def update_file(self, item_id: int, path: str, size: int, mtime_ns: int, source: str) -> None:
        """Record a move or a touch without re-extracting anything."""

    def text_search(self, terms: Sequence[str], limit: int) -> list[TextHit]:
        """Items whose OCR or catalogue text contains the compact terms, best first."""

    def upsert_products(self, products: Sequence[Product]) -> None: ...

    def products_for(self, ids: Sequence[int]) -> dict[int, Product]: ...

    def record_failures(self, failures: Sequence[Failure]) -> None: ...

    def clear_failures(self, paths: Sequence[str]) -> None: ...

    def failures(self) -> list[Failure]: ...

    def counts(self) -> dict[str, int]: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...
