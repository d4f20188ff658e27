"""The browse page's filters as one SQL `WHERE` over items `i`, as a pure function of the query."""
from __future__ import annotations

from visearch.text.normalise import compact
from visearch.storage.browse import BrowseQuery

# An item shows a person if one of its faces is theirs, directly or through the face's track.
PERSON_OF = ("EXISTS (SELECT 1 FROM faces f LEFT JOIN tracks t ON t.id = f.track_id "
             "WHERE f.item_id = i.id AND COALESCE(f.person_id, t.person_id) = ?)")


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards escaped (use with `ESCAPE '\\'`)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def browse_filter(query: BrowseQuery) -> tuple[str, list]:
    """(`WHERE ...` or "", its parameters)."""
    where, args = [], []
    if query.kind:
        where.append("i.kind = ?")
        args.append(query.kind)
    if query.people:
        joined = f" {query.person_mode.upper()} ".join([PERSON_OF] * len(query.people))
        where.append(f"({joined})")
        args += list(query.people)
    for person in query.not_people:
        where.append(f"NOT {PERSON_OF}")
        args.append(person)
    if query.has_text is not None:
        where.append(("" if query.has_text else "NOT ") + "EXISTS (SELECT 1 FROM ocr_lines o WHERE o.item_id = i.id)")
    if query.text:
        pattern = like_pattern(compact(query.text))
        where.append("i.id IN (SELECT rowid FROM item_text WHERE ocr_compact LIKE ? ESCAPE '\\' "
                     "OR catalog_compact LIKE ? ESCAPE '\\')")
        args += [pattern, pattern]
    for column, value in (("brand", query.brand), ("category", query.category)):
        if value:
            where.append(f"EXISTS (SELECT 1 FROM product_images pi JOIN products p ON p.sku = pi.sku "
                         f"WHERE pi.path = i.path AND lower(p.{column}) = lower(?))")
            args.append(value)
    if query.source:
        where.append("(i.source = ? OR i.source LIKE ? ESCAPE '\\')")
        folder = query.source.rstrip("/")
        args += [folder, folder.replace("%", "\\%").replace("_", "\\_") + "/%"]
    return (("WHERE " + " AND ".join(where)) if where else ""), args
