"""Which person a typed name means: their id, their name or an alias, in either script and as people spell it.

Korean names are typed in Hangul and in Latin letters (박지성, Park Ji-sung, PARK JISUNG, Bak Ji-seong); a
person also goes by aliases (a stage name: 윈터 = Winter). A key matches, best first: the id; the name or an
alias, ignoring case, accents and Unicode form; the full name as people spell it (text/spellings.py), in
either order, or a loanword name by its sound (안젤리나 = Angelina); the given name alone (Jisoo for 김지수).
Close misses are offered as suggestions. Pure.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from visearch.text.hangul import has_hangul, name_key, romanize
from visearch.text.normalise import normalise
from visearch.text.spellings import (RR_SURNAMES, TWO_SYLLABLE, latin_letters, sound_key, sounds_apart, spells,
                                     split_surname)

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


ID, NAME, SPELLED, GIVEN = 4, 3, 2, 1


def match_strength(key: str, person_id: int, name: str, aliases: Sequence[str]) -> int:
    """ID: the id; NAME: the name or an alias as written (case, accents and form aside); SPELLED: the full name
    as people spell it, or a loanword name by its sound; GIVEN: the given name alone; 0: not this person."""
    typed = normalise(key)
    if typed.isdigit() and int(typed) == person_id:
        return ID
    names = [n for n in (name, *aliases) if n]
    if typed.casefold() in {normalise(n).casefold() for n in names} or (
            latin_letters(typed) and latin_letters(typed) in {latin_letters(n) for n in names if not has_hangul(n)}):
        return NAME
    return max((_spelled(typed, n) for n in names), default=0)


def _spelled(typed: str, name: str) -> int:
    """How `typed` writes one name in the other script (or in another spelling of the same one)."""
    hangul, latin = (name, typed) if has_hangul(name) else (typed, name)
    if has_hangul(hangul) and not has_hangul(latin):
        strength = spells(latin, hangul)
        if strength:
            return SPELLED if strength == 2 else GIVEN
    if name_key(typed) and name_key(typed) == name_key(name):
        return SPELLED
    return SPELLED if len(sound_key(typed)) >= 3 and sound_key(typed) == sound_key(name) else 0


def best_match(key: str, people: Iterable[tuple[int, str, Sequence[str]]]) -> int | None:
    """The person a key means among (id, name, aliases); the lowest id of the strongest matches."""
    scored = [(match_strength(key, pid, name, aliases), -pid) for pid, name, aliases in people]
    best = max(scored, default=(0, 0))
    return -best[1] if best[0] else None


def names_match(query: str, person_id: int, name: str, aliases: Sequence[str]) -> bool:
    """For a people filter: the query is part of the name, an alias or the name's romanisation, or means
    the person outright (`match_strength`)."""
    folded = normalise(query).casefold()
    spelled = [normalise(n).casefold() for n in (name, *aliases, romanize(name, name=True)) if n]
    return any(folded in n for n in spelled) or match_strength(query, person_id, name, aliases) > 0


def suggestions(key: str, people: Iterable[tuple[int, str, Sequence[str]]], limit: int = 3) -> list[tuple[int, str]]:
    """People a key that means nobody may have meant: names that sound one or two edits away (Angelica for
    안젤리나), nearest first: (id, the name or alias it resembles)."""
    wanted = sound_key(key)
    if len(wanted) < 3:
        return []
    near = []
    for pid, name, aliases in people:
        for written in (name, *aliases):
            if written:
                distance = sounds_apart(wanted, sound_key(written))
                if distance <= (1 if len(wanted) < 6 else 2):
                    near.append((distance, pid, written))
                    break
    return [(pid, written) for _, pid, written in sorted(near)[:limit]]


def display_name(name: str) -> str:
    """A Hangul name in the Revised Romanisation as names are written: surname first, capitalised, the given
    name's syllables joined by a hyphen (박지성 → Bak Ji-seong); other names as they are. Pure."""
    if not has_hangul(name):
        return name
    syllables = "".join(ch for ch in name if has_hangul(ch))
    if len(syllables) >= 4 and not syllables.startswith(TWO_SYLLABLE):  # a loanword name: 안젤리나 Anjellina
        word = romanize(syllables)
        return word[:1].upper() + word[1:]
    surname, given = split_surname(name)
    first = RR_SURNAMES.get(surname) or romanize(surname, name=True)
    rest = "-".join(romanize(ch, name=True) for ch in given)
    return " ".join(part[:1].upper() + part[1:] for part in (first, rest) if part)
