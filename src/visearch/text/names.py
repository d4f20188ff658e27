"""Which person a typed name means: their id, their name or an alias, in either script.

Korean names are typed in Hangul and in Latin letters (카리나, Karina, KARINA); a person also goes by
aliases (a stage name: 윈터 = Winter). A key matches, best first: the id; the name or an alias, ignoring
case and Unicode form; the same spelling key (indexer.hangul.name_key: 김민지 = Kim Min-ji). Pure.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from visearch.text.hangul import name_key
from visearch.text.normalise import normalise

MAX_ALIASES = 20
MAX_ALIAS_LENGTH = 100


def clean_aliases(aliases: Iterable[str]) -> list[str]:
    """Aliases as stored: normalised, non-empty, each once (ignoring case), at most MAX_ALIASES."""
    found: dict[str, str] = {}
    for alias in aliases:
        text = normalise(str(alias))[:MAX_ALIAS_LENGTH]
        if text and text.casefold() not in found:
            found[text.casefold()] = text
    return list(found.values())[:MAX_ALIASES]


def spelling_keys(name: str, aliases: Sequence[str]) -> list[str]:
    """The name keys a person is found by, each once."""
    return sorted({key for key in (name_key(n) for n in (name, *aliases) if n) if key})


def match_strength(key: str, person_id: int, name: str, aliases: Sequence[str]) -> int:
    """3: the id; 2: the name or an alias; 1: the same spelling key; 0: not this person."""
    typed = normalise(key)
    if typed.isdigit() and int(typed) == person_id:
        return 3
    folded = typed.casefold()
    if folded and folded in {normalise(n).casefold() for n in (name, *aliases) if n}:
        return 2
    spelled = name_key(typed)
    return 1 if spelled and spelled in spelling_keys(name, aliases) else 0


def best_match(key: str, people: Iterable[tuple[int, str, Sequence[str]]]) -> int | None:
    """The person a key means among (id, name, aliases); the lowest id of the strongest matches."""
    scored = [(match_strength(key, pid, name, aliases), -pid) for pid, name, aliases in people]
    best = max(scored, default=(0, 0))
    return -best[1] if best[0] else None


def names_match(query: str, person_id: int, name: str, aliases: Sequence[str]) -> bool:
    """For a people filter: the query is part of the name, an alias or the name's romanisation, or means
    the person outright (`match_strength`)."""
    from visearch.text.hangul import romanize

    folded = normalise(query).casefold()
    spelled = [normalise(n).casefold() for n in (name, *aliases, romanize(name, name=True)) if n]
    return any(folded in n for n in spelled) or match_strength(query, person_id, name, aliases) > 0
