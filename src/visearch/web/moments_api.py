"""The moments and tags routes of the JSON API (on the `api` blueprint). Parameters arrive validated
in `g.params` (web/params.py); the use cases are app/moments.py', these routes only gather and shape."""
from __future__ import annotations

from flask import g, jsonify, request

from visearch.search import details
from visearch.app import moments as cases
from visearch.web import queries
from visearch.web.api import api, writes
from visearch.web.i18n import translate_answer
from visearch.web.services import services
from visearch.web.uploads import uploaded_photo


def _moment_request(params: dict) -> tuple[cases.MomentRequest, str | None]:
    """The parts of the query the request gives (an uploaded picture kept under an id), and that id."""
    pictures, upload = {}, params.get("upload")
    image = request.files.get("image")
    if image is not None or upload:
        photo, upload = uploaded_photo(image, upload, queries.store(services().library_path))
        name = image.filename if image is not None and image.filename else photo.name
        pictures[name] = photo.image
    return cases.MomentRequest(
        texts=[params["text"]] if params.get("text") else [], pictures=pictures,
        people=[params["person"]] if params.get("person") is not None else [],
        clip_texts=[params["clip_text"]] if params.get("clip_text") else [],
        products=[params["product"]] if params.get("product") else [],
        any_part=params.get("any") in (True, "1"), threshold=params.get("threshold"),
    ), upload


def _encoder():
    return services().engine().encoder  # the server's CLIP, loaded once


@api.post("/moments")
def moments():
    params = g.params
    library = services().library
    wanted, upload = _moment_request(params)
    videos = [params["video"]] if params.get("video") is not None else ()
    with services().searching():
        data = cases.find(library, wanted, videos=videos, encoder=_encoder)
    data["upload"] = upload
    return jsonify(translate_answer(data))


@api.get("/tags")
def tags():
    return jsonify({"tags": cases.list_tags(services().library)})


@api.post("/tags")
@writes
def add_tag():
    wanted, _ = _moment_request(g.params)
    tag = cases.add_tag(services().library, g.params["name"], wanted, replace=bool(g.params.get("replace")),
                        encoder=_encoder)
    response = jsonify(tag)
    response.status_code = 201
    return response


@api.get("/tags/<int:tag_id>")
def tag(tag_id: int):
    borderline = g.params.get("borderline") == "1"
    with services().searching():
        return jsonify(translate_answer(cases.show_tag(services().library, tag_id, borderline=borderline)))


@api.delete("/tags/<int:tag_id>")
@writes
def remove_tag(tag_id: int):
    return jsonify({"removed": cases.remove_tag(services().library, tag_id)["removed"]})


@api.get("/videos/<int:video_id>/timeline")
def timeline(video_id: int):
    return jsonify(details.video_timeline(services().library, video_id))
