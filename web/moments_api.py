"""The moments and tags routes of the JSON API (on the `api` blueprint). Parameters arrive validated
in `g.params` (web/params.py); the queries are search/moments', these routes only gather and shape."""
from __future__ import annotations

from flask import abort, g, jsonify, request

from search import details
from web import queries, views
from web.api import api
from web.services import services
from web.uploads import BadUpload, read_upload


def _moment_query(params: dict):
    """The query the request describes, its picture encoded; and the id the picture is kept under."""
    from search.moments.encode import encode
    from search.moments.query import Clause, MomentQuery

    library = services().library
    clauses, pictures, upload = [], {}, params.get("upload")
    image = request.files.get("image")
    if image is not None or upload:
        stored = queries.store(services().library_path)
        photo = read_upload(image) if image is not None else stored.get(upload)
        if photo is None:
            raise BadUpload(404, "upload: that photo is no longer kept; upload it again")
        upload = stored.put(photo) if image is not None else upload
        name = image.filename if image is not None and image.filename else f"photo {upload[:8]}"
        pictures[name] = photo
        clauses.append(Clause("image", name))
    if params.get("text"):
        clauses.append(Clause("text", params["text"]))
    if params.get("person") is not None:
        row = details.person(library, params["person"])  # 404 for an unknown person
        # by name where the name says who it is (a tag then reads "person "Ann""), else by id
        named = row.name and library.faces.find_person(row.name) == row.id
        clauses.append(Clause("person", row.name if named else str(row.id)))
    if params.get("clip_text"):
        clauses.append(Clause("clip_text", params["clip_text"]))
    combine = "or" if params.get("any") in (True, "1") else "and"
    query = MomentQuery(clauses, combine).check()
    return encode(library, query, pictures, encoder=lambda: services().engine().encoder), upload


@api.post("/moments")
def moments():
    from search.moments.find import find_moments
    from search.moments.tags import moments_json, notes

    params = g.params
    library = services().library
    query, upload = _moment_query(params)
    videos = None
    if params.get("video") is not None:
        if params["video"] not in library.docs.get_videos([params["video"]]):
            abort(404, f"video: no video {params['video']}")
        videos = [params["video"]]
    with services().searching():
        found = find_moments(library, query.with_threshold(params.get("threshold")), videos=videos)
    data = moments_json(library, found, query.describe(), notes(library, query))
    data["upload"] = upload
    return jsonify(data)


@api.get("/tags")
def tags():
    from search.moments.tags import tag_json

    return jsonify({"tags": [tag_json(t) for t in services().library.tags.tags()]})


@api.post("/tags")
def add_tag():
    from search.moments.tags import add_tag as save, tag_json

    views.require_token()
    params = g.params
    library = services().library
    query, _ = _moment_query(params)
    with library.writing(wait=5):
        tag = save(library, params["name"], query, params.get("threshold"), replace=bool(params.get("replace")))
        library.save()
    response = jsonify(tag_json(tag))
    response.status_code = 201
    return response


def _tag(tag_id: int):
    found = next((t for t in services().library.tags.tags() if t.id == tag_id), None)
    if found is None:
        abort(404, f"no tag {tag_id}")
    return found


@api.get("/tags/<int:tag_id>")
def tag(tag_id: int):
    from search.moments.tags import borderline, moments_json, stored_moments, tag_json

    library = services().library
    found = _tag(tag_id)
    if g.params.get("borderline") == "1":
        with services().searching():
            moments = borderline(library, found)
    else:
        moments = stored_moments(library, found)
    return jsonify({"tag": tag_json(found), **moments_json(library, moments, tag_json(found)["query"])})


@api.delete("/tags/<int:tag_id>")
def remove_tag(tag_id: int):
    views.require_token()
    library = services().library
    found = _tag(tag_id)
    with library.writing(wait=5):
        library.tags.delete_tag(found.id)
        library.save()
    return jsonify({"removed": found.id})


@api.get("/videos/<int:video_id>/timeline")
def timeline(video_id: int):
    return jsonify(details.video_timeline(services().library, video_id))
