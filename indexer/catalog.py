"""Read a product catalogue (CSV or JSON Lines) that joins products to images by path."""
from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from indexer.errors import VisearchError
from indexer.records import Product
from indexer.walk import canonical_path

_IMAGE_FIELDS = ("image", "images", "image_path", "image_paths", "path", "paths")
_LIST_SPLIT = re.compile(r"\s*[|;]\s*")


class CatalogError(VisearchError):
    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")
        self.path, self.line, self.reason = path, line, reason


def read_catalog(path: Path | str) -> list[Product]:
    """Products keyed by SKU; rows repeating a SKU add images to it.

    Image paths are resolved against the catalogue's own folder, so a catalogue
    and its images can move together.
    """
    path = canonical_path(path)
    if not path.is_file():
        raise CatalogError(path, None, "catalogue file not found")
    rows = _read_jsonl(path) if path.suffix.lower() in (".jsonl", ".ndjson") else _read_csv(path)
    products: dict[str, Product] = {}
    for line, row in rows:
        product = _product_from_row(path, line, row)
        known = products.get(product.sku)
        if known is not None:
            images = known.images + tuple(p for p in product.images if p not in known.images)
            product = replace(known, images=images)
        products[product.sku] = product
    return list(products.values())


def _read_csv(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "sku" not in [f.strip().lower() for f in reader.fieldnames]:
            raise CatalogError(path, 1, "the header must have a 'sku' column")
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
                raise CatalogError(path, number, f"not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise CatalogError(path, number, "each line must be a JSON object")
            yield number, {str(k).lower(): v for k, v in row.items()}


def _product_from_row(path: Path, line: int, row: dict) -> Product:
    sku = str(row.get("sku") or "").strip()
    if not sku:
        raise CatalogError(path, line, "missing sku")
    images: list[Path] = []
    for name in _IMAGE_FIELDS:
        value = row.get(name)
        values = value if isinstance(value, list) else _LIST_SPLIT.split(str(value or ""))
        images += [canonical_path(path.parent / str(v).strip()) for v in values if str(v).strip()]
    price = row.get("price")
    if price in (None, ""):
        price = None
    else:
        try:
            price = float(str(price).replace(",", "."))
        except ValueError:
            raise CatalogError(path, line, f"price {row.get('price')!r} is not a number") from None
    return Product(
        sku=sku,
        title=str(row.get("title") or row.get("name") or ""),
        brand=str(row.get("brand") or ""),
        price=price,
        currency=str(row.get("currency") or ""),
        url=str(row.get("url") or ""),
        category=str(row.get("category") or ""),
        images=tuple(dict.fromkeys(images)),
    )
