"""HTML pages and media. Media is served by id, never by a client-supplied path."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, after_this_request, g, render_template, request, send_file, url_for

from visearch.defaults import QUERY_SIDE
from visearch.search import details
from visearch.app.library import MediaUnavailable, face_crop, item_file, thumbnail_file, video_file
from visearch.app import people as people_cases
from visearch.web import queries, views
from visearch.web.services import services

pages = Blueprint("pages", __name__)


def _library_or_none():
    svc = services()
    return svc.library if svc.has_library() else None


@pages.get("/")
def home():
    library = _library_or_none()
    stats = details.library_stats(library) if library else None
    params = g.params
    return render_template("search.html", stats=stats, page="search", q=params.get("q") or "",
                           photo=params.get("photo") or "", box=params.get("box") or "", shop=params.get("shop") == "1",
                           query_side=QUERY_SIDE)


@pages.get("/shop/<int:video_id>")
def shop(video_id: int):
    """"Shop this frame": the frame at `t`, decoded from the video at full resolution, kept as a query photo
    and opened in the lens with catalogue products only (its box, suggestions and cut-outs work as for a photo)."""
    from flask import redirect

    from visearch.app.searching import frame_photo

    photo, _ = frame_photo(services().library, f"{video_id}@{g.params.get('t') or 0.0}")
    upload = queries.store(services().library_path).put(photo.image)
    return redirect(url_for("pages.home", photo=upload, shop=1))


@pages.get("/queries/<upload>")
def query_photo(upload: str):
    """An uploaded query photo, by the id the search answered with."""
    path = queries.store(services().library_path).path(upload)
    if path is None:
        abort(404, "that query photo is no longer kept; upload it again")
    return send_file(path, mimetype="image/jpeg", max_age=3600)


@pages.get("/items/<int:item_id>")
def item(item_id: int):
    library = services().library
    found = views.safe_links(details.item_details(library, item_id))
    timeline = details.video_timeline(library, found["video"]["id"]) if found["video"] else None
    return render_template("item.html", item=found, video_people=timeline["people"] if timeline else [],
                           timeline=timeline, page="browse")


@pages.get("/people")
def people():
    library = _library_or_none()
    show_all = g.params.get("all") == "1"
    query = g.params.get("q") or ""
    people = details.people_list(library, include_hidden=show_all, query=query) if library else []
    return render_template("people.html", people=people, show_all=show_all, page="people", q=query)


@pages.get("/people/review")
def review():
    """The review queue: "Is this Karina?" for each suggested face, and "Same person?" for close pairs."""
    library = _library_or_none()
    queue = people_cases.review(library) if library else {"suggestions": [], "count": 0, "merges": []}
    return render_template("review.html", queue=queue, page="people")


@pages.get("/people/unassigned")
def unassigned():
    """Faces without a person, in look-alike stacks: name them, give them to someone, or hide strangers."""
    library = _library_or_none()
    pool = people_cases.unassigned(library) if library else {"stacks": []}
    people = details.people_list(library) if library else []
    return render_template("unassigned.html", stacks=pool["stacks"], people=people, page="people")


@pages.get("/people/<int:person_id>")
def person(person_id: int):
    library = services().library
    row = details.person(library, person_id)
    clips = details.person_clips(library, person_id, pending=False)  # the page asks its questions itself
    by_video: dict[int, dict] = {}
    for clip in clips["clips"]:
        entry = by_video.setdefault(clip["video_id"], {"id": clip["video_id"], "path": clip["video"],
                                                       "name": Path(clip["video"]).name,
                                                       "duration": clip["duration"], "clips": []})
        entry["clips"].append(clip)
    others = [p for p in details.people_list(library, include_hidden=True) if p["id"] != person_id]
    asked = [group["faces"] for group in people_cases.review(library, merges=False)["suggestions"]
             if group["person"]["id"] == person_id]
    return render_template("person.html", person=details.person_json(row), videos=list(by_video.values()),
                           photos=clips["photos"], faces=details.person_faces(library, person_id, limit=200),
                           others=others, page="people",
                           presence=people_cases.presence(library, person_id, clips=clips["clips"])["presence"],
                           asked=asked[0] if asked else [])


@pages.get("/moments")
def moments():
    from visearch.moments.tags import tag_json

    library = _library_or_none()
    tags = [tag_json(t) for t in library.tags.tags()] if library else []
    people = details.people_list(library) if library else []
    semantic = bool(library and library.manifest.semantic)
    return render_template("moments.html", tags=tags, people=people, semantic=semantic, page="moments",
                           tag_id=g.params.get("tag"))


@pages.get("/browse")
def browse():
    library = _library_or_none()
    query = views.browse_query(g.params)
    data = views.safe_links(details.browse_page(library, query)) if library else None
    people = details.people_list(library, include_hidden=True) if library else []
    filtered = any(g.params.get(name) for name in ("kind", "person", "not_person", "has_text", "text", "brand",
                                                   "category", "source"))
    return render_template("browse.html", data=data, query=query, people=people, args=request.args, page="browse",
                           filtered=filtered)


# -- media: only what the library indexed, looked up by id


def _send(path: Path, mimetype: str | None = None):
    return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)  # conditional: Range requests


def _checked(find):
    try:
        return find()
    except MediaUnavailable as exc:
        abort(exc.status, str(exc))


@pages.get("/media/<int:item_id>")
def media(item_id: int):
    path, fmt = _checked(lambda: item_file(services().library, item_id))
    return _send(path, media_type(fmt))


@pages.get("/media/video/<int:video_id>")
def video(video_id: int):
    path, fmt = _checked(lambda: video_file(services().library, video_id))
    return _send(path, media_type(fmt))


@pages.get("/thumb/<int:item_id>")
def thumb(item_id: int):
    library = services().library
    doc = library.docs.get([item_id]).get(item_id)
    if doc is None or not doc.thumbnail:
        abort(404, f"no thumbnail for item {item_id}")
    return _send(_checked(lambda: thumbnail_file(library, doc.thumbnail)), "image/jpeg")


@pages.get("/face/<int:face_id>")
def face(face_id: int):
    """A face cut from its item's thumbnail: covers for the people grid."""
    import io

    data = _checked(lambda: face_crop(services().library, face_id))
    return send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=3600)


