"""Read a product catalogue (CSV or JSON Lines) that joins products to images by path."""
from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from visearch.errors import N_, InvalidInput
from visearch.indexer.records import Product
from visearch.text.normalise import normalise
from visearch.indexer.walk import canonical_path

_IMAGE_FIELDS = ("image", "images", "image_path", "image_paths", "path", "paths")
_VIEW_FIELDS = ("view", "side")  # which side of the pack a row's images show (front, back, side, top…)
_KNOWN_FIELDS = {"sku", "title", "name", "brand", "price", "currency", "url", "category", "aliases", "alias",
                 *_IMAGE_FIELDS, *_VIEW_FIELDS}
MAX_DETAIL = 2000  # characters kept of one extra column's value
_LIST_SPLIT = re.compile(r"\s*[|;]\s*")


class CatalogError(InvalidInput):
    """A catalogue that cannot be read: the message is "PATH[:LINE]: REASON"."""

    def __init__(self, path: Path, line: int | None, reason: str, /, code: str = "catalogue_invalid", **values) -> None:
        self.path, self.line = path, line
        super().__init__(reason, code=code, **values)

    def format(self, translate=str) -> str:
        return f"{self.path}{f':{self.line}' if self.line else ''}: {super().format(translate)}"


def read_catalog(path: Path | str) -> list[Product]:
    """Products keyed by SKU; rows repeating a SKU add images to it.

    Image paths are resolved against the catalogue's own folder, so a catalogue
    and its images can move together.
    """
    path = canonical_path(path)
    if not path.is_file():
        raise CatalogError(path, None, N_("catalogue file not found"), code="catalogue_missing")
    rows = _read_jsonl(path) if path.suffix.lower() in (".jsonl", ".ndjson") else _read_csv(path)
    products: dict[str, Product] = {}
    for line, row in rows:
        product = _product_from_row(path, line, row)
        known = products.get(product.sku)
        if known is not None:
            images = known.images + tuple(p for p in product.images if p not in known.images)
            views = known.views + tuple(v for v in product.views if v[0] not in dict(known.views))
            product = replace(known, images=images, views=views)
        products[product.sku] = product
    return list(products.values())


def _read_csv(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "sku" not in [f.strip().lower() for f in reader.fieldnames]:
            raise CatalogError(path, 1, N_("the header must have a 'sku' column"), code="catalogue_no_sku_column")
        for row in reader:
            yield reader.line_num, {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CatalogError(path, number, N_("not valid JSON (%(detail)s)"), code="catalogue_bad_json",
                                   detail=exc.msg) from None
            if not isinstance(row, dict):
                raise CatalogError(path, number, N_("each line must be a JSON object"), code="catalogue_bad_json")
            yield number, {str(k).lower(): v for k, v in row.items()}


def _product_from_row(path: Path, line: int, row: dict) -> Product:
    sku = str(row.get("sku") or "").strip()
    if not sku:
        raise CatalogError(path, line, N_("missing sku"), code="catalogue_missing_sku")
    images: list[Path] = []
    for name in _IMAGE_FIELDS:
        value = row.get(name)
        values = value if isinstance(value, list) else _LIST_SPLIT.split(str(value or ""))
        images += [canonical_path(path.parent / str(v).strip()) for v in values if str(v).strip()]
    try:
        price = parse_price(row.get("price"))
    except ValueError:
        raise CatalogError(path, line, N_("price %(price)s is not a number"), code="catalogue_bad_price",
                           price=repr(row.get("price"))) from None
    aliases = row.get("aliases") or row.get("alias") or ""
    aliases = aliases if isinstance(aliases, list) else _LIST_SPLIT.split(str(aliases))
    return Product(
        sku=sku,
        title=normalise(str(row.get("title") or row.get("name") or "")),
        brand=normalise(str(row.get("brand") or "")),
        price=price,
        currency=str(row.get("currency") or "").strip(),
        url=str(row.get("url") or "").strip(),
        category=normalise(str(row.get("category") or "")),
        images=tuple(dict.fromkeys(images)),
        aliases=tuple(dict.fromkeys(normalise(str(a)) for a in aliases if str(a).strip())),
        details=details(row),
        views=tuple((str(image), view) for image in dict.fromkeys(images)
                    for view in [normalise(str(next((row[f] for f in _VIEW_FIELDS if row.get(f)), "")))] if view),
    )


def details(row: dict) -> tuple[tuple[str, str], ...]:
    """A row's other columns, name and value, where the value is not empty (too long a value is cut). Pure."""
    return tuple((str(name), normalise(str(value))[:MAX_DETAIL]) for name, value in row.items()
                 if name and name not in _KNOWN_FIELDS and value not in (None, "", [], {})
                 and not isinstance(value, (dict, list)) and normalise(str(value)))


_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


def parse_price(value) -> float | None:
    """A catalogue price: 189, 189.00, 3,900 (thousands, as Korean and US prices are written), 3,50 (a decimal
    comma), with a currency sign or unit around it (₩, 원, €, $); None when empty. Pure."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return float(value)
    text = re.sub(r"[^\d.,+-]", "", normalise(str(value)))
    if not text:
        if str(value).strip():
            raise ValueError(value)
        return None
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    return float(text.replace(",", "."))
