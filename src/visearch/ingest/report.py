"""What an index run reports: counts, failures with their reasons, stage times."""
from __future__ import annotations

from dataclasses import dataclass, field

from visearch.indexer.pipeline import StageTimes
from visearch.indexer.records import Failure
from visearch.people.index import ClusterReport


@dataclass
class IndexReport:
    indexed: int = 0
    unchanged: int = 0
    moved: int = 0  # renamed files: same item, vectors kept
    copied: int = 0  # duplicate content: vectors reused, nothing decoded
    pruned: int = 0
    skipped: int = 0  # files in folders that are not media
    videos: int = 0
    frames: int = 0
    faces: int = 0
    people: ClusterReport | None = None
    tags: dict[str, int] = field(default_factory=dict)  # moments each tag found in the new videos
    products: int = 0
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    times: StageTimes = field(default_factory=StageTimes)
    video_times: object | None = None  # the video pipeline's VideoTimes, when videos were indexed
    notices: list[str] = field(default_factory=list)  # what the user should know, said once (Hangul not read)

    def to_json(self) -> dict:
        return {
            "indexed": self.indexed, "unchanged": self.unchanged, "moved": self.moved, "copied": self.copied,
            "pruned": self.pruned, "skipped": self.skipped, "videos": self.videos, "frames": self.frames,
            "faces": self.faces, "people": vars(self.people) if self.people else None, "products": self.products, "failed": [{"path": str(f.path), "reason": f.reason} for f in self.failed],
            "tags": self.tags, "seconds": round(self.seconds, 3), "notices": self.notices,
        }
