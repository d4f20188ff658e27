"""The people review routes of the JSON API (on the `api` blueprint): suggestions, merge suggestions, the
unassigned pool and a person's presence. Parameters arrive validated in `g.params` (web/params.py); the use
cases are in app/people.py, these routes only gather and shape."""
from __future__ import annotations

from flask import g, jsonify

from visearch.app import people as cases
from visearch.web.api import api, writes
from visearch.web.services import services


@api.get("/people/review")
def review():
    return jsonify(cases.review(services().library))


@api.post("/people/review/answer")
@writes
def answer():
    params = g.params
    return jsonify(cases.answer(services().library, params["face"], params["person"], params["answer"]))


@api.post("/people/merges/answer")
@writes
def answer_merge():
    params = g.params
    return jsonify(cases.answer_merge(services().library, params["keep"], params["other"], params["answer"]))


@api.get("/people/unassigned")
def unassigned():
    return jsonify(cases.unassigned(services().library, limit=g.params.get("limit") or 200))


@api.post("/people/unassigned")
@writes
def settle():
    params = g.params
    return jsonify(cases.settle_stack(services().library, params["faces"], params["action"],
                                      name=params.get("name") or "", person=params.get("person") or ""))


@api.get("/people/<int:person_id>/presence")
def presence(person_id: int):
    return jsonify(cases.presence(services().library, person_id))
