"""The OpenAPI 3 description of /api, built from the tables in `visearch.web.params` that also validate
each request. A test checks it against the app's real routes."""
from __future__ import annotations

from visearch.web.params import ALL, BROWSE, FORM_BODIES, GAP, JSON_BODIES, K, MAX_ID, PEOPLE_QUERY, QUERY, SEARCH_FORM


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(schema_ref: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


PERSON_ID = {"name": "person_id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}
ITEM_ID = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}
FACE_ID = {"name": "face_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}
WRITE = [{"token": []}, {}]
VIDEO_ID = {"name": "video_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0,
                                                                          "maximum": MAX_ID}}
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}

FANCAM_JOB = {"type": "object", "required": ["id", "state", "progress"], "properties": {
    "id": {"type": "string"}, "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
    "progress": {"type": "number", "minimum": 0, "maximum": 1}, "error": {"type": "string"},
    "request": {"type": "object"}, "created": {"type": "number"},
    "result": {"type": "object", "description": "when done: members (seen share), start, end, size, audio"},
    "file": {"type": "string", "nullable": True, "description": "when done: the MP4 (add ?download=1 to save it)"}}}

TAG_ID = {"name": "tag_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0,
                                                                      "maximum": MAX_ID}}
MOMENTS = {"type": "object", "required": ["query", "moments"], "properties": {
    "query": {"type": "string"}, "upload": {"type": "string", "nullable": True},
    "moments": {"type": "array", "items": {"type": "object", "required": ["video", "start", "end", "score"],
                                           "properties": {"video": {"type": "string"}, "video_id": {"type": "integer"},
                                                          "start": {"type": "number"}, "end": {"type": "number"},
                                                          "score": {"type": "number"},
                                                          "thumbnail": {"type": "string", "nullable": True},
                                                          "evidence": {"type": "object"}}}},
    "closest": {"type": "array", "description": "words found nothing: the lines read on screen nearest each text "
                "searched (distance: edits per letter, 0 to 0.5)", "items": {"type": "object", "properties": {
                    "query": {"type": "string"}, "text": {"type": "string"}, "video": {"type": "string"},
                    "video_id": {"type": "integer"}, "time": {"type": "number"}, "distance": {"type": "number"}}}}}}
TAG = {"type": "object", "required": ["id", "name", "query"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "query": {"type": "string"},
    "threshold": {"type": "number", "nullable": True}, "segments": {"type": "integer"}, "videos": {"type": "integer"}}}


def _ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


MOMENT_PATHS = {
    "/api/moments": {"post": {
        "summary": "Time spans in videos where words, a picture or a person show (AND, or OR with `any`)",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": FORM_BODIES["api.moments"]},
                                                      "application/json": {"schema": JSON_BODIES["api.moments"]}}},
        "responses": {"200": _ok(MOMENTS), "400": _error("bad field"), "404": _error("unknown person, video or upload"),
                      "413": _error("upload too large"), "422": _error("an empty or impossible query")}}},
    "/api/tags": {
        "get": {"summary": "Tags (saved moment queries) with their counts",
                "responses": {"200": _ok({"type": "object", "properties": {"tags": {"type": "array", "items": TAG}}})}},
        "post": {"summary": "Save a moment query as a tag and apply it to every video", "security": WRITE,
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": JSON_BODIES["api.add_tag"]}}},
                 "responses": {"201": _ok(TAG, "saved and applied"), "400": _error("bad field"),
                               "403": _error("token required"), "404": _error("unknown person or upload"),
                               "409": _error("a tag of that name exists: send replace: true"),
                               "422": _error("an empty or impossible query")}}},
    "/api/tags/{tag_id}": {
        "get": {"summary": "A tag and its stored moments (or, with borderline=1, those just under its threshold)",
                "parameters": [TAG_ID, {"name": "borderline", "in": "query",
                                        "schema": {"type": "string", "enum": ["0", "1"]}}],
                "responses": {"200": _ok({"type": "object"}), "404": _error("unknown tag")}},
        "delete": {"summary": "Remove a tag and its moments", "parameters": [TAG_ID], "security": WRITE,
                   "responses": {"200": {"description": "removed"}, "403": _error("token required"),
                                 "404": _error("unknown tag")}}},
    "/api/videos/{video_id}/timeline": {"get": {
        "summary": "A video's rows: one per tag and one per person, with their spans", "parameters": [VIDEO_ID],
        "responses": {"200": _ok({"type": "object"}), "404": _error("unknown video")}}},
}