@pages.get("/export/clip/<int:video_id>")
def export_clip(video_id: int):
    from visearch.app.exporting import export_clip as cut

    return _send_and_delete(cut(services().library, video_id, g.params.get("start") or 0.0, g.params.get("end")))


@pages.get("/export/reel/<int:person_id>")
def export_reel(person_id: int):
    from visearch.app.exporting import export_reel as reel

    return _send_and_delete(reel(services().library, person_id))


@pages.get("/fancams/<job_id>.mp4")
def fancam_file(job_id: str):
    """A finished fancam, by its job id: played in the page (Range requests) or, ?download=1, saved."""
    import re

    from visearch.web.jobs import JOB_ID

    path = services().fancams().file(job_id) if re.fullmatch(JOB_ID, job_id) else None
    if path is None:
        abort(404, "no such fancam (it may still be in the making, or too old to be kept)")
    download = g.params.get("download") == "1"
    return send_file(path, mimetype="video/mp4", conditional=True, as_attachment=download,
                     download_name=f"fancam-{job_id}.mp4")


def _send_and_delete(path: Path):
    @after_this_request
    def cleanup(response):
        response.call_on_close(lambda: _remove_tree(path.parent))
        return response

    return send_file(path, mimetype="video/mp4", as_attachment=True, download_name=path.name)


def _remove_tree(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()


# By the format sniffed from the content at indexing time, never by a name: no file is sent with a
# type that would let a browser run it.
MEDIA_TYPES = {
    "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "bmp": "image/bmp",
    "tiff": "image/tiff", "heif": "image/heif", "avif": "image/avif",
    "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "matroska": "video/x-matroska",
    "avi": "video/x-msvideo",
}


def media_type(fmt: str) -> str:
    return MEDIA_TYPES.get(fmt, "application/octet-stream")
