"""A marker for the sentences visearch says to people, so the web UI's catalogue (web/translations) finds them.

`N_("…")` returns its text unchanged: the library speaks English (so does the command line), and the web
translates what it shows, by these sentences as they are written.
"""
from __future__ import annotations


def N_(message: str) -> str:
    return message