PERSON = {"$ref": "#/components/schemas/Person"}
SUGGESTED_FACE = {"type": "object", "required": ["face", "person", "distance", "certainty", "item"], "properties": {
    "face": {"type": "integer"}, "person": {"type": "integer"}, "distance": {"type": "number"},
    "certainty": {"type": "number", "minimum": 0, "maximum": 1,
                  "description": "the measured chance that this face is the person (from 0.25: less likely faces "
                                 "are not asked about)"},
    "faces": {"type": "integer"}, "item": {"type": "integer"}, "path": {"type": "string"},
    "time": {"type": "number", "nullable": True}, "track": {"type": "integer", "nullable": True}}}
REVIEW = {"type": "object", "required": ["suggestions", "count", "merges"], "properties": {
    "suggestions": {"type": "array", "items": {"type": "object", "required": ["person", "faces"], "properties": {
        "person": PERSON, "faces": {"type": "array", "items": SUGGESTED_FACE}}}},
    "count": {"type": "integer"},
    "merges": {"type": "array", "items": {"type": "object", "required": ["keep", "other", "distance", "faces"],
                                          "properties": {"keep": PERSON, "other": PERSON, "distance": {"type": "number"},
                                                         "faces": {"type": "array", "items": {"type": "integer"}}}}}}}
STACKS = {"type": "object", "required": ["stacks"], "properties": {"stacks": {"type": "array", "items": {
    "type": "object", "required": ["faces", "count", "cover"], "properties": {
        "faces": {"type": "array", "items": {"type": "integer"}}, "count": {"type": "integer"},
        "cover": {"type": "object"}}}}}}
PRESENCE = {"type": "object", "required": ["id", "name", "presence"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "presence": {"type": "object", "properties": {
        "screen_time": {"type": "number", "description": "seconds on screen over all videos"},
        "videos": {"type": "integer"}, "photos": {"type": "integer"},
        "first_seen": {"type": "string", "nullable": True}, "last_seen": {"type": "string", "nullable": True},
        "dates_from_files": {"type": "integer", "description": "pictures whose date is the file's, not when taken"},
        "with": {"type": "array", "items": {"type": "object"}}, "strip": {"type": "array", "items": {"type": "object"}}}}}}


def _write(body: str, summary: str, answer: dict, conflict: str) -> dict:
    return {"post": {"summary": summary, "security": WRITE,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_BODIES[body]}}},
                     "responses": {"200": _ok(answer), "400": _error("bad field"), "403": _error("token required"),
                                   "404": _error("the face or person is gone (re-indexed, merged, forgotten)"),
                                   "409": _error(conflict)}}}


REVIEW_PATHS = {
    "/api/people/review": {"get": {
        "summary": "Suggested faces (\"Is this Karina?\") by person, most certain first, and merge suggestions",
        "responses": {"200": _ok(REVIEW)}}},
    "/api/people/review/answer": _write("api.answer", "Answer a suggestion: yes, no or skip", {"type": "object"},
                                        "the face found a person meanwhile, or shares a picture with this one"),
    "/api/people/merges/answer": _write("api.answer_merge", "Answer \"same person?\": yes merges, no is remembered",
                                        {"type": "object"}, "the two share a picture"),
    "/api/people/unassigned": {
        "get": {"summary": "Faces without a person, in look-alike stacks, biggest first",
                "parameters": QUERY["api.unassigned"], "responses": {"200": _ok(STACKS)}},
        **_write("api.settle", "Name a stack (a new person), give it to a person, or hide it as a stranger",
                 PERSON, "a face found a person meanwhile, or two faces share a picture")},
    "/api/people/{person_id}/presence": {"get": {
        "summary": "A person's screen time, videos, photos, first and last seen, companions and presence strip; "
                   "same JSON as `visearch people show ID --json`",
        "parameters": [PERSON_ID], "responses": {"200": _ok(PRESENCE), "404": _error("unknown person")}}},
}

