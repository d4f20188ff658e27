"""Shop the moment and cut-outs, on the `api` blueprint: a video frame searched against the catalogue, and an
object lifted from a photo or frame as a PNG. The use cases are app/searching.py and app/cutout.py."""
from __future__ import annotations

import json
from urllib.parse import quote

from flask import Response, g, jsonify, request

from visearch.errors import N_
from visearch.indexer.errors import InvalidInput
from visearch.indexer.images import parse_box
from visearch.app import cutout as cutting, searching
from visearch.web import queries, views
from visearch.web.api import api
from visearch.web.i18n import translate_answer, translate_text
from visearch.web.services import services
from visearch.web.uploads import uploaded_photo


def _moment(params: dict) -> str:
    return f"{params['video']}@{params['time']}"


@api.post("/search/frame")
def search_frame():
    params = g.params
    box = parse_box(params["box"]) if params.get("box") else None
    engine = services().engine()
    with services().searching():
        answer = searching.search_frame(engine, _moment(params), box=box, k=params.get("k") or 10)
    return jsonify(views.safe_links(translate_answer(answer)))


@api.post("/cutout")
def cutout():
    params = g.params
    box = parse_box(params["box"]) if params.get("box") else None
    outline = _outline(params.get("outline"))
    image = request.files.get("image")
    if image is not None or params.get("upload"):
        picture, _ = uploaded_photo(image, params.get("upload"), queries.store(services().library_path))
        source = cutting.source_photo(None, photo=picture)
    elif params.get("video") is not None and params.get("time") is not None:
        source = cutting.source_photo(services().library, frame=_moment(params))
    else:
        raise InvalidInput(N_("send an image (multipart field 'image'), an 'upload' id, or a 'video' and a 'time'"),
                           code="frame_search_needs_input")
    reference = cutting.reference_image(services().library, params["item"]) if params.get("item") and outline else None
    person = bool(params.get("person"))
    done = cutting.cutout(source, box=box, outline=outline, reference=reference, background=params.get("background"),
                          person=person, people=services().people_model() if person else None, blur=params.get("blur"))
    headers = {"X-Visearch-Notice": quote(translate_text(done.notices[0]))} if done.notices else {}
    if done.cutout is None:  # the whole photo, its background blurred
        return Response(cutting.encoded(done, ".jpg"), mimetype="image/jpeg",
                        headers={"Content-Disposition": 'inline; filename="portrait.jpg"', **headers})
    return Response(cutting.encoded(done), mimetype="image/png",
                    headers={"Content-Disposition": 'inline; filename="cutout.png"',
                             "X-Visearch-Crop": ",".join(map(str, done.cutout.box)), **headers})


def _outline(value):
    """The outline as JSON points ([[x, y], …]), from a JSON body or a form field."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput(N_("outline: a JSON list of [x, y] points"), code="cutout_outline") from None
    if not isinstance(value, list) or not 3 <= len(value) <= 64 or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p) for p in value):
        raise InvalidInput(N_("outline: 3 to 64 [x, y] points"), code="cutout_outline")
    return value
