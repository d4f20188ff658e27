"""JPEG decoding for CLIP: Pillow's draft mode against libjpeg-turbo's M/8 scaling (simplejpeg).

    python bench/jpeg_decode.py [--images 300] [--clip ViT-B-32:random]

For generated 1024×768 phone photos (bench/common.py), times decode + CLIP input preparation on one
thread for: Pillow at full size, Pillow's draft mode (1/2, 1/4, 1/8 only), and simplejpeg at the
smallest M/8 scale covering CLIP's input. Quality is the CLIP embedding's cosine to the full-size
decode's, so the faster decoder is kept only at equal quality (issue 15, part 5).
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--clip", default="ViT-B-32:random", help="same compute as the pretrained model")
    args = parser.parse_args()
    import numpy as np
    import simplejpeg
    import torch
    from PIL import Image

    from bench.common import phone_photos
    from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec

    torch.set_num_threads(1)
    datas = [path.read_bytes() for path in phone_photos(args.images)]
    encoder = ClipEncoder(parse_clip_spec(args.clip))
    encoder.load()
    side = encoder.image_size

    def full(data):
        return Image.open(io.BytesIO(data)).convert("RGB")

    def draft(data):
        image = Image.open(io.BytesIO(data))
        scale = min(image.size) / side
        if scale >= 2:
            image.draft("RGB", (int(image.width / scale) + 1, int(image.height / scale) + 1))
        return image.convert("RGB")

    def scaled(data):
        return Image.fromarray(simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=side, min_height=side))

    decoders = {"Pillow, full size": full, "Pillow draft mode": draft, "simplejpeg M/8 scale": scaled}
    reference = encoder.encode_pixels(torch.stack([encoder.prepare(encoder.resize_for_model(full(d)))
                                                   for d in datas[:100]]))
    times = {}
    print(f"{len(datas)} JPEGs of 1024×768, decode + CLIP input ({args.clip}, {side} px), one thread:")
    for name, decode in decoders.items():
        for data in datas[:10]:
            encoder.prepare(encoder.resize_for_model(decode(data)))
        started = time.process_time()
        for data in datas:
            encoder.prepare(encoder.resize_for_model(decode(data)))
        times[name] = (time.process_time() - started) / len(datas) * 1000
        vectors = encoder.encode_pixels(torch.stack([encoder.prepare(encoder.resize_for_model(decode(d)))
                                                     for d in datas[:100]]))
        cosine = (vectors * reference).sum(axis=1) / (np.linalg.norm(vectors, axis=1)
                                                       * np.linalg.norm(reference, axis=1))
        print(f"  {name:<22} {times[name]:5.2f} ms CPU per image, decoded at {decode(datas[0]).size}; "
              f"embedding cosine to full size: min {cosine.min():.5f}")
    ratio = times["Pillow draft mode"] / times["simplejpeg M/8 scale"]
    print(f"simplejpeg / Pillow draft: {ratio:.2f}× as fast (kept: indexer/images.py uses it when installed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
