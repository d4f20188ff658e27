"""Korean text in pictures, with ground truth: product labels, signs and captions in several fonts, sizes,
angles and qualities (for bench/korean_eval.py and the Korean tests), and the demo's Korean products.

Fonts come from the system (Debian: fonts-nanum, fonts-noto-cjk); `korean_fonts()` says which were found,
and a caller skips cleanly where none is.
"""
from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_FILES = [("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", 0),
              ("/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf", 0),
              ("/usr/share/fonts/truetype/nanum/NanumBarunGothicBold.ttf", 0),
              ("/usr/share/fonts/truetype/nanum/NanumMyeongjoBold.ttf", 0),
              ("/usr/share/fonts/truetype/nanum/NanumSquareB.ttf", 0),
              ("/usr/share/fonts/truetype/nanum/NanumSquareRoundB.ttf", 0),
              ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 1),  # face 1: Korean
              ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 1),
              ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 1)]

PRODUCTS = ["서울우유", "바나나맛 우유", "신라면", "짜파게티", "삼다수", "초코파이", "새우깡", "홈런볼", "불닭볶음면",
            "딸기우유", "비빔면", "꿀꽈배기", "오징어땅콩", "참깨라면", "맛동산", "양파링", "칠성사이다", "포카칩",
            "보리차", "검은콩 두유"]
AMOUNTS = ["1000ml", "2L", "500ml", "120g", "컵", "5개입", "대용량", "1+1"]
SIGNS = ["서울대입구역", "강남역 2번 출구", "화장실", "주차장", "영업중", "비상구", "약국", "편의점", "금연구역",
         "관계자외 출입금지", "계산대", "엘리베이터", "부산 가는 길", "시청 방면"]
CAPTIONS = ["오늘의 뉴스", "속보", "경기 종료", "홈런", "다음 이 시간에", "감사합니다", "무대 위의 열정",
            "지금 만나러 갑니다", "첫 번째 무대", "잠시 후 공개됩니다", "최종 결과 발표"]
# One line mixing the scripts, as broadcast captions, price tags and bilingual packages print them: (Hangul, Latin).
MIXED = [("오늘의 무대", "TODAY'S STAGE"), ("최종 결과", "FINAL RESULT"), ("서울우유", "Seoul Milk"),
         ("신라면", "Big Cup"), ("바나나맛 우유", "Banana Milk"), ("강남역", "Gangnam Station"), ("비상구", "EXIT"),
         ("오늘만 할인", "SALE"), ("속보", "BREAKING NEWS"), ("불닭볶음면", "Hot Chicken"), ("편의점", "CONVENIENCE STORE"),
         ("감사합니다", "THANK YOU"), ("검은콩 두유", "Black Bean Soymilk"), ("첫 번째 무대", "FIRST STAGE")]
MIXED_JOINS = [" · ", " ", " | "]


@dataclass
class KoreanImage:
    path: Path
    kind: str  # label | sign | caption
    strings: list[str]
    boxes: list[list[float]] = field(default_factory=list)  # each string's box in the image


def korean_fonts() -> list[tuple[str, int]]:
    return [(path, index) for path, index in FONT_FILES if Path(path).is_file()]


