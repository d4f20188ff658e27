"""JSON API. Parameters arrive validated in `g.params` (see `web.params`); views call `search`
and shape JSON, nothing else."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, g, jsonify, request

from search import details
from web import queries, views
from web.services import services
from web.uploads import BadUpload, parse_box, read_upload

api = Blueprint("api", __name__, url_prefix="/api")


@api.post("/search")
def search():
    params = g.params
    k = params.get("k") or 10
    image = request.files.get("image")
    if image is not None or params.get("upload"):
        stored = queries.store(services().library_path)
        if image is not None:
            photo = read_upload(image)
            upload = stored.put(photo)
        else:
            upload = params["upload"]
            photo = stored.get(upload)
            if photo is None:
                raise BadUpload(404, "upload: that photo is no longer kept; upload it again")
        box = parse_box(params.get("box"), photo.width, photo.height)
        suggest = params.get("suggest") == "1"
        engine = services().engine()
        with services().searching():
            response = engine.search_image(photo, box=box, k=k, suggest=suggest).to_json()
        response["query"]["upload"] = upload
        return jsonify(views.safe_links(response))
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadUpload(400, "send an image (multipart field 'image'), an 'upload' id or a non-empty 'text'")
    engine = services().engine()
    with services().searching():
        response = engine.search_text(text.strip(), k=k).to_json()
    return jsonify(views.safe_links(response))


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
    library = services().library
    if not library.docs.get([item_id]):
        abort(404, f"no item {item_id}")
    k = g.params.get("k") or 10
    engine = services().engine()
    with services().searching():
        response = engine.similar(item_id, k=k).to_json()
    return jsonify(views.safe_links(response))


@api.get("/browse")
def browse():
    query = views.browse_query(g.params)
    return jsonify(views.safe_links(details.browse_page(services().library, query)))


@api.get("/people")
def people():
    include_hidden = g.params.get("all") == "1"
    return jsonify({"people": details.people_list(services().library, include_hidden=include_hidden)})


@api.get("/people/<int:person_id>")
def person(person_id: int):
    return jsonify(details.person_json(details.person(services().library, person_id)))


@api.get("/people/<int:person_id>/clips")
def clips(person_id: int):
    return jsonify(details.person_clips(services().library, person_id, gap=g.params.get("gap") or 0.0))


@api.post("/people/<int:person_id>/name")
def rename(person_id: int):
    views.require_token()
    name = g.params["name"].strip()
    return _change_person(person_id, lambda faces: faces.rename(person_id, name))


@api.post("/people/<int:person_id>/hide")
def hide(person_id: int):
    views.require_token()
    hidden = g.params.get("hidden", True)
    return _change_person(person_id, lambda faces: faces.set_hidden(person_id, hidden))


def _change_person(person_id: int, change):
    """Apply a change to an existing person, save, and answer with the person as it now is."""
    library = services().library
    details.person(library, person_id)  # 404 for an unknown id
    with library.writing(wait=5):
        change(library.faces)
        library.save()
    return jsonify(details.person_json(details.person(library, person_id)))


@api.post("/people/merge")
def merge():
    views.require_token()
    keep, other = g.params["keep"], g.params["other"]
    library = services().library
    details.person(library, keep)
    details.person(library, other)
    if keep == other:
        raise BadUpload(400, "other: cannot merge a person into themselves")
    with library.writing(wait=5):
        services().people().merge(keep, other)  # refused (409) when the two share a photo
        library.save()
    return jsonify(details.person_json(details.person(library, keep)))


@api.get("/people/<int:person_id>/faces")
def person_faces(person_id: int):
    return jsonify({"faces": details.person_faces(services().library, person_id)})


@api.post("/people/<int:person_id>/split")
def split(person_id: int):
    views.require_token()
    library = services().library
    details.person(library, person_id)
    with library.writing(wait=5):
        new = services().people().split(person_id, g.params["faces"], (g.params.get("name") or "").strip())
        library.save()
    return jsonify({"person": details.person_json(details.person(library, new)),
                    "from": details.person_json(details.person(library, person_id))})


@api.post("/faces/<int:face_id>/reject")
def reject(face_id: int):
    """"Not this person": the face leaves its person, and no later clustering gives it back."""
    views.require_token()
    library = services().library
    with library.writing(wait=5):
        person = services().people().reject(face_id)
        library.save()
    return jsonify({"face": face_id, "from": details.person_json(details.person(library, person))})


@api.delete("/people/<int:person_id>")
def forget(person_id: int):
    views.require_token()
    library = services().library
    details.person(library, person_id)
    with library.writing(wait=5):
        services().people().forget(person_id)
        library.save()
    return jsonify({"forgotten": person_id})


@api.get("/videos/<int:video_id>/people")
def video_people(video_id: int):
    return jsonify(details.video_people(services().library, video_id))


@api.post("/fancams")
def start_fancam():
    """Start making a fancam in the background; answer 202 with the job to poll."""
    from search.fancam.camera import parse_aspect

    views.require_token()
    params = g.params
    grid = bool(params.get("grid"))
    person = params.get("person")
    if grid == (person is not None):
        raise BadUpload(400, "person: give one person to follow, or grid: true (with people or top)")
    if params.get("people") and not grid:
        raise BadUpload(400, "people: goes with grid: true")
    library = services().library
    video = library.docs.get_videos([params["video"]]).get(params["video"])
    if video is None:
        abort(404, f"video: no video {params['video']}")
    chosen = [person] if person is not None else params.get("people")
    for key in chosen or []:
        details.person(library, key)  # 404 for an unknown person
    request_fields = {"video": video.id, "people": [str(p) for p in chosen] if chosen else None, "grid": grid,
                      "top": params.get("top") or 4, "aspect": parse_aspect(params.get("aspect") or "9:16"),
                      "height": params.get("height") or _default_height(video, grid)}
    job = services().fancams().start(request_fields)
    response = jsonify(job.json())
    response.status_code = 202
    response.headers["Location"] = f"/api/fancams/{job.id}"
    return response


def _default_height(video, grid: bool) -> int:
    """1280 (a grid 720), but never taller than the video itself: scaling up adds bytes, not detail."""
    upright = video.width if video.rotation % 180 else video.height
    return max(240, min(720 if grid else 1280, upright or 1280))


@api.get("/fancams")
def fancams():
    return jsonify({"jobs": [job.json() for job in services().fancams().recent()]})


@api.get("/fancams/<job_id>")
def fancam(job_id: str):
    from web.jobs import JOB_ID

    job = services().fancams().get(job_id) if re.fullmatch(JOB_ID, job_id) else None
    if job is None:
        abort(404, f"no fancam job {job_id[:40]}")
    return jsonify(job.json())


@api.get("/openapi.json")
def openapi():
    from web.openapi import document

    return jsonify(document())
