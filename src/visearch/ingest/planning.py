"""What an index run does with each file it finds: pure decisions from what the library knows.

Incremental rules (after rclip): a file whose size and mtime are unchanged is skipped without
reading it; otherwise its content hash decides: the same hash as before means only the mtime
moved; a hash already in the library means a rename (the item follows the file, vectors kept) or
a copy (vectors reused); anything else is decoded and embedded again. The functions here only
decide; `ingest/run.py` reads the files and carries the decisions out.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from visearch.storage.documents import FileState


class Action(Enum):
    SKIP = "skip"  # unchanged: nothing to read or write
    TOUCH = "touch"  # same content, new size/mtime/path record
    MOVE = "move"  # a renamed file: the old item follows it
    COPY = "copy"  # the same content as another item: reuse its vectors
    INDEX = "index"  # decode and extract


@dataclass(frozen=True)
class Decision:
    action: Action
    item: int | None = None  # the item (or video) the action applies to: the old one, the moved one, the twin
    replaces: int | None = None  # an item this path held before, now to be removed (a move onto it)


@dataclass(frozen=True)
class Twin:
    """An item with the same content hash, as the planner needs to know it."""

    id: int
    path: str
    kind: str  # "image" | "frame" | "video"
    exists: bool  # whether its file is still on disk
    complete: bool  # it has its vector (and keypoints, when the run extracts them)


def unchanged(state: FileState | None, complete: bool, size: int, mtime_ns: int) -> bool:
    """Whether a file can be skipped without reading it: same size and mtime as indexed, and complete."""
    return state is not None and complete and (state.size, state.mtime_ns) == (size, mtime_ns)


def plan_image(state: FileState | None, complete: bool, sha256: str, path: str, twins: list[Twin]) -> Decision:
    """An image whose size or mtime changed (or that is new), once its content hash is known."""
    if state is not None and complete and state.sha256 == sha256:
        return Decision(Action.TOUCH, state.id)
    others = [t for t in twins if t.complete and t.path != path]
    if others:
        moved = next((t for t in others if t.kind == "image" and not t.exists), None)
        if moved is not None:
            return Decision(Action.MOVE, moved.id, replaces=state.id if state is not None else None)
        return Decision(Action.COPY, others[0].id)
    return Decision(Action.INDEX, state.id if state is not None else None)


def plan_video(state: FileState | None, complete: bool, sha256: str, known: list[FileState],
               exists) -> Decision:
    """A video whose size or mtime changed (or that is new): `known` are the library's videos,
    `exists(path)` says whether a file is still on disk."""
    if state is not None and complete and state.sha256 == sha256:
        return Decision(Action.TOUCH, state.id)
    if state is None:
        moved = next((v for v in known if v.sha256 == sha256 and not exists(v.path)), None)
        if moved is not None:
            return Decision(Action.MOVE, moved.id)
    return Decision(Action.INDEX, state.id if state is not None else None)
