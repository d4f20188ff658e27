"""JSON API. Views parse and validate, call `search`, and shape JSON; nothing else."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from web import views
from web.services import services
from web.uploads import BadUpload, parse_box, read_upload

api = Blueprint("api", __name__, url_prefix="/api")

MAX_K = 100


def _k(value) -> int:
    try:
        k = int(value if value not in (None, "") else 10)
    except (TypeError, ValueError):
        raise BadUpload(400, f"k must be a whole number, got {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise BadUpload(400, f"k must be between 1 and {MAX_K}")
    return k


@api.post("/search")
def search():
    if request.files.get("image") is not None:
        image = read_upload(request.files["image"])
        box = parse_box(request.form.get("box"), image.width, image.height)
        k = _k(request.form.get("k"))
        suggest = request.form.get("suggest", "") in ("1", "true", "yes")
        response = services().engine().search_image(image, box=box, k=k, suggest=suggest)
        return jsonify(response.to_json())
    body = request.get_json(silent=True) if request.is_json else None
    text = (body or {}).get("text") if body is not None else request.form.get("text")
    k = _k((body or {}).get("k") if body is not None else request.form.get("k"))
    if not isinstance(text, str) or not text.strip():
        raise BadUpload(400, "send an image (multipart field 'image') or a non-empty 'text'")
    if len(text) > 500:
        raise BadUpload(400, "text queries are limited to 500 characters")
    return jsonify(services().engine().search_text(text.strip(), k=k).to_json())


@api.get("/status")
def status():
    svc = services()
    if svc.model_state == "idle" and svc.has_library():
        svc.warm_up()
    return jsonify({"library": svc.has_library(), "models": svc.model_state, "error": svc.model_error})


@api.get("/stats")
def stats():
    return jsonify(views.stats_json(services().library))


@api.get("/items/<int:item_id>")
def item(item_id: int):
    return jsonify(views.item_json(services().library, item_id))


@api.get("/items/<int:item_id>/similar")
def similar(item_id: int):
    library = services().library
    if not library.docs.get([item_id]):
        abort(404, f"no item {item_id}")
    return jsonify(services().engine().similar(item_id, k=_k(request.args.get("k"))).to_json())


@api.get("/browse")
def browse():
    query = views.browse_query(request.args)
    return jsonify(views.browse_json(services().library, query))


@api.get("/people")
def people():
    include_hidden = request.args.get("all") in ("1", "true")
    rows = [row for row in services().library.faces.people() if include_hidden or not row.hidden]
    return jsonify({"people": [views.person_json(row) for row in rows]})


@api.get("/people/<int:person_id>")
def person(person_id: int):
    return jsonify(views.person_json(views.person_row(services().library, person_id)))


@api.get("/people/<int:person_id>/clips")
def clips(person_id: int):
    views.person_row(services().library, person_id)
    gap = views.number(request.args.get("gap"), "gap", default=2.0, low=0.0, high=60.0)
    result = services().people().clips(person_id, gap=gap)
    return jsonify(views.clips_json(services().library, result))


@api.post("/people/<int:person_id>/name")
def rename(person_id: int):
    views.require_token()
    name = (request.get_json(silent=True) or request.form or {}).get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise BadUpload(400, "send a 'name' of 1 to 200 characters")
    return _change_person(person_id, lambda faces: faces.rename(person_id, name.strip()))


@api.post("/people/<int:person_id>/hide")
def hide(person_id: int):
    views.require_token()
    hidden = (request.get_json(silent=True) or {}).get("hidden", True)
    return _change_person(person_id, lambda faces: faces.set_hidden(person_id, bool(hidden)))


def _change_person(person_id: int, change):
    """Apply a change to an existing person, save, and answer with the person as it now is."""
    library = services().library
    views.person_row(library, person_id)  # 404 for an unknown id
    change(library.faces)
    library.save()
    return jsonify(views.person_json(views.person_row(library, person_id)))


@api.post("/people/merge")
def merge():
    views.require_token()
    body = request.get_json(silent=True) or request.form or {}
    try:
        keep, other = int(body.get("keep")), int(body.get("other"))
    except (TypeError, ValueError):
        raise BadUpload(400, "send 'keep' and 'other' person ids") from None
    library = services().library
    views.person_row(library, keep)
    views.person_row(library, other)
    if keep == other:
        raise BadUpload(400, "cannot merge a person into themselves")
    library.faces.merge(keep, other)
    library.save()
    return jsonify(views.person_json(views.person_row(library, keep)))


@api.delete("/people/<int:person_id>")
def forget(person_id: int):
    views.require_token()
    views.person_row(services().library, person_id)
    services().people().forget(person_id)
    services().library.save()
    return jsonify({"forgotten": person_id})


@api.get("/openapi.json")
def openapi():
    from web.openapi import document

    return jsonify(document())


@api.errorhandler(BadUpload)
def bad_upload(error: BadUpload):
    return jsonify({"error": error.message}), error.status
