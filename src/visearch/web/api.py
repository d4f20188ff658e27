"""JSON API. Parameters arrive validated in `g.params` (see `visearch.web.params`); each view calls its use case
(`app/`) and shapes JSON, nothing else. Writes go through `writes` (the token check)."""
from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, abort, current_app, g, jsonify, request

from visearch.defaults import FANCAM_ASPECT
from visearch.errors import N_
from visearch.indexer.errors import InvalidInput
from visearch.indexer.images import parse_box
from visearch.search import details
from visearch.app import fancams, people as people_cases, searching
from visearch.web import queries, views
from visearch.web.i18n import translate_answer, translate_document
from visearch.web.services import services
from visearch.web.uploads import uploaded_photo

api = Blueprint("api", __name__, url_prefix="/api")


def writes(view):
    """A view that changes the library: it needs the write token when the server is reachable from elsewhere.
    (Its use case holds the writer lock and saves.)"""
    @wraps(view)
    def checked(*args, **kwargs):
        views.require_token()
        return view(*args, **kwargs)

    return checked


@api.post("/search")
def search():
    params = g.params
    k = params.get("k") or 10
    image = request.files.get("image")
    if image is not None or params.get("upload"):
        photo, upload = uploaded_photo(image, params.get("upload"), queries.store(services().library_path))
        box = parse_box(params["box"]) if params.get("box") else None
        engine = services().engine()  # after the photo: a bad one is a 400 even while models load
        with services().searching():
            answer = searching.search_photo(engine, photo, box=box, k=k, suggest=params.get("suggest") == "1",
                                            products_only=params.get("products") == "1")
        answer["query"]["upload"] = upload
        return jsonify(views.safe_links(translate_answer(answer)))
    if not (params.get("text") or "").strip():
        raise InvalidInput(N_("send an image (multipart field 'image'), an 'upload' id or a non-empty 'text'"),
                           code="search_needs_input")
    engine = services().engine()
    with services().searching():
        answer = searching.search_text(engine, params["text"], k=k)
    return jsonify(views.safe_links(translate_answer(answer)))


@api.get("/status")
def status():
    svc = services()
    if svc.model_state == "idle" and svc.has_library():
        svc.warm_up()
    return jsonify({"library": svc.has_library(), "models": svc.model_state, "error": svc.model_error,
                    "instance": current_app.config.get("INSTANCE", "")})


@api.get("/stats")
def stats():
    return jsonify(details.library_stats(services().library))


@api.get("/items/<int:item_id>")
def item(item_id: int):
    return jsonify(views.safe_links(details.item_details(services().library, item_id)))


@api.get("/items/<int:item_id>/similar")
def similar(item_id: int):
    details.item_details(services().library, item_id)  # 404 before waiting for models
    engine = services().engine()
    with services().searching():
        answer = searching.similar(engine, item_id, k=g.params.get("k") or 10)
    return jsonify(views.safe_links(answer))


@api.get("/browse")
def browse():
    query = views.browse_query(g.params)
    return jsonify(views.safe_links(details.browse_page(services().library, query)))


@api.get("/people")
def people():
    include_hidden = g.params.get("all") == "1"
    return jsonify({"people": details.people_list(services().library, include_hidden=include_hidden,
                                                  query=g.params.get("q") or "")})


@api.get("/people/<int:person_id>")
def person(person_id: int):
    return jsonify(details.person_json(details.person(services().library, person_id)))


@api.get("/people/<int:person_id>/clips")
def clips(person_id: int):
    return jsonify(details.person_clips(services().library, person_id, gap=g.params.get("gap") or 0.0))


@api.post("/people/<int:person_id>/name")
@writes
def rename(person_id: int):
    return jsonify(people_cases.rename(services().library, person_id, g.params["name"]))


@api.post("/people/<int:person_id>/aliases")
@writes
def aliases(person_id: int):
    return jsonify(people_cases.set_aliases(services().library, person_id, g.params["aliases"]))


@api.post("/people/<int:person_id>/hide")
@writes
def hide(person_id: int):
    return jsonify(people_cases.set_hidden(services().library, person_id, g.params.get("hidden", True)))


@api.post("/people/merge")
@writes
def merge():
    return jsonify(people_cases.merge(services().library, g.params["keep"], g.params["other"]))


@api.get("/people/<int:person_id>/faces")
def person_faces(person_id: int):
    return jsonify({"faces": details.person_faces(services().library, person_id)})


@api.post("/people/<int:person_id>/split")
@writes
def split(person_id: int):
    params = g.params
    return jsonify(people_cases.split(services().library, person_id, params["faces"], params.get("name") or ""))


@api.post("/faces/<int:face_id>/reject")
@writes
def reject(face_id: int):
    """"Not this person": the face leaves its person, and no later clustering gives it back."""
    return jsonify(people_cases.reject(services().library, face_id))


@api.delete("/people/<int:person_id>")
@writes
def forget(person_id: int):
    return jsonify(people_cases.forget(services().library, person_id))


@api.get("/videos/<int:video_id>/people")
def video_people(video_id: int):
    return jsonify(details.video_people(services().library, video_id))


@api.post("/fancams")
@writes
def start_fancam():
    """Start making a fancam in the background; answer 202 with the job to poll."""
    params = g.params
    wanted = fancams.fancam_request(
        services().library, params["video"], services().fancams().folder, person=params.get("person"),
        people=params.get("people"), grid=bool(params.get("grid")), top=params.get("top") or 4,
        aspect=params.get("aspect") or FANCAM_ASPECT, height=params.get("height"), blur=params.get("blur"))
    job = services().fancams().start(wanted)
    response = jsonify(job.json())
    response.status_code = 202
    response.headers["Location"] = f"/api/fancams/{job.id}"
    return response


@api.get("/fancams", endpoint="fancams")
def fancam_jobs():
    return jsonify({"jobs": [job.json() for job in services().fancams().recent()]})


@api.get("/fancams/<job_id>")
def fancam(job_id: str):
    from visearch.web.jobs import JOB_ID

    job = services().fancams().get(job_id) if re.fullmatch(JOB_ID, job_id) else None
    if job is None:
        abort(404, f"no fancam job {job_id[:40]}")
    return jsonify(job.json())


@api.get("/openapi.json")
def openapi():
    from visearch.web.openapi import document

    return jsonify(translate_document(document()))
