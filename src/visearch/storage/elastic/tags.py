"""Tags and their segments in Elasticsearch: three small indices beside the documents.

Elasticsearch has no transactions, so a tag's segments in a video are rewritten by
generation: the new segments are written under a fresh generation, then the video's
`tag_videos` document is switched to it (one document: atomic), then the old
generation is deleted. A reader takes only the current generation's segments, so a
run stopped anywhere leaves each video with its old segments or its new ones.
"""
from __future__ import annotations

import secrets
import time
from typing import Sequence

from visearch.errors import N_
from visearch.storage.codec import chunks
from visearch.storage.tags import TagExistsError, TagRecord, TagSegment


def tag_source(tag_id: int, name: str, query: dict, threshold: float | None) -> dict:
    return {"id": tag_id, "name": name, "query": query, "threshold": threshold,
            "created_at": int(time.time() * 1000)}


def segment_source(tag_id: int, generation: str, segment: TagSegment) -> dict:
    return {"tag_id": tag_id, "video_id": segment.video_id, "generation": generation, "start": segment.start,
            "end": segment.end, "score": segment.score, "thumbnail_item": segment.thumbnail_item,
            "evidence": segment.evidence}


def current_filter(tag_id: int | None, video_id: int | None) -> list[dict]:
    clauses = []
    if tag_id is not None:
        clauses.append({"term": {"tag_id": tag_id}})
    if video_id is not None:
        clauses.append({"term": {"video_id": video_id}})
    return clauses


class EsTagStore:
    def __init__(self, session) -> None:
        self.session = session

    def create_tag(self, name: str, query: dict, threshold: float | None) -> int:
        taken = self.find_tag(name)
        if taken is not None:
            raise TagExistsError(N_("a tag named '%(name)s' exists: pick another name, or --replace it"),
                                 code="tag_exists", name=taken.name)
        [tag_id] = self.session.allocate("tags", 1)
        self.session.write([{"_op_type": "create", "_index": self.session.index("tags"), "_id": name.lower(),
                             "_source": tag_source(tag_id, name, query, threshold)}])
        return tag_id

    def delete_tag(self, tag_id: int) -> None:
        for kind in ("tag_segments", "tag_videos", "tags"):
            self.session.by_query(kind, {"term": {"tag_id" if kind != "tags" else "id": tag_id}})

    def tags(self) -> list[TagRecord]:
        tags = list(self.session.sources("tags"))
        counts = self._counts()
        return sorted((TagRecord(tag["id"], tag["name"], tag.get("query") or {}, tag.get("threshold"),
                                 (tag.get("created_at") or 0) / 1000, *counts.get(tag["id"], (0, 0))) for tag in tags),
                      key=lambda record: record.name.lower())

    def _counts(self) -> dict[int, tuple[int, int]]:
        counts: dict[int, list] = {}
        for tag_id, segment in self.segments():
            entry = counts.setdefault(tag_id, [0, set()])
            entry[0] += 1
            entry[1].add(segment.video_id)
        return {tag: (n, len(videos)) for tag, (n, videos) in counts.items()}

    def find_tag(self, name: str) -> TagRecord | None:
        """By name (the keyword's lower-case normalizer applies to the term too); counts for it only."""
        found = next(iter(self.session.sources("tags", {"term": {"name": name}})), None)
        if found is None:
            return None
        segments = [segment for _, segment in self.segments(found["id"])]
        return TagRecord(found["id"], found["name"], found.get("query") or {}, found.get("threshold"),
                         (found.get("created_at") or 0) / 1000, len(segments), len({s.video_id for s in segments}))

    def replace_segments(self, tag_id: int, video_ids: Sequence[int], segments: Sequence[TagSegment]) -> None:
        generation = secrets.token_hex(8)
        self.session.write([{"_op_type": "index", "_index": self.session.index("tag_segments"),
                             "_source": segment_source(tag_id, generation, s)} for s in segments])
        self.session.write([{"_op_type": "index", "_index": self.session.index("tag_videos"),
                             "_id": f"{tag_id}-{video}",
                             "_source": {"tag_id": tag_id, "video_id": video, "generation": generation}}
                            for video in video_ids])
        for chunk in chunks(list(video_ids), 1000):
            self.session.by_query("tag_segments", {"bool": {
                "filter": [{"term": {"tag_id": tag_id}}, {"terms": {"video_id": list(chunk)}}],
                "must_not": [{"term": {"generation": generation}}]}})

    def segments(self, tag_id: int | None = None, video_id: int | None = None) -> list[tuple[int, TagSegment]]:
        filters = current_filter(tag_id, video_id)
        query = {"bool": {"filter": filters}} if filters else None
        current = {(v["tag_id"], v["video_id"]): v["generation"] for v in self.session.sources("tag_videos", query)}
        found = []
        for s in self.session.sources("tag_segments", query):
            if current.get((s["tag_id"], s["video_id"])) == s["generation"]:
                found.append((s["tag_id"], TagSegment(s["video_id"], s["start"], s["end"], s["score"],
                                                      s.get("thumbnail_item"), s.get("evidence") or {})))
        return sorted(found, key=lambda pair: (pair[1].video_id, pair[1].start))

    def applied_videos(self, tag_id: int) -> set[int]:
        return {v["video_id"] for v in self.session.sources("tag_videos", {"term": {"tag_id": tag_id}})}

    def forget_videos(self, video_ids: Sequence[int]) -> None:
        for chunk in chunks(list(video_ids), 1000):
            for kind in ("tag_segments", "tag_videos"):
                self.session.by_query(kind, {"terms": {"video_id": list(chunk)}})
