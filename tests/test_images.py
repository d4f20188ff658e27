import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visearch.indexer.errors import ImageTooLargeError, MediaError
from visearch.indexer.images import crop_box, make_thumbnail, open_image


def test_every_odd_format_decodes_to_rgb(fixture_set):
    paths = sorted(fixture_set.formats_dir.iterdir())
    assert len(paths) >= 10
    for path in paths:
        image = open_image(path)
        assert image.mode == "RGB", path
        assert min(image.size) > 0


def test_exif_orientation_is_applied(fixture_set):
    # Stored rotated by 90° with orientation 6: displayed upright it is square again and matches the source.
    rotated = open_image(fixture_set.formats_dir / "rotated-exif.jpg")
    upright = open_image(fixture_set.formats_dir / "image.bmp")
    difference = np.abs(np.asarray(rotated, np.int16) - np.asarray(upright, np.int16)).mean()
    assert difference < 12


def test_sixteen_bit_grey_keeps_its_range(fixture_set):
    pixels = np.asarray(open_image(fixture_set.formats_dir / "grey16.png"))
    assert pixels.max() > 200 and pixels.min() < 60


def test_transparency_flattens_onto_white():
    image = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    pixels = np.asarray(open_image(path="x.png", data=buffer.getvalue()))
    assert (pixels == 255).all()


def test_animated_gif_uses_the_first_frame(fixture_set):
    first = open_image(fixture_set.formats_dir / "animated.gif")
    reference = open_image(fixture_set.formats_dir / "image.bmp")
    assert np.abs(np.asarray(first, np.int16) - np.asarray(reference, np.int16)).mean() < 25


def test_decompression_bomb_is_refused_with_numbers(fixture_set):
    with pytest.raises(ImageTooLargeError) as caught:
        open_image(fixture_set.bad_dir / "bomb.png")
    assert caught.value.pixels == 40_000 * 40_000
    assert "bomb.png" in str(caught.value)


def test_our_pixel_limit_applies_below_pillows(fixture_set):
    with pytest.raises(ImageTooLargeError):
        open_image(fixture_set.catalog_image("AUR-2040"), max_pixels=1000)


def test_truncated_file_names_file_and_reason(fixture_set):
    with pytest.raises(MediaError) as caught:
        open_image(fixture_set.bad_dir / "truncated.jpg")
    assert caught.value.path.name == "truncated.jpg"
    assert "truncated" in caught.value.reason


def test_draft_mode_decodes_smaller_but_reports_the_true_size(fixture_set):
    path = fixture_set.catalog_image("KET-315")
    image = open_image(path, draft_size=64)
    assert image.width < 640
    assert image.info["original_size"] == (640, 640)


def test_crop_box_clamps_and_rejects_empty():
    image = Image.new("RGB", (100, 50))
    assert crop_box(image, (-10, -10, 60, 80)).size == (60, 50)
    with pytest.raises(ValueError):
        crop_box(image, (120, 10, 150, 20))


def test_thumbnail_is_a_small_jpeg():
    data = make_thumbnail(Image.new("RGB", (1000, 500), "red"), 256)
    thumb = Image.open(io.BytesIO(data))
    assert thumb.format == "JPEG" and thumb.size == (256, 128)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_scaled_jpeg_decode_matches_pillow_in_size_orientation_and_pixels(orientation, monkeypatch):
    """libjpeg-turbo's M/8 scaling (simplejpeg) and Pillow's draft mode give the same upright picture."""
    import io

    import numpy as np

    from visearch.indexer import images

    picture = Image.new("RGB", (1200, 800), (20, 160, 60))
    picture.paste((220, 30, 30), (0, 0, 300, 200))  # a red corner shows where "up" went
    exif = Image.Exif()
    exif[images.ORIENTATION] = orientation
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    data = buffer.getvalue()
    scaled = open_image(Path("photo.jpg"), data, draft_size=224)
    monkeypatch.setattr(images, "_scaled_jpeg", lambda *args: None)  # Pillow's draft mode instead
    drafted = open_image(Path("photo.jpg"), data, draft_size=224)
    assert min(scaled.size) >= 224 and scaled.info["original_size"] == drafted.info["original_size"]
    assert scaled.width / scaled.height == pytest.approx(drafted.width / drafted.height, rel=0.01)
    resized = np.asarray(scaled.resize(drafted.size), np.float32)
    assert np.abs(resized - np.asarray(drafted, np.float32)).mean() < 6


def test_a_cmyk_jpeg_falls_back_to_pillow():
    import io

    buffer = io.BytesIO()
    Image.new("CMYK", (900, 600), (0, 200, 200, 0)).save(buffer, "JPEG")
    image = open_image(Path("cmyk.jpg"), buffer.getvalue(), draft_size=224)
    assert image.mode == "RGB" and min(image.size) >= 224
