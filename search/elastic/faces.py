"""Faces, tracks and people on Elasticsearch: the same operations as `SqliteFaceStore`.

A face's `person_id` is always its effective person (a tracked face follows
its track), and each item carries the ids of the people on it, refreshed
whenever assignments change, so "items with this person" is one term query.
"""
from __future__ import annotations

import base64
import time
from typing import Iterable, Sequence

import numpy as np

from indexer.records import Face, Track
from search.elastic.documents import EsDocumentStore
from search.sqlite.faces import FaceRow, PersonRow, TrackRow, Unit

COVER_SCORE = "(doc['usable'].value ? 1e9 : 0) + doc['size'].value * Math.min(doc['sharpness'].value, 200)"


def encode_vector(vector: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(vector, dtype=np.float32).tobytes()).decode()


def _decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.float32).copy()


class EsFaceStore:
    def __init__(self, documents: EsDocumentStore) -> None:
        self.docs = documents

    # -- writing what the indexer found

    def add_tracks(self, video_id: int, tracks: Sequence[Track]) -> list[int]:
        ids = self.docs.allocate("tracks", len(tracks))
        self.docs.write([{
            "_op_type": "index", "_index": self.docs.index("tracks"), "_id": str(track_id),
            "_source": track_source(track_id, video_id, track.shot, track.start, track.end, len(track.faces),
                                    track.usable, track.embedding),
        } for track_id, track in zip(ids, tracks)])
        return ids

    def add_faces(self, item_id: int, faces: Sequence[Face], track_ids: Sequence[int | None] | None = None) -> None:
        track_ids = track_ids or [None] * len(faces)
        item = self.docs.mget("items", [item_id], source=["kind"]).get(str(item_id), {})
        ids = self.docs.allocate("faces", len(faces))
        self.docs.write([{
            "_op_type": "index", "_index": self.docs.index("faces"), "_id": str(face_id),
            "_source": face_source(face_id, item_id, item.get("kind", "image"), face.box, face.score, face.size,
                                   face.sharpness, face.usable, face.embedding, track),
        } for face_id, face, track in zip(ids, faces, track_ids)])

    def delete_faces_of(self, item_ids: Sequence[int]) -> None:
        item_ids = [int(i) for i in item_ids]
        for start in range(0, len(item_ids), 1000):
            self.docs.by_query("faces", {"terms": {"item_id": item_ids[start : start + 1000]}})
        self._refresh_people(item_ids)

    def faces_of(self, item_ids: Sequence[int]) -> dict[int, list[FaceRow]]:
        found: dict[int, list[FaceRow]] = {int(i): [] for i in item_ids}
        keys = list(found)
        for start in range(0, len(keys), 1000):
            for hit in self.docs.scan("faces", {"terms": {"item_id": keys[start : start + 1000]}},
                                      sort=[{"size": "desc"}, {"id": "asc"}]):
                face = _face_row(hit["_source"])
                found[face.item_id].append(face)
        return found

    # -- clustering input and output

    def units(self) -> list[Unit]:
        faces = [Unit("face", s["id"], _decode(s["embedding"]), 1, s["usable"], s.get("person_id"))
                 for s in self._sources("faces", {"bool": {"must_not": {"exists": {"field": "track_id"}}}})]
        tracks = [Unit("track", s["id"], _decode(s["embedding"]), s["faces"], s["usable"], s.get("person_id"))
                  for s in self._sources("tracks")]
        return faces + tracks

    def assign(self, assignments: Sequence[tuple[str, int, int | None]]) -> None:
        """Set the person of faces and tracks; a track's faces follow it."""
        face_ids = [unit_id for kind, unit_id, _ in assignments if kind == "face"]
        track_ids = [unit_id for kind, unit_id, _ in assignments if kind == "track"]
        self.docs.write([{
            "_op_type": "update", "_index": self.docs.index("tracks" if kind == "track" else "faces"),
            "_id": str(unit_id), "doc": {"person_id": person},
        } for kind, unit_id, person in assignments])
        by_person: dict[int | None, list[int]] = {}
        for kind, unit_id, person in assignments:
            if kind == "track":
                by_person.setdefault(person, []).append(unit_id)
        for person, tracks in by_person.items():
            for start in range(0, len(tracks), 1000):
                self.docs.by_query("faces", {"terms": {"track_id": tracks[start : start + 1000]}},
                                   _set_person(person))
        self._refresh_people(self._items_of_faces(face_ids, track_ids))

    def delete_units(self, units: Sequence[tuple[str, int]]) -> None:
        face_ids = [unit_id for kind, unit_id in units if kind == "face"]
        track_ids = [unit_id for kind, unit_id in units if kind == "track"]
        items = self._items_of_faces(face_ids, track_ids)
        self.docs.write([{"_op_type": "delete", "_index": self.docs.index("tracks" if kind == "track" else "faces"),
                          "_id": str(unit_id)} for kind, unit_id in units])
        for start in range(0, len(track_ids), 1000):  # a track's faces go with it
            self.docs.by_query("faces", {"terms": {"track_id": track_ids[start : start + 1000]}})
        self._refresh_people(items)

    # -- people

    def create_person(self, name: str = "") -> int:
        [person_id] = self.docs.allocate("people", 1)
        self.docs.write([{"_op_type": "index", "_index": self.docs.index("people"), "_id": str(person_id),
                          "_source": person_source(person_id, name)}])
        return person_id

    def rename(self, person_id: int, name: str) -> None:
        self._update_person(person_id, {"name": name})

    def set_hidden(self, person_id: int, hidden: bool) -> None:
        self._update_person(person_id, {"hidden": bool(hidden)})

    def merge(self, keep: int, other: int) -> None:
        people = self.docs.mget("people", [keep, other])
        if str(keep) not in people or str(other) not in people:
            return
        items = self._items_with_people([other])
        for kind in ("faces", "tracks"):
            self.docs.by_query(kind, {"term": {"person_id": other}}, _set_person(keep))
        kept, merged = people[str(keep)], people[str(other)]
        vectors = (kept.get("references") or {}).get("vectors", []) + (merged.get("references") or {}).get("vectors", [])
        self._update_person(keep, {"references": {"vectors": vectors}, "name": kept.get("name") or merged.get("name", "")})
        self.docs.write([{"_op_type": "delete", "_index": self.docs.index("people"), "_id": str(other)}])
        self._refresh_people(items)

    def forget(self, person_id: int, signature: np.ndarray | None) -> None:
        """Delete the person, every face and track of theirs and their references; keep `signature` only."""
        items = self._items_with_people([person_id])
        self.docs.by_query("faces", {"term": {"person_id": person_id}})
        self.docs.by_query("tracks", {"term": {"person_id": person_id}})
        self.docs.write([{"_op_type": "delete", "_index": self.docs.index("people"), "_id": str(person_id)}])
        if signature is not None:
            self.docs.write([{"_op_type": "index", "_index": self.docs.index("forgotten"),
                              "_source": {"embedding": encode_vector(signature), "forgotten_at": int(time.time() * 1000)}}])
        self._refresh_people(items)

    def forgotten(self) -> list[np.ndarray]:
        return [_decode(s["embedding"]) for s in self._sources("forgotten")]

    def add_reference(self, person_id: int, embedding: np.ndarray) -> None:
        self.docs.client.update(
            index=self.docs.index("people"), id=str(person_id), retry_on_conflict=10, refresh=False,
            script={"source": "if (ctx._source.references == null) { ctx._source.references = ['vectors': []] } "
                              "ctx._source.references.vectors.add(params.v)", "params": {"v": encode_vector(embedding)}},
        )
        self.docs.touched()

    def references(self) -> dict[int, list[np.ndarray]]:
        found: dict[int, list[np.ndarray]] = {}
        for s in self._sources("people"):
            vectors = (s.get("references") or {}).get("vectors", [])
            if vectors:
                found[s["id"]] = [_decode(v) for v in vectors]
        return found

    def people(self, ids: Sequence[int] | None = None) -> list[PersonRow]:
        if ids is not None and not ids:
            return []
        query = {"terms": {"id": [int(i) for i in ids]}} if ids is not None else None
        people = list(self._sources("people", query))
        if not people:
            return []
        person_ids = [p["id"] for p in people]
        faces = self.docs.search("faces", size=0, query={"terms": {"person_id": person_ids}}, aggs={"person": {
            "terms": {"field": "person_id", "size": len(person_ids)},
            "aggs": {
                "photos": {"filter": {"term": {"kind": "image"}},
                           "aggs": {"items": {"cardinality": {"field": "item_id", "precision_threshold": 40000}}}},
                "cover": {"top_hits": {"size": 1, "_source": ["id", "item_id", "box"], "sort": [
                    {"_script": {"type": "number", "order": "desc", "script": {"source": COVER_SCORE}}}]}},
            },
        }})["aggregations"]["person"]["buckets"]
        tracks = self.docs.search("tracks", size=0, query={"terms": {"person_id": person_ids}}, aggs={"person": {
            "terms": {"field": "person_id", "size": len(person_ids)},
            "aggs": {"videos": {"cardinality": {"field": "video_id", "precision_threshold": 40000}}},
        }})["aggregations"]["person"]["buckets"]
        face_stats = {b["key"]: b for b in faces}
        track_stats = {b["key"]: b for b in tracks}
        rows = []
        for p in people:
            f, t = face_stats.get(p["id"]), track_stats.get(p["id"])
            cover = f["cover"]["hits"]["hits"][0]["_source"] if f and f["cover"]["hits"]["hits"] else None
            rows.append(PersonRow(
                p["id"], p.get("name", ""), bool(p.get("hidden")), f["doc_count"] if f else 0,
                f["photos"]["items"]["value"] if f else 0, t["videos"]["value"] if t else 0,
                t["doc_count"] if t else 0, cover["item_id"] if cover else None,
                tuple(cover["box"]) if cover else None, cover["id"] if cover else None,
            ))
        return sorted(rows, key=lambda r: (r.name == "", r.name, r.id))

    def face(self, face_id: int) -> FaceRow | None:
        found = self.docs.mget("faces", [face_id])
        return _face_row(found[str(face_id)]) if str(face_id) in found else None

    def find_person(self, key: str) -> int | None:
        """A person by id, or by name (case-insensitive: the field's normalizer lower-cases both sides)."""
        if key.isdigit():
            return int(key) if self.docs.mget("people", [key], source=False) else None
        hits = self.docs.search("people", query={"term": {"name": key}}, sort=[{"id": "asc"}], size=1,
                                source=False)["hits"]["hits"]
        return int(hits[0]["_id"]) if hits else None

    def tracks(self, person_id: int | None = None, track_ids: Sequence[int] | None = None) -> list[TrackRow]:
        if track_ids is not None:
            sources = list(self._sources("tracks", {"terms": {"id": [int(i) for i in track_ids]}}))
        else:
            sources = list(self._sources("tracks", {"term": {"person_id": person_id}},
                                         sort=[{"video_id": "asc"}, {"start": "asc"}]))
        videos = self.docs.get_videos(sorted({s["video_id"] for s in sources}))
        best = self._best_items([s["id"] for s in sources])
        rows = []
        for s in sources:
            video = videos.get(s["video_id"])
            if video is None or s["shot"] >= len(video.shots):
                continue  # as SQLite's join with shots: a track without its shot is not shown
            shot_start, shot_end = video.shots[s["shot"]]
            rows.append(TrackRow(s["id"], s["video_id"], s["shot"], s["start"], s["end"], shot_start, shot_end,
                                 _decode(s["embedding"]), best.get(s["id"])))
        return rows

    def photo_faces(self, person_id: int) -> list[FaceRow]:
        return [_face_row(s) for s in self._sources(
            "faces", {"bool": {"filter": [{"term": {"person_id": person_id}}, {"term": {"kind": "image"}}]}},
            sort=[{"size": "desc"}, {"id": "asc"}])]

    # -- internals

    def _sources(self, kind: str, query: dict | None = None, sort: list | None = None) -> Iterable[dict]:
        return (hit["_source"] for hit in self.docs.scan(kind, query, sort=sort))

    def _update_person(self, person_id: int, doc: dict) -> None:
        self.docs.write([{"_op_type": "update", "_index": self.docs.index("people"), "_id": str(person_id),
                          "doc": doc}])

    def _best_items(self, track_ids: list[int]) -> dict[int, int]:
        best: dict[int, int] = {}
        for start in range(0, len(track_ids), 1000):
            chunk = track_ids[start : start + 1000]
            buckets = self.docs.search("faces", size=0, query={"terms": {"track_id": chunk}}, aggs={"track": {
                "terms": {"field": "track_id", "size": len(chunk)},
                "aggs": {"best": {"top_hits": {"size": 1, "_source": ["item_id"], "sort": [
                    {"_script": {"type": "number", "order": "desc", "script": {"source": COVER_SCORE}}}]}}},
            }})["aggregations"]["track"]["buckets"]
            for bucket in buckets:
                best[int(bucket["key"])] = bucket["best"]["hits"]["hits"][0]["_source"]["item_id"]
        return best

    def _items_of_faces(self, face_ids: list[int], track_ids: list[int]) -> list[int]:
        items: set[int] = set()
        for field, values in (("id", face_ids), ("track_id", track_ids)):
            for start in range(0, len(values), 1000):
                items.update(s["item_id"] for s in self._sources("faces", {"terms": {field: values[start : start + 1000]}}))
        return sorted(items)

    def _items_with_people(self, people: list[int]) -> list[int]:
        return [int(hit["_id"]) for hit in self.docs.scan("items", {"terms": {"people": people}}, source=False)]

    def _refresh_people(self, item_ids: Sequence[int]) -> None:
        """Copy the people seen in each item's faces onto the item, for browse filters."""
        item_ids = sorted({int(i) for i in item_ids})
        for start in range(0, len(item_ids), 1000):
            chunk = [int(key) for key in self.docs.mget("items", item_ids[start : start + 1000], source=False)]
            people: dict[int, set[int]] = {i: set() for i in chunk}  # items that still exist
            for s in self._sources("faces", {"terms": {"item_id": chunk}}):
                if s.get("person_id") is not None:
                    people[s["item_id"]].add(s["person_id"])
            self.docs.write([{"_op_type": "update", "_index": self.docs.index("items"), "_id": str(i),
                              "doc": {"people": sorted(found)}} for i, found in people.items()])


