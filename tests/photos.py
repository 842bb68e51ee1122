"""Phone-like test photos: real, noisy JPEGs with EXIF (orientation, maker, GPS), and HEIC."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def _scene(width: int, height: int, seed: int) -> Image.Image:
    """A picture with shapes and sensor-like noise, so it compresses like a photo does."""
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(12):
        x, y = (seed * 97 + i * 331) % width, (seed * 53 + i * 211) % height
        color = ((i * 40 + seed * 17) % 256, (i * 90) % 256, (i * 150 + seed) % 256)
        draw.rectangle([x, y, x + width // 5, y + height // 6], fill=color)
    noise = Image.effect_noise((width, height), 48).convert("RGB")
    return Image.blend(base, noise, 0.35)


def exif_with_gps() -> Image.Exif:
    """EXIF as a phone writes it: rotated (6 = 90 degrees clockwise), maker, GPS position."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "S", 2: (7.0, 15.0, 30.0), 3: "E", 4: (112.0, 45.0, 0.0)})
    return exif


def phone_jpeg(min_bytes: int = 4 * 1024 * 1024, seed: int = 1) -> bytes:
    """A 12-megapixel JPEG of at least ``min_bytes``, with EXIF orientation and GPS."""
    image = _scene(4000, 3000, seed)
    for quality in range(70, 101, 3):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, exif=exif_with_gps())
        if out.tell() >= min_bytes:
            break
    return out.getvalue()


def phone_heic(seed: int = 2) -> bytes:
    """An iPhone-like HEIC photo (pillow-heif)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    _scene(1200, 900, seed).save(out, "HEIF", quality=80, exif=exif_with_gps())
    return out.getvalue()