SHOP_PATHS = {
    "/api/search/frame": {"post": {
        "summary": "Shop the moment: catalogue products in a video's frame (or a box of it); the search JSON, "
                   "with `query.frame`",
        "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_BODIES["api.search_frame"]}}},
        "responses": {"200": _json("#/components/schemas/SearchResponse"), "400": _error("bad time or box"),
                      "404": _error("unknown video"), "503": _error("models still loading; retry")}}},
    "/api/cutout": {"post": {
        "summary": "Cut an object out of a photo or a video frame (누끼): a PNG with transparency, cropped to it",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": FORM_BODIES["api.cutout"]},
                                                      "application/json": {"schema": JSON_BODIES["api.cutout"]}}},
        "responses": {"200": {"description": "the cut-out", "content": {"image/png": {}}},
                      "400": _error("bad image, box, outline or time"), "404": _error("unknown video or upload"),
                      "413": _error("upload too large")}}},
}

FANCAM_PATHS = {
    "/api/videos/{video_id}/people": {"get": {
        "summary": "The people the index saw in a video, the most seen first", "parameters": [VIDEO_ID],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                      "404": _error("unknown video")}}},
    "/api/fancams": {
        "post": {"summary": "Start a fancam: a video framed on one person, or a grid of several",
                 "security": WRITE,
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": JSON_BODIES["api.start_fancam"]}}},
                 "responses": {"202": _json("#/components/schemas/FancamJob", "started; poll its Location"),
                               "400": _error("bad request"), "403": _error("token required"),
                               "404": _error("unknown video or person"), "415": _error("not JSON"),
                               "429": _error("too many fancams waiting")}},
        "get": {"summary": "Recent fancam jobs, newest first",
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"jobs": {"type": "array", "items": {
                        "$ref": "#/components/schemas/FancamJob"}}}}}}}}}},
    "/api/fancams/{job_id}": {"get": {
        "summary": "A fancam job's state and progress; when done, its file", "parameters": [JOB_ID],
        "responses": {"200": _json("#/components/schemas/FancamJob"), "404": _error("unknown job")}}},
}


