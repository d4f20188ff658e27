"""Faces, tracks and people on Elasticsearch: the `FaceStore` contract (storage/faces.py).

A face's `person_id` is always its effective person (a tracked face follows
its track), and each item carries the ids of the people on it, refreshed
whenever assignments change, so "items with this person" is one term query.
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from visearch.indexer.records import Face, Track
from visearch.storage.codec import chunks, vector_base64, vector_from_base64
from visearch.storage.documents import DocumentStore
from visearch.storage.elastic.session import EsSession
from visearch.storage.elastic import schema
from visearch.storage.elastic.sources import (face_row, face_source, person_names, person_record, person_source,
                                    set_person_script, stored_vectors, track_record, track_source)
from visearch.text.names import best_match
from visearch.storage.faces import (COVER_SCORE_PAINLESS, FaceRow, ForgottenRecord, PeopleExport, PersonRow,
                                 TrackRow, Unit, cover_score)

TERMS_CHUNK = 1000
PEOPLE_PAGE = 1000  # composite-aggregation page: far below search.max_buckets whatever the number of people


class EsFaceStore:
    def __init__(self, session: EsSession, documents: DocumentStore) -> None:
        self.session = session
        self.documents = documents  # for videos' shots

    # -- writing what the indexer found

    def add_tracks(self, video_id: int, tracks: Sequence[Track]) -> list[int]:
        ids = self.session.allocate("tracks", len(tracks))
        self.session.write([{
            "_op_type": "index", "_index": self.session.index("tracks"), "_id": str(track_id),
            "_source": track_source(track_id, video_id, track.shot, track.start, track.end, len(track.faces),
                                    track.usable, track.embedding),
        } for track_id, track in zip(ids, tracks)])
        return ids

    def add_faces(self, item_id: int, faces: Sequence[Face], track_ids: Sequence[int | None] | None = None) -> None:
        track_ids = track_ids or [None] * len(faces)
        item = self.session.mget("items", [item_id], source=["kind"]).get(str(item_id), {})
        ids = self.session.allocate("faces", len(faces))
        self.session.write([{
            "_op_type": "index", "_index": self.session.index("faces"), "_id": str(face_id),
            "_source": face_source(face_id, item_id, item.get("kind", "image"), face.box, face.score, face.size,
                                   face.sharpness, face.usable, face.embedding, track),
        } for face_id, face, track in zip(ids, faces, track_ids)])

    def delete_faces_of(self, item_ids: Sequence[int]) -> None:
        item_ids = [int(i) for i in item_ids]
        for chunk in chunks(item_ids, TERMS_CHUNK):
            self.session.by_query("faces", {"terms": {"item_id": chunk}})
        self.refresh_people(item_ids)

    def faces_of(self, item_ids: Sequence[int]) -> dict[int, list[FaceRow]]:
        found: dict[int, list[FaceRow]] = {int(i): [] for i in item_ids}
        for chunk in chunks(found, TERMS_CHUNK):
            for hit in self.session.scan("faces", {"terms": {"item_id": chunk}},
                                      sort=[{"size": "desc"}, {"id": "asc"}]):
                face = face_row(hit["_source"])
                found[face.item_id].append(face)
        return found

    # -- clustering input and output

    def units(self) -> list[Unit]:
        faces = [Unit("face", s["id"], vector_from_base64(s["embedding"]), 1, s["usable"], s.get("person_id"))
                 for s in self.session.sources("faces", {"bool": {"must_not": {"exists": {"field": "track_id"}}}})]
        tracks = [Unit("track", s["id"], vector_from_base64(s["embedding"]), s["faces"], s["usable"], s.get("person_id"))
                  for s in self.session.sources("tracks")]
        return faces + tracks

    def assign(self, assignments: Sequence[tuple[str, int, int | None]]) -> None:
        """Set the person of faces and tracks; a track's faces follow it."""
        face_ids = [unit_id for kind, unit_id, _ in assignments if kind == "face"]
        track_ids = [unit_id for kind, unit_id, _ in assignments if kind == "track"]
        self.session.write([{
            "_op_type": "update", "_index": self.session.index("tracks" if kind == "track" else "faces"),
            "_id": str(unit_id), "doc": {"person_id": person},
        } for kind, unit_id, person in assignments])
        by_person: dict[int | None, list[int]] = {}
        for kind, unit_id, person in assignments:
            if kind == "track":
                by_person.setdefault(person, []).append(unit_id)
        for person, tracks in by_person.items():
            for chunk in chunks(tracks, TERMS_CHUNK):
                self.session.by_query("faces", {"terms": {"track_id": chunk}}, set_person_script(person))
        self.refresh_people(self._items_of_faces(face_ids, track_ids))

    def delete_units(self, units: Sequence[tuple[str, int]]) -> None:
        face_ids = [unit_id for kind, unit_id in units if kind == "face"]
        track_ids = [unit_id for kind, unit_id in units if kind == "track"]
        items = self._items_of_faces(face_ids, track_ids)
        self.session.write([{"_op_type": "delete", "_index": self.session.index("tracks" if kind == "track" else "faces"),
                          "_id": str(unit_id)} for kind, unit_id in units])
        for chunk in chunks(track_ids, TERMS_CHUNK):  # a track's faces go with it
            self.session.by_query("faces", {"terms": {"track_id": chunk}})
        self.refresh_people(items)

    # -- people

    def create_person(self, name: str = "") -> int:
        [person_id] = self.session.allocate("people", 1)
        self.session.write([{"_op_type": "index", "_index": self.session.index("people"), "_id": str(person_id),
                          "_source": person_source(person_id, name)}])
        return person_id

    def rename(self, person_id: int, name: str) -> None:
        found = self.session.mget("people", [person_id]).get(str(person_id)) or {}
        self._update_person(person_id, person_names(name, found.get("aliases") or []))

    def set_aliases(self, person_id: int, aliases: Sequence[str]) -> None:
        found = self.session.mget("people", [person_id]).get(str(person_id)) or {}
        self._update_person(person_id, person_names(found.get("name", ""), list(aliases)))

    def set_hidden(self, person_id: int, hidden: bool) -> None:
        self._update_person(person_id, {"hidden": bool(hidden)})

    def merge(self, keep: int, other: int) -> None:
        people = self.session.mget("people", [keep, other])
        if str(keep) not in people or str(other) not in people:
            return
        items = self._items_with_people([other])
        for kind in ("faces", "tracks"):
            self.session.by_query(kind, {"term": {"person_id": other}}, set_person_script(keep))
        kept, merged = people[str(keep)], people[str(other)]
        combined = {field: {"vectors": (kept.get(field) or {}).get("vectors", []) + (merged.get(field) or {}).get(
            "vectors", [])} for field in ("references", "rejected")}
        self._update_person(keep, {**combined, "name": kept.get("name") or merged.get("name", "")})
        self.session.write([{"_op_type": "delete", "_index": self.session.index("people"), "_id": str(other)}])
        self.refresh_people(items)

    def forget(self, person_id: int, signature: np.ndarray | None) -> None:
        """Delete the person, every face and track of theirs and their references; keep `signature` only."""
        items = self._items_with_people([person_id])
        self.session.by_query("faces", {"term": {"person_id": person_id}})
        self.session.by_query("tracks", {"term": {"person_id": person_id}})
        self.session.write([{"_op_type": "delete", "_index": self.session.index("people"), "_id": str(person_id)}])
        if signature is not None:
            self.session.write([{"_op_type": "index", "_index": self.session.index("forgotten"),
                              "_source": {"embedding": vector_base64(signature), "forgotten_at": int(time.time() * 1000)}}])
        self.refresh_people(items)

    def forgotten(self) -> list[np.ndarray]:
        return [vector_from_base64(s["embedding"]) for s in self.session.sources("forgotten")]

    def add_reference(self, person_id: int, embedding: np.ndarray) -> None:
        self._append_vector(person_id, "references", embedding)

    def references(self) -> dict[int, list[np.ndarray]]:
        return self._person_vectors("references")

    def add_rejection(self, person_id: int, embedding: np.ndarray) -> None:
        self._append_vector(person_id, "rejected", embedding)

    def rejections(self) -> dict[int, list[np.ndarray]]:
        return self._person_vectors("rejected")

    def _append_vector(self, person_id: int, field: str, embedding: np.ndarray) -> None:
        self.session.client.update(index=self.session.index("people"), id=str(person_id),
                                   **schema.append_vector_request(field, vector_base64(embedding)))
        self.session.touched()

    def _person_vectors(self, field: str) -> dict[int, list[np.ndarray]]:
        found = {s["id"]: stored_vectors(s, field) for s in self.session.sources("people")}
        return {person: vectors for person, vectors in found.items() if vectors}

    def co_occurring(self) -> list[list[tuple[str, int]]]:
        groups: dict[int, list[tuple[str, int]]] = {}
        for s in self.session.sources("faces", sort=[{"item_id": "asc"}, {"id": "asc"}]):
            unit = ("track", s["track_id"]) if s.get("track_id") is not None else ("face", s["id"])
            if unit not in groups.setdefault(s["item_id"], []):
                groups[s["item_id"]].append(unit)
        return [units for units in groups.values() if len(units) > 1]

    def shared_items(self, person_a: int, person_b: int) -> list[int]:
        items = [{s["item_id"] for s in self.session.sources("faces", {"term": {"person_id": person}})}
                 for person in (person_a, person_b)]
        return sorted(items[0] & items[1])

    def person_faces(self, person_id: int) -> list[FaceRow]:
        faces = [face_row(s) for s in self.session.sources("faces", {"term": {"person_id": person_id}})]
        return sorted(faces, key=lambda f: (-cover_score(f.usable, f.size, f.sharpness), f.id))

    def people(self, ids: Sequence[int] | None = None) -> list[PersonRow]:
        if ids is not None and not ids:
            return []
        query = {"terms": {"id": [int(i) for i in ids]}} if ids is not None else None
        people = list(self.session.sources("people", query))
        if not people:
            return []
        faces = self._per_person("faces", face_stats_aggs(), query and {"terms": {"person_id": [int(i) for i in ids]}})
        tracks = self._per_person("tracks", track_stats_aggs(),
                                  query and {"terms": {"person_id": [int(i) for i in ids]}})
        rows = [person_row(p, faces.get(p["id"]), tracks.get(p["id"])) for p in people]
        return sorted(rows, key=lambda r: (r.name == "", r.name, r.id))

    def _per_person(self, kind: str, aggs: dict, query: dict | None) -> dict[int, dict]:
        """Per-person statistics, a page of people at a time (a `terms` aggregation sized to every
        person would pass `search.max_buckets` past tens of thousands of people)."""
        found: dict[int, dict] = {}
        after = None
        while True:
            response = self.session.search(kind, size=0, query=query or {"exists": {"field": "person_id"}},
                                           aggs=people_page_aggs(aggs, after))
            page = response["aggregations"]["person"]
            for bucket in page["buckets"]:
                found[int(bucket["key"]["person"])] = bucket
            after = page.get("after_key")
            if not page["buckets"] or after is None:
                return found

    def face(self, face_id: int) -> FaceRow | None:
        found = self.session.mget("faces", [face_id])
        return face_row(found[str(face_id)]) if str(face_id) in found else None

    def find_person(self, key: str) -> int | None:
        """A person by id, name or alias, in either script: candidates by term (the name fields' normalizer
        lower-cases both sides), the choice by text/names.py as in SQLite."""
        if key.isdigit() and self.session.mget("people", [key], source=False):
            return int(key)
        hits = self.session.search("people", query=find_person_query(key), sort=[{"id": "asc"}], size=50,
                                   source=["id", "name", "aliases"])["hits"]["hits"]
        found = best_match(key, [(int(h["_id"]), h["_source"].get("name", ""), h["_source"].get("aliases") or [])
                                 for h in hits])
        if found is None:  # spelled as people spell it (Park Ji-sung for 박지성): no stored key says so; ask them all
            found = best_match(key, self.names())
        return found

    def names(self) -> list[tuple[int, str, list[str]]]:
        """Every person's (id, name, aliases), for matching a name as typed (people are few beside faces)."""
        return [(int(s["id"]), s.get("name", ""), s.get("aliases") or [])
                for s in self.session.sources("people", {"match_all": {}}, sort=[{"id": "asc"}])]

    def tracks(self, person_id: int | None = None, track_ids: Sequence[int] | None = None) -> list[TrackRow]:
        if track_ids is not None:
            sources = list(self.session.sources("tracks", {"terms": {"id": [int(i) for i in track_ids]}}))
        else:
            sources = list(self.session.sources("tracks", {"term": {"person_id": person_id}},
                                         sort=[{"video_id": "asc"}, {"start": "asc"}]))
        videos = self.documents.get_videos(sorted({s["video_id"] for s in sources}))
        best = self._best_items([s["id"] for s in sources])
        rows = []
        for s in sources:
            video = videos.get(s["video_id"])
            if video is None or s["shot"] >= len(video.shots):
                continue  # as SQLite's join with shots: a track without its shot is not shown
            shot_start, shot_end = video.shots[s["shot"]]
            rows.append(TrackRow(s["id"], s["video_id"], s["shot"], s["start"], s["end"], shot_start, shot_end,
                                 vector_from_base64(s["embedding"]), best.get(s["id"])))
        return rows

    def photo_faces(self, person_id: int) -> list[FaceRow]:
        return [face_row(s) for s in self.session.sources(
            "faces", {"bool": {"filter": [{"term": {"person_id": person_id}}, {"term": {"kind": "image"}}]}},
            sort=[{"size": "desc"}, {"id": "asc"}])]

    # -- moving between backends

    def export(self) -> PeopleExport:
        return PeopleExport(
            (person_record(s) for s in self.session.sources("people", sort=[{"id": "asc"}])),
            (track_record(s) for s in self.session.sources("tracks", sort=[{"id": "asc"}])),
            (face_row(s) for s in self.session.sources("faces", sort=[{"id": "asc"}])),
            (ForgottenRecord(vector_from_base64(s["embedding"]), s.get("forgotten_at", 0) / 1000)
             for s in self.session.sources("forgotten")),
        )

    def import_records(self, records: PeopleExport) -> None:
        """Write with ids kept, move the id counters past them, then copy people onto their items."""
        top = {"people": 0, "tracks": 0, "faces": 0}
        for batch in chunks(records.people, TERMS_CHUNK):
            self.session.write([self._index_action("people", r.id, person_source(
                r.id, r.name, r.hidden, r.created_at, r.references, r.rejected, r.aliases)) for r in batch])
            top["people"] = max([top["people"]] + [r.id for r in batch])
        for batch in chunks(records.tracks, TERMS_CHUNK):
            self.session.write([self._index_action("tracks", r.id, track_source(
                r.id, r.video_id, r.shot, r.start, r.end, r.faces, r.usable, r.embedding, r.person_id))
                for r in batch])
            top["tracks"] = max([top["tracks"]] + [r.id for r in batch])
        items: set[int] = set()
        for batch in chunks(records.faces, TERMS_CHUNK):
            kinds = {int(k): s.get("kind", "image") for k, s in
                     self.session.mget("items", {f.item_id for f in batch}, source=["kind"]).items()}
            self.session.write([self._index_action("faces", f.id, face_source(
                f.id, f.item_id, kinds.get(f.item_id, "image"), f.box, f.score, f.size, f.sharpness, f.usable,
                f.embedding, f.track_id, f.person_id)) for f in batch])
            top["faces"] = max([top["faces"]] + [f.id for f in batch])
            items.update(f.item_id for f in batch)
        self.session.write([{"_op_type": "index", "_index": self.session.index("forgotten"), "_source": {
            "embedding": vector_base64(r.embedding), "forgotten_at": int(r.forgotten_at * 1000)}}
            for r in records.forgotten])
        for sequence, at_least in top.items():
            self.session.advance(sequence, at_least)
        self.refresh_people(sorted(items))

    def _index_action(self, kind: str, doc_id: int, source: dict) -> dict:
        return {"_op_type": "index", "_index": self.session.index(kind), "_id": str(doc_id), "_source": source}

    # -- internals

    def _update_person(self, person_id: int, doc: dict) -> None:
        self.session.write([{"_op_type": "update", "_index": self.session.index("people"), "_id": str(person_id),
                          "doc": doc}])

    def _best_items(self, track_ids: list[int]) -> dict[int, int]:
        best: dict[int, int] = {}
        for chunk in chunks(track_ids, TERMS_CHUNK):
            buckets = self.session.search("faces", size=0, query={"terms": {"track_id": chunk}}, aggs={"track": {
                "terms": {"field": "track_id", "size": len(chunk)},
                "aggs": {"best": {"top_hits": {"size": 1, "_source": ["item_id"], "sort": cover_sort()}}},
            }})["aggregations"]["track"]["buckets"]
            for bucket in buckets:
                best[int(bucket["key"])] = bucket["best"]["hits"]["hits"][0]["_source"]["item_id"]
        return best

    def _items_of_faces(self, face_ids: list[int], track_ids: list[int]) -> list[int]:
        items: set[int] = set()
        for field, values in (("id", face_ids), ("track_id", track_ids)):
            for chunk in chunks(values, TERMS_CHUNK):
                items.update(s["item_id"] for s in self.session.sources("faces", {"terms": {field: chunk}}))
        return sorted(items)

    def _items_with_people(self, people: list[int]) -> list[int]:
        return [int(hit["_id"]) for hit in self.session.scan("items", {"terms": {"people": people}}, source=False)]

    def refresh_people(self, item_ids: Sequence[int]) -> None:
        """Copy the people seen in each item's faces onto the item, for browse filters."""
        item_ids = sorted({int(i) for i in item_ids})
        for batch in chunks(item_ids, TERMS_CHUNK):
            chunk = [int(key) for key in self.session.mget("items", batch, source=False)]
            people: dict[int, set[int]] = {i: set() for i in chunk}  # items that still exist
            for s in self.session.sources("faces", {"terms": {"item_id": chunk}}):
                if s.get("person_id") is not None:
                    people[s["item_id"]].add(s["person_id"])
            self.session.write([{"_op_type": "update", "_index": self.session.index("items"), "_id": str(i),
                              "doc": {"people": sorted(found)}} for i, found in people.items()])


