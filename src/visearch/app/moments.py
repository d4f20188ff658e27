"""Moment queries and tags: from what a user typed (or uploaded) to the spans in videos, one way.

A query's parts are gathered here once for the CLI and the web: a person is resolved first (an
unknown one is NotFoundError, never an empty answer), then named in the query by name where the
name says who it is (a tag then reads `person "Ann"`) and by id otherwise; pictures are encoded
with the library's own CLIP and their keypoints kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from visearch.defaults import MOMENT_GAP
from visearch.errors import N_
from visearch.search import details
from visearch.moments.query import Clause, MomentQuery
from visearch.app.library import changing


@dataclass
class MomentRequest:
    """The parts of a moment query as a user gives them; all of them (AND), or any (`any_part`)."""

    texts: Sequence[str] = ()
    images: Sequence[Path] = ()  # picture files
    pictures: dict = field(default_factory=dict)  # decoded pictures by name (uploads)
    people: Sequence[str | int] = ()  # names or ids
    clip_texts: Sequence[str] = ()
    products: Sequence[str] = ()  # SKUs: where the catalogue product is on screen (its first image, verified)
    any_part: bool = False
    threshold: float | None = None


def build_query(library, request: MomentRequest, encoder: Callable[[], object] | None = None) -> MomentQuery:
    """The request as a checked, encoded MomentQuery (`encoder` gives a loaded CLIP: a server's)."""
    from visearch.moments.encode import encode, picture_clause
    from visearch.search.query_models import encoder_for

    clauses = [Clause("image", name) for name in request.pictures]
    clauses += [Clause("text", t) for t in request.texts]
    clauses += [picture_clause(path) for path in request.images]
    clauses += [Clause("person", person_key(library, p)) for p in request.people]
    clauses += [Clause("clip_text", t) for t in request.clip_texts]
    clauses += [picture_clause(product_image(library, sku)) for sku in request.products]
    query = MomentQuery(clauses, "or" if request.any_part else "and").check()
    encoder = encoder or (lambda: encoder_for(library))
    return encode(library, query, request.pictures, encoder).with_threshold(request.threshold)


def product_image(library, sku: str) -> Path:
    """The catalogue image a product's moments are found by (its first): NotFoundError for an unknown SKU."""
    wanted = (sku or "").strip().casefold()
    for product in library.docs.products():
        if product.sku.casefold() == wanted and product.images:
            return Path(product.images[0])
    raise details.NotFoundError(N_("no product %(sku)s in the catalogue (`visearch search --text` finds SKUs)"),
                                code="product_missing", sku=f'{sku!r}')


def person_key(library, key: str | int) -> str:
    """How a query names a person: their name where it says who they are, else their id."""
    from visearch.app.people import resolve

    person_id = resolve(library, key)
    row = details.person(library, person_id)
    named = row.name and library.faces.find_person(row.name) == row.id
    return row.name if named else str(row.id)


def find(library, request: MomentRequest, *, videos: Sequence[str | int] = (), gap: float = MOMENT_GAP,
         encoder: Callable[[], object] | None = None) -> dict:
    """The moments of the request in `videos` (paths or ids; default all), with notes on what the index
    could not see and, when words found nothing, the closest text read: the `moments --json` and API answer."""
    from visearch.moments.closest import closest_json
    from visearch.moments.find import all_videos, find_moments
    from visearch.moments.tags import moments_json, notes

    query = build_query(library, request, encoder)
    chosen = [details.find_video(library, key).id for key in videos] if videos else None
    found = find_moments(library, query, videos=chosen, gap=gap)
    answer = moments_json(library, found, query.describe(), notes(library, query))
    texts = [clause.value for clause in query.clauses if clause.kind == "text"]
    answer["closest"] = closest_json(library, texts, chosen or all_videos(library)) if texts and not found else []
    return answer


def add_tag(library, name: str, request: MomentRequest, *, replace: bool = False,
            encoder: Callable[[], object] | None = None) -> dict:
    """Save the query as a tag and apply it to every video (TagExistsError unless `replace`)."""
    from visearch.moments.tags import add_tag as save, notes, tag_json

    query = build_query(library, request, encoder)
    with changing(library):
        tag = save(library, name, query, request.threshold, replace=replace)
    return {**tag_json(tag), "notes": notes(library, query)}


def find_tag(library, key: str | int):
    """A tag by id (an int) or by name (a str; a name of digits that no tag has is tried as an id)."""
    from visearch.moments.tags import TagError, find_tag as by_name

    if not isinstance(key, int):
        try:
            return by_name(library, str(key))
        except TagError as exc:
            if not str(key).strip().isdigit():
                raise details.NotFoundError.like(exc) from None
    found = next((t for t in library.tags.tags() if t.id == int(key)), None)
    if found is None:
        raise details.NotFoundError(N_("no tag %(key)s"), code="tag_missing", key=key)
    return found


def show_tag(library, key: str | int, *, borderline: bool = False) -> dict:
    """A tag's stored moments, or those just under its cutoff (to set a threshold from examples)."""
    from visearch.moments.tags import borderline as near, moments_json, notes, stored_moments, tag_json

    tag = find_tag(library, key)
    moments = near(library, tag) if borderline else stored_moments(library, tag)
    described = tag_json(tag)
    return {"tag": described, **moments_json(library, moments, described["query"],
                                             notes(library, MomentQuery.from_json(tag.query)))}


def list_tags(library) -> list[dict]:
    from visearch.moments.tags import tag_json

    return [tag_json(t) for t in library.tags.tags()]


def remove_tag(library, key: str | int) -> dict:
    tag = find_tag(library, key)
    with changing(library):
        library.tags.delete_tag(tag.id)
    return {"removed": tag.id, "name": tag.name}