def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "visearch", "version": "1", "description": "Lens, text, people and clips over one library."},
        "paths": {
            "/api/search": {"post": {
                "summary": "Search by photo (lens) or by text; same JSON as `visearch search --json`",
                "requestBody": {"required": True, "content": {
                    "multipart/form-data": {"schema": SEARCH_FORM},
                    "application/json": {"schema": JSON_BODIES["api.search"]}}},
                "responses": {"200": _json("#/components/schemas/SearchResponse"),
                              "400": _error("bad image, box, text or k"), "404": _error("upload id no longer kept"),
                              "413": _error("upload too large"), "415": _error("not JSON"),
                              "503": _error("models still loading; retry")}}},
            "/api/status": {"get": {"summary": "Library present, model loading state",
                                    "responses": {"200": _json("#/components/schemas/Status")}}},
            "/api/stats": {"get": {"summary": "Counts, encoder and backend",
                                   "responses": {"200": _json("#/components/schemas/Stats"),
                                                 "404": _error("no library")}}},
            "/api/items/{item_id}": {"get": {"summary": "One item: OCR lines, faces, product, video",
                                             "parameters": [ITEM_ID],
                                             "responses": {"200": _json("#/components/schemas/Item"),
                                                           "404": _error("unknown item")}}},
            "/api/items/{item_id}/similar": {"get": {
                "summary": "Items that look like this one", "parameters": [ITEM_ID, K],
                "responses": {"200": _json("#/components/schemas/SearchResponse"), "404": _error("unknown item")}}},
            "/api/browse": {"get": {
                "summary": "The library, filtered and paginated",
                "parameters": BROWSE,
                "responses": {"200": _json("#/components/schemas/BrowsePage"), "400": _error("bad filter")}}},
            "/api/people": {"get": {"summary": "People with counts and cover face",
                                    "parameters": [ALL, PEOPLE_QUERY],
                                    "responses": {"200": {"description": "OK", "content": {"application/json": {
                                        "schema": {"type": "object", "properties": {"people": {
                                            "type": "array", "items": {"$ref": "#/components/schemas/Person"}}}}}}}}}},
            "/api/people/merge": {"post": {
                "summary": "Merge person `other` into person `keep`", "security": WRITE,
                "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_BODIES["api.merge"]}}},
                "responses": {"200": _json("#/components/schemas/Person"), "400": _error("bad ids"),
                              "403": _error("token required"), "404": _error("unknown person"),
                              "409": _error("the two appear together in a photo: they are two people")}}},
            "/api/people/{person_id}": {
                "get": {"summary": "One person", "parameters": [PERSON_ID],
                        "responses": {"200": _json("#/components/schemas/Person"), "404": _error("unknown person")}},
                "delete": {"summary": "Forget a person: delete their faces, tracks and references for good",
                           "parameters": [PERSON_ID], "security": WRITE,
                           "responses": {"200": {"description": "forgotten"}, "403": _error("token required"),
                                         "404": _error("unknown person")}}},
            "/api/people/{person_id}/clips": {"get": {
                "summary": "All clips of a person; same JSON as `visearch clips --json`",
                "parameters": [PERSON_ID, GAP],
                "responses": {"200": _json("#/components/schemas/Clips"), "404": _error("unknown person")}}},
            "/api/people/{person_id}/name": {"post": {
                "summary": "Name a person", "parameters": [PERSON_ID], "security": WRITE,
                "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_BODIES["api.rename"]}}},
                "responses": {"200": _json("#/components/schemas/Person"), "400": _error("bad name"),
                              "403": _error("token required"), "404": _error("unknown person")}}},
            "/api/people/{person_id}/aliases": {"post": {
                "summary": "Set the other names a person is found by (in either script)", "parameters": [PERSON_ID],
                "security": WRITE,
                "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_BODIES["api.aliases"]}}},
                "responses": {"200": _json("#/components/schemas/Person"), "400": _error("bad aliases"),
                              "403": _error("token required"), "404": _error("unknown person")}}},
            "/api/people/{person_id}/hide": {"post": {
                "summary": "Hide or unhide a person", "parameters": [PERSON_ID], "security": WRITE,
                "requestBody": {"content": {"application/json": {"schema": JSON_BODIES["api.hide"]}}},
                "responses": {"200": _json("#/components/schemas/Person"), "403": _error("token required"),
                              "404": _error("unknown person")}}},
            "/api/people/{person_id}/faces": {"get": {
                "summary": "A person's faces, best first, one per video track (ids to correct them by)",
                "parameters": [PERSON_ID],
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"faces": {"type": "array", "items": {
                        "$ref": "#/components/schemas/Face"}}}}}}}, "404": _error("unknown person")}}},
            "/api/people/{person_id}/split": {"post": {
                "summary": "Move some of a person's faces to a new person (they stay off the old one)",
                "parameters": [PERSON_ID], "security": WRITE,
                "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_BODIES["api.split"]}}},
                "responses": {"200": {"description": "the new person and the old one", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "person": {"$ref": "#/components/schemas/Person"},
                        "from": {"$ref": "#/components/schemas/Person"}}}}}},
                    "400": _error("bad faces"), "403": _error("token required"), "404": _error("unknown person"),
                    "422": _error("faces of someone else")}}},
            "/api/faces/{face_id}/reject": {"post": {
                "summary": "Not this person: the face leaves its person for good",
                "parameters": [FACE_ID], "security": WRITE,
                "responses": {"200": {"description": "the person it left", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"face": {"type": "integer"},
                                                                "from": {"$ref": "#/components/schemas/Person"}}}}}},
                    "403": _error("token required"), "404": _error("unknown face"),
                    "422": _error("the face has no person")}}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}},
            **FANCAM_PATHS,
            **MOMENT_PATHS,
            **REVIEW_PATHS,
            **SHOP_PATHS,
        },
        "components": {
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "X-Visearch-Token"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "Status": {"type": "object", "properties": {
                    "library": {"type": "boolean"}, "models": {"type": "string",
                                                                "enum": ["idle", "loading", "ready", "error"]},
                    "error": {"type": "string"}}},
                "Stats": {"type": "object", "additionalProperties": True},
                "SearchResult": {"type": "object", "required": ["id", "path", "score", "kind", "product", "ocr_text",
                                                                "evidence"],
                                 "properties": {
                                     "id": {"type": "integer"}, "path": {"type": "string"}, "score": {"type": "number"},
                                     "kind": {"type": "string", "enum": ["image", "frame"]},
                                     "product": {"type": "object", "nullable": True}, "ocr_text": {"type": "string"},
                                     "thumbnail": {"type": "string"}, "video": {"type": "string", "nullable": True},
                                     "time": {"type": "number", "nullable": True},
                                     "reasons": {"type": "array", "items": {"type": "string", "enum": [
                                         "exact", "variant", "partial", "also", "text", "visual"]},
                                         "description": "why it is shown: exact product, one of the variants the "
                                                        "photo may show, part of the package, elsewhere in the "
                                                        "photo, its words, its looks"},
                                     "evidence": {"type": "object", "description": "local (the verified outline), "
                                                  "variant (its spot in the photo, its rank among variants, sure, "
                                                  "margin, via: the product it was placed through), text matches"}}},
                "SearchResponse": {"type": "object", "required": ["query", "results"], "properties": {
                    "query": {"type": "object"}, "notices": {"type": "array", "items": {"type": "string"}},
                    "match": {"type": "string", "enum": ["exact", "similar", "none"]},
                    "message": {"type": "string"},
                    "variants": {"type": "array", "items": {"type": "integer"},
                                 "description": "results the photo may show, when it does not tell them apart"},
                    "also": {"type": "array", "items": {"type": "integer"},
                             "description": "catalogue products verified elsewhere in the photo"},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}}}},
                "Item": {"type": "object", "required": ["id", "kind", "path"], "additionalProperties": True},
                "BrowsePage": {"type": "object", "required": ["total", "page", "pages", "items"],
                               "additionalProperties": True},
                "Person": {"type": "object", "required": ["id", "name"], "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"}, "hidden": {"type": "boolean"},
                    "faces": {"type": "integer"}, "photos": {"type": "integer"}, "videos": {"type": "integer"},
                    "tracks": {"type": "integer"}, "cover": {"type": "object", "nullable": True},
                    "aliases": {"type": "array", "items": {"type": "string"}},
                    "romanized": {"type": "string", "description": "a Hangul name in the Revised Romanisation"}}},
                "Face": {"type": "object", "required": ["id", "item", "path"], "properties": {
                    "id": {"type": "integer"}, "item": {"type": "integer"}, "path": {"type": "string"},
                    "time": {"type": "number", "nullable": True}, "kind": {"type": "string"},
                    "track": {"type": "integer", "nullable": True}, "box": {"type": "array", "items": {"type": "number"}},
                    "usable": {"type": "boolean"}}},
                "FancamJob": FANCAM_JOB,
                "Clips": {"type": "object", "required": ["person", "clips", "photos"], "properties": {
                    "person": {"type": "object"},
                    "clips": {"type": "array", "items": {"type": "object", "required": ["video", "start", "end",
                                                                                         "score", "thumbnail"]}},
                    "photos": {"type": "array", "items": {"type": "object", "required": ["path", "score"]}}}},
            },
        },
    }
