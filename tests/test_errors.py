"""Errors carry their meaning: a code, the values, and a catalogue sentence, worded at the edge.

The source is read (ast): every error visearch raises for a person names its sentence with `N_` (or raises a
lower layer's error again with `.like`), every such sentence has its Korean translation, and nothing parses
a message back with a regular expression.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

from visearch.errors import N_, InvalidInput, NotFound, VisearchError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "visearch"
PO = PACKAGE / "web" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
# Errors whose constructor words its own sentence from numbers (the pixel limit, the failed documents).
OWN_SENTENCE = {"ImageTooLargeError", "BulkWriteError", "DiskFullError"}
FIXED_CODE = {"InvalidParameter"}  # a request parameter: its code is the class's, the field names it


def trees():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def error_classes() -> set[str]:
    found = {"VisearchError", "InvalidInput", "NotFound", "Conflict", "Unavailable"}
    parsed = [tree for _, tree in trees()]
    grew = True
    while grew:
        grew = False
        for tree in parsed:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in found and any(
                        (base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")) in found
                        for base in node.bases):
                    found.add(node.name)
                    grew = True
    return found


def is_sentence(node: ast.AST) -> bool:
    """`N_("…")`, a lower error's own sentence (`exc.template`), or a name bound to N_ (a constant)."""
    if isinstance(node, ast.IfExp):
        return is_sentence(node.body) and is_sentence(node.orelse)
    return (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "N_") or \
        (isinstance(node, ast.Attribute) and node.attr == "template") or isinstance(node, ast.Name)


def test_every_raised_error_names_its_sentence_and_code():
    classes, problems = error_classes(), []
    for path, tree in trees():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if isinstance(func, ast.Attribute) and func.attr == "like":
                continue  # a lower layer's error, said again as this layer's
            if name not in classes or name in OWN_SENTENCE:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if not any(is_sentence(arg) for arg in node.exc.args):
                problems.append(f"{where}: {name} without an N_ sentence")
            if name not in FIXED_CODE and not any(keyword.arg in ("code", None) for keyword in node.exc.keywords):
                problems.append(f"{where}: {name} without a code")
            sentence = next((a for a in node.exc.args if isinstance(a, ast.Call) and getattr(a.func, "id", "") == "N_"),
                            None)
            if sentence is not None and not any(keyword.arg is None for keyword in node.exc.keywords):
                wanted = set(re.findall(r"%\((\w+)\)s", sentence.args[0].value))
                given = {keyword.arg for keyword in node.exc.keywords} - {"code", "too_large"}
                if wanted != given:
                    problems.append(f"{where}: the sentence wants {sorted(wanted)}, the raise gives {sorted(given)}")
    assert not problems, "\n".join(problems)


def sentences() -> set[str]:
    found = set()
    for _, tree in trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "N_" and node.args and \
                    isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    return found


def test_every_sentence_has_its_korean_translation():
    with open(PO, "rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle, locale="ko") if isinstance(m.id, str) and m.id}
    missing = sorted(s for s in sentences() if not catalogue.get(s))
    assert len(sentences()) > 150 and not missing, f"{len(missing)} sentences lack Korean: {missing[:8]}"


def test_no_regular_expression_reads_a_message_back():
    source = (PACKAGE / "web" / "i18n.py").read_text()
    assert "translate_error" not in source and "ERRORS" not in source
    uses = [line for line in source.splitlines() if "re.compile" in line]
    assert len(uses) == 1 and "tn?\\(" in uses[0], uses  # the one pattern reads the scripts' t("…") calls


def test_an_error_keeps_its_code_and_values_and_words_itself_per_language():
    error = NotFound(N_("no item %(item_id)s"), code="item_missing", item_id=7)
    assert str(error) == "no item 7" and error.code == "item_missing" and error.values == {"item_id": 7}
    assert error.format(lambda template: template.replace("no item", "항목이 없습니다:")) == "항목이 없습니다: 7"
    again = InvalidInput.like(error)
    assert isinstance(again, InvalidInput) and again.code == "item_missing" and str(again) == "no item 7"
    assert error.to_json() == {"error": "no item 7", "code": "item_missing", "values": {"item_id": 7}}
    assert VisearchError(N_("12%% fat"), code="x").format() == "12% fat"  # a literal percent sign is written %%


def test_the_api_answers_an_error_with_its_code_in_the_visitors_language(client):
    english = client.get("/api/items/987654321")
    korean = client.get("/api/items/987654321", headers={"Accept-Language": "ko-KR"})
    assert english.status_code == korean.status_code == 404
    assert english.get_json()["code"] == korean.get_json()["code"] == "item_missing"
    assert english.get_json()["error"] == "no item 987654321"
    assert re.search("[가-힣]", korean.get_json()["error"]) and "987654321" in korean.get_json()["error"]
    page = client.get("/no/such/page", headers={"Accept-Language": "ko-KR"})
    assert page.status_code == 404 and "이 주소에는 아무것도 없습니다" in page.get_data(as_text=True)