# -- request bodies (pure, unit-tested)


def cover_sort() -> list[dict]:
    """The best face first (`cover_score`, storage/faces.py), ties by id as in SQLite."""
    return [{"_script": {"type": "number", "order": "desc", "script": {"source": COVER_SCORE_PAINLESS}}},
            {"id": "asc"}]


def face_stats_aggs() -> dict:
    return {
        "photos": {"filter": {"term": {"kind": "image"}},
                   "aggs": {"items": {"cardinality": {"field": "item_id", "precision_threshold": 40000}}}},
        "cover": {"top_hits": {"size": 1, "_source": ["id", "item_id", "box"], "sort": cover_sort()}},
    }


def track_stats_aggs() -> dict:
    return {"videos": {"cardinality": {"field": "video_id", "precision_threshold": 40000}}}


def people_page_aggs(per_person: dict, after: dict | None = None) -> dict:
    """One page of a `composite` aggregation over person_id, with `per_person` under each bucket."""
    composite: dict = {"size": PEOPLE_PAGE, "sources": [{"person": {"terms": {"field": "person_id"}}}]}
    if after:
        composite["after"] = after
    return {"person": {"composite": composite, "aggs": per_person}}


def find_person_query(key: str) -> dict:
    """People whose name or alias is the key, or who share its spelling key (카리나 for Karina)."""
    from visearch.text.hangul import name_key

    should = [{"term": {"name": key}}, {"term": {"aliases": key}}]
    if name_key(key):
        should.append({"term": {"name_keys": name_key(key)}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def person_row(person: dict, faces: dict | None, tracks: dict | None) -> PersonRow:
    hits = faces["cover"]["hits"]["hits"] if faces else []
    cover = hits[0]["_source"] if hits else None
    return PersonRow(
        person["id"], person.get("name", ""), bool(person.get("hidden")), faces["doc_count"] if faces else 0,
        faces["photos"]["items"]["value"] if faces else 0, tracks["videos"]["value"] if tracks else 0,
        tracks["doc_count"] if tracks else 0, cover["item_id"] if cover else None,
        tuple(cover["box"]) if cover else None, cover["id"] if cover else None, tuple(person.get("aliases") or ()),
    )