def font(choice: tuple[str, int], size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(choice[0], size, index=choice[1])


def background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A busy, photo-like backdrop: a gradient, blobs and noise."""
    width, height = size
    top, bottom = np.array([rng.randint(30, 230) for _ in range(3)]), np.array([rng.randint(30, 230) for _ in range(3)])
    ramp = np.linspace(0, 1, height)[:, None, None]
    pixels = (top * (1 - ramp) + bottom * ramp).repeat(width, axis=1)
    image = Image.fromarray(pixels.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 8)):
        x, y, r = rng.randint(0, width), rng.randint(0, height), rng.randint(20, 160)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    noise = np.asarray(image, np.int16) + np.random.default_rng(rng.randint(0, 10**6)).integers(-12, 13, (height, width, 3))
    return Image.fromarray(noise.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.5))


def text_block(lines: list[str], face, fill, panel, padding: int) -> tuple[Image.Image, list[list[float]]]:
    """The lines on a panel (RGBA), and each line's box within it."""
    sizes = [face.getbbox(line) for line in lines]
    width = max(b[2] - b[0] for b in sizes) + 2 * padding
    line_height = max(b[3] - b[1] for b in sizes) + padding // 2
    height = line_height * len(lines) + padding * 2
    block = Image.new("RGBA", (width, height), panel)
    draw = ImageDraw.Draw(block)
    boxes = []
    for number, (line, box) in enumerate(zip(lines, sizes)):
        x, y = padding, padding + number * line_height
        draw.text((x - box[0], y - box[1]), line, font=face, fill=fill)
        boxes.append([x, y, x + box[2] - box[0], y + box[3] - box[1]])
    return block, boxes


def compose(rng: random.Random, kind: str, fonts: list, size=(960, 720)) -> tuple[Image.Image, list[str], list]:
    """One picture of `kind` with its strings and their boxes (before any rotation of the block)."""
    image = background(rng, size)
    choice = rng.choice(fonts)
    if kind == "mixed":  # one line in both scripts, on a caption band or a sign
        lines = [rng.choice(MIXED_JOINS).join(rng.choice(MIXED))]
        panel, fill = rng.choice([((10, 10, 30, 255), (255, 255, 255)), ((250, 250, 250, 255), (10, 10, 10)),
                                  ((200, 30, 30, 255), (255, 255, 255))])
        text_size = rng.randint(30, 60)
    elif kind == "label":
        lines = [rng.choice(PRODUCTS), rng.choice(AMOUNTS)]
        panel, fill, text_size = tuple(rng.randint(200, 255) for _ in range(3)) + (255,), (20, 20, 60), rng.randint(40, 80)
    elif kind == "sign":
        lines = [rng.choice(SIGNS)]
        panel, fill = rng.choice([((20, 90, 50, 255), (250, 250, 250)), ((30, 60, 140, 255), (255, 255, 255)),
                                  ((250, 250, 250, 255), (10, 10, 10))])
        text_size = rng.randint(36, 72)
    else:
        lines = [rng.choice(CAPTIONS)]
        panel, fill, text_size = (0, 0, 0, rng.choice([0, 140])), (255, 255, 255), rng.randint(32, 56)
    block, boxes = text_block(lines, font(choice, text_size), fill, panel, padding=text_size // 3)
    angle = rng.uniform(-8, 8) if kind != "caption" else 0.0
    turned = block.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    x = rng.randint(10, max(11, size[0] - turned.width - 10))
    y = size[1] - turned.height - 40 if kind == "caption" else rng.randint(10, max(11, size[1] - turned.height - 10))
    image.paste(turned, (x, y), turned)
    offset = [[bx0 + x, by0 + y, bx1 + x, by1 + y] for bx0, by0, bx1, by1 in boxes] if not angle else \
        [[x, y, x + turned.width, y + turned.height]] * len(lines)
    return image, lines, offset


def perspective(image: Image.Image, rng: random.Random, strength: float = 0.06) -> Image.Image:
    """A mild camera tilt: each corner moved by up to `strength` of the size."""
    width, height = image.size
    jitter = [rng.uniform(-strength, strength) for _ in range(8)]
    corners = [(jitter[0] * width, jitter[1] * height), (width + jitter[2] * width, jitter[3] * height),
               (width + jitter[4] * width, height + jitter[5] * height), (jitter[6] * width, height + jitter[7] * height)]
    from visearch.demo.drawing import perspective_coefficients

    coefficients = perspective_coefficients([(0, 0), (width, 0), (width, height), (0, height)], corners)
    return image.transform(image.size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC)


def _start(folder: Path, seed: int) -> tuple[list, random.Random]:
    """The Korean fonts (a clear error without one), the folder made, and the seeded generator."""
    fonts = korean_fonts()
    if not fonts:
        raise RuntimeError("no Korean font found: install fonts-nanum or fonts-noto-cjk")
    folder.mkdir(parents=True, exist_ok=True)
    return fonts, random.Random(seed)


def generate_korean(folder: Path, count: int = 60, seed: int = 7) -> list[KoreanImage]:
    """`count` pictures (labels, signs and captions in turn) with a ground-truth file `truth.json`."""
    fonts, rng = _start(folder, seed)
    made = []
    for number in range(count):
        kind = ("label", "sign", "caption")[number % 3]
        image, strings, boxes = compose(rng, kind, fonts)
        if kind != "caption" and rng.random() < 0.5:
            image = perspective(image, rng)
        path = folder / f"{kind}-{number:03d}.jpg"
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=rng.choice([60, 75, 90]))
        path.write_bytes(buffer.getvalue())
        made.append(KoreanImage(path, kind, strings, boxes))
    (folder / "truth.json").write_text(json.dumps([{"path": m.path.name, "kind": m.kind, "strings": m.strings}
                                                   for m in made], ensure_ascii=False, indent=1))
    return made


def generate_mixed(folder: Path, count: int = 28, seed: int = 13) -> list[KoreanImage]:
    """`count` pictures of one line mixing Hangul and Latin; each half is a string to find."""
    fonts, rng = _start(folder, seed)
    made = []
    for number in range(count):
        image, lines, boxes = compose(rng, "mixed", fonts)
        strings = next(list(pair) for pair in MIXED if any(lines[0] == join.join(pair) for join in MIXED_JOINS))
        if rng.random() < 0.5:
            image = perspective(image, rng)
        path = folder / f"mixed-{number:03d}.jpg"
        image.save(path, "JPEG", quality=rng.choice([60, 75, 90]))
        made.append(KoreanImage(path, "mixed", strings, boxes * 2))
    return made


def line_crops(folder: Path, count: int = 40, seed: int = 11) -> list[tuple[Path, str]]:
    """Clean single-line crops (a word or a short line on a plain or textured ground) for character error rates."""
    fonts = korean_fonts()
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    crops = []
    pool = PRODUCTS + SIGNS + CAPTIONS + [f"{p} {a}" for p, a in zip(PRODUCTS, AMOUNTS * 3)]
    for number in range(count):
        text = rng.choice(pool)
        face = font(rng.choice(fonts), rng.randint(28, 64))
        ground = tuple(rng.randint(200, 255) for _ in range(3)) if rng.random() < 0.7 else (30, 30, 30)
        ink = (0, 0, 0) if sum(ground) > 300 else (255, 255, 255)
        block, _ = text_block([text], face, ink, ground + (255,), padding=face.size // 4)
        path = folder / f"crop-{number:03d}.png"
        block.convert("RGB").save(path)
        crops.append((path, text))
    return crops


# -- the demo's Korean products: a milk carton, a cup of ramen and a bilingual bottle of water

@dataclass(frozen=True)
class KoreanProduct:
    sku: str
    brand: str
    lines: tuple[str, ...]  # printed on the package, biggest first
    title: str
    category: str
    price: int  # won
    color: tuple[int, int, int]
    ink: tuple[int, int, int]
    aliases: tuple[str, ...] = ()


KOREAN_PRODUCTS = (
    KoreanProduct("SEOUL-MILK-1L", "서울우유", ("서울우유", "1000ml", "신선한 흰 우유"), "서울우유 1000ml", "식품", 3900,
                  (245, 248, 252), (20, 70, 160), ("Seoul Milk",)),
    KoreanProduct("RAMEN-CUP-65", "얼큰", ("얼큰 신라면", "컵", "매운맛 65g"), "얼큰 신라면 컵 65g", "식품", 1500,
                  (200, 30, 30), (255, 240, 200), ("Spicy Ramen Cup",)),
    KoreanProduct("JEJU-WATER-2L", "JEJU", ("제주 삼다수", "JEJU SAMDASOO", "2L"), "제주 삼다수 2L (JEJU SAMDASOO)",
                  "식품", 1200, (200, 230, 245), (10, 80, 120), ("삼다수", "Samdasoo")),
)


def korean_product_image(spec: KoreanProduct, size: int = 640) -> Image.Image:
    """A studio shot of a Korean package: its Hangul (and Latin) lines printed large on the front."""
    fonts = korean_fonts()
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = 130, 50, 510, 590
    draw.rounded_rectangle((left + 8, top + 10, right + 8, bottom + 10), 24, fill=(215, 215, 215))
    draw.rounded_rectangle((left, top, right, bottom), 24, fill=spec.color, outline=spec.ink, width=5)
    label = (left + 20, top + 40, right - 20, top + 330)
    draw.rounded_rectangle(label, 16, fill=(255, 255, 255), outline=spec.ink, width=3)
    centre = (label[0] + label[2]) // 2
    for number, (line, height) in enumerate(zip(spec.lines, (70, 44, 30))):
        face = font(fonts[1 % len(fonts)], height)
        while face.getlength(line) > label[2] - label[0] - 24 and height > 12:  # fit the label
            height -= 2
            face = font(fonts[1 % len(fonts)], height)
        draw.text((centre, label[1] + 70 + number * 95), line, font=face, fill=spec.ink if number else (20, 30, 60),
                  anchor="mm")
    for y in range(top + 360, bottom - 20, 34):  # a band pattern below the label
        draw.rectangle((left + 16, y, right - 16, y + 12), fill=spec.ink)
    return image


def korean_catalogue(catalog_dir: Path, photos_dir: Path, rng_seed: int = 24) -> tuple[list[dict], list[Path]]:
    """The Korean products' studio shots in `catalog_dir` (catalogue rows, prices in won, with aliases), and a
    customer photo of the milk carton on a busy table in `photos_dir`."""
    from visearch.demo.drawing import cluttered_background, jpeg, place_product

    rows, photos = [], []
    for spec in KOREAN_PRODUCTS:
        path = catalog_dir / f"{spec.sku.lower()}-front.jpg"
        shot = korean_product_image(spec)
        path.write_bytes(jpeg(shot, 90))
        rows.append({"sku": spec.sku, "title": spec.title, "brand": spec.brand, "price": f"{spec.price}",
                     "currency": "KRW", "url": f"https://shop.example/p/{spec.sku.lower()}", "category": spec.category,
                     "image": f"catalog/{path.name}", "aliases": "|".join(spec.aliases)})
    rng = random.Random(rng_seed)
    table = cluttered_background(rng, (1024, 768))
    place_product(table, korean_product_image(KOREAN_PRODUCTS[0]), [(380, 110), (760, 140), (740, 650), (360, 620)])
    photo = photos_dir / "seoul-milk-on-table.jpg"
    photo.write_bytes(jpeg(table, 88))
    photos.append(photo)
    return rows, photos