def face_source(face_id: int, item_id: int, kind: str, box, score: float, size: float, sharpness: float,
                usable: bool, embedding: np.ndarray, track_id: int | None, person_id: int | None = None) -> dict:
    return {"id": face_id, "item_id": item_id, "kind": kind, "box": [float(v) for v in box], "score": float(score),
            "size": float(size), "sharpness": float(sharpness), "usable": bool(usable),
            "embedding": encode_vector(embedding), "track_id": track_id, "person_id": person_id}


def track_source(track_id: int, video_id: int, shot: int, start: float, end: float, faces: int, usable: bool,
                 embedding: np.ndarray, person_id: int | None = None) -> dict:
    return {"id": track_id, "video_id": video_id, "shot": shot, "start": start, "end": end, "faces": faces,
            "usable": bool(usable), "embedding": encode_vector(embedding), "person_id": person_id}


def person_source(person_id: int, name: str, hidden: bool = False, created_at: float | None = None,
                  references: Sequence[np.ndarray] = ()) -> dict:
    return {"id": person_id, "name": name, "hidden": bool(hidden),
            "created_at": int((created_at or time.time()) * 1000),
            "references": {"vectors": [encode_vector(v) for v in references]}}


def _set_person(person: int | None) -> dict:
    return {"source": "ctx._source.person_id = params.person", "params": {"person": person}}


def _face_row(s: dict) -> FaceRow:
    return FaceRow(s["id"], s["item_id"], tuple(s["box"]), s["score"], s["size"], s["sharpness"], s["usable"],
                   _decode(s["embedding"]), s.get("track_id"), s.get("person_id"))
