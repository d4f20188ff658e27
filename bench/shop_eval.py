"""Shop the moment: does a paused frame find the catalogue product on screen?

    python bench/shop_eval.py        # generated media only, tiny CLIP; about a minute on 2 cores

The fixture catalogue and a generated 32 s video in which its products appear held (small, tilted, a hand
over part), on a table, and filling the screen, two at once in one shot (visearch/demo/shop.py). For each
appearance, `search --frame VIDEO@T` at its middle, through app/searching.py: with the product's box
(a user who boxed it), and without a box (the whole frame: is the product among the exact answers?).
Also the milliseconds per frame search, decoding included.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def product_moments(library, shop) -> None:
    """`moments --product SKU` for each product shown: its spans against the truth, at 1 s."""
    from bench.common import TOLERANCE
    from visearch.app.moments import MomentRequest, find

    found = correct = wanted = predicted = 0
    for sku in sorted({seen["sku"] for seen in shop.truth}):
        truth = [(s["start"], s["end"]) for s in shop.truth if s["sku"] == sku]
        spans = [(m["start"], m["end"]) for m in find(library, MomentRequest(products=[sku]))["moments"]]
        near = lambda a, b: abs(a[0] - b[0]) <= TOLERANCE and abs(a[1] - b[1]) <= TOLERANCE  # noqa: E731
        found += sum(any(near(t, p) for p in spans) for t in truth)
        correct += sum(any(near(p, t) for t in truth) for p in spans)
        wanted, predicted = wanted + len(truth), predicted + len(spans)
        print(f"  moments --product {sku}: {spans} (truth {truth})")
    print(f"product moments: recall {found / max(wanted, 1):.3f} ({found}/{wanted})  precision "
          f"{correct / max(predicted, 1):.3f} ({correct}/{predicted}) at {TOLERANCE:g} s (goal >= 0.9 / 0.9)")


def main() -> int:
    from visearch.demo.generate import generate
    from visearch.demo.shop import generate_shop_video
    from visearch.app.indexing import IndexRequest, index
    from visearch.app.searching import search_frame
    from visearch.app.settings import Settings
    from visearch.app.engines import open_engine

    work = Path(tempfile.mkdtemp(prefix="visearch-shop-"))
    try:
        fixtures = generate(work / "fixtures")
        shop = generate_shop_video(work / "video")
        settings = Settings.from_env().with_options(library=work / "lib")
        index(settings, IndexRequest(paths=[fixtures.catalog_dir, shop.video], catalog=fixtures.catalog_csv, clip="tiny"))
        engine = open_engine(settings, photo=True)
        search_frame(engine, f"{shop.video}@1.0", k=3)  # models load on the first query
        boxed = whole = 0
        spent = []
        for seen in shop.truth:
            moment = f"{shop.video}@{(seen['start'] + seen['end']) / 2:.2f}"
            started = time.perf_counter()
            answer = search_frame(engine, moment, box=seen["box"], k=5)
            spent.append(1000 * (time.perf_counter() - started))
            top = answer["results"][0]["product"]["sku"] if answer["results"] else None
            boxed += answer["match"] == "exact" and top == seen["sku"]
            framed = search_frame(engine, moment, k=5)
            exact = [r["product"]["sku"] for r in framed["results"] if "exact" in r["reasons"]]
            whole += framed["match"] == "exact" and seen["sku"] in exact
            print(f"  {seen['sku']:9s} {seen['how']:6s} boxed: {answer['match']} {top}   whole frame: "
                  f"{framed['match']} {exact}")
        count = len(shop.truth)
        print(f"shop the moment, {count} appearances: exact with the box {boxed}/{count} = {boxed / count:.3f}; "
              f"exact in the whole frame {whole}/{count} = {whole / count:.3f} (goal >= 0.9)")
        print(f"frame search {np.median(spent):.0f} ms p50, {np.max(spent):.0f} ms max (decode at full resolution "
              f"included)")
        product_moments(engine.library, shop)
        engine.close()
        engine.library.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
