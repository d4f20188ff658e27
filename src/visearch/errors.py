"""Errors that carry their meaning: a code, the values, and the English sentence they fill, worded at the edge.

Library code raises `VisearchError(N_("no person %(key)s"), code="person_missing", key=7)`. The sentence is
the catalogue's message id (`N_` marks it for extraction; web/translations holds its Korean); the values
fill it. The command line prints `str(error)` (English); the web app says `error.format(gettext)` in the
visitor's language; the JSON API also returns the code and the values, for scripts. Nothing parses a
message back. `kind` says what went wrong, for the edge that picks an exit code or an HTTP status.
"""
from __future__ import annotations

from typing import Callable, ClassVar


def N_(message: str) -> str:
    """Marks a sentence for the translation catalogue where it is written; it is translated where it is shown."""
    return message


class VisearchError(Exception):
    """Base for every error visearch reports to a person."""

    kind: ClassVar[str] = "failed"  # invalid | missing | conflict | busy | unavailable | failed

    def __init__(self, template: str, /, code: str = "error", **values) -> None:
        self.template, self.code, self.values = template, code, values
        super().__init__(self.format())

    @classmethod
    def like(cls, other: "VisearchError") -> "VisearchError":
        """This kind of error, saying what `other` says: a lower layer's error, raised again as this layer's."""
        error = cls.__new__(cls)
        VisearchError.__init__(error, other.template, code=other.code, **other.values)
        error.inner = other
        error.args = (other.format(),)
        return error

    def format(self, translate: Callable[[str], str] = str) -> str:
        """The sentence, with `translate` applied to the template (gettext on the web; as written in English)."""
        inner = getattr(self, "inner", None)
        if inner is not None:
            return inner.format(translate)
        return translate(self.template) % self.values  # literal percent signs are written %% in templates

    def to_json(self, translate: Callable[[str], str] = str) -> dict:
        return {"error": self.format(translate), "code": self.code,
                "values": {key: value if isinstance(value, (int, float, bool)) or value is None else str(value)
                           for key, value in self.values.items()}}


class InvalidInput(VisearchError, ValueError):
    """A value the user gave is wrong (the message names it): the web answers 400, the CLI exits 2."""

    kind = "invalid"


class NotFound(VisearchError, LookupError):
    """Something asked for by id or name is not there (404)."""

    kind = "missing"


class Conflict(VisearchError):
    """The change contradicts the library's state, or someone else's change (409)."""

    kind = "conflict"


class Unavailable(VisearchError):
    """What this needs (a model's weights, a runtime, a device) is not installed or reachable here."""

    kind = "unavailable"
