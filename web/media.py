"""Logo and header images: checked, re-encoded and stored under `data_dir/media`.

The type is sniffed from the bytes by Pillow (never the file name or the
declared Content-Type); re-encoding drops EXIF/GPS and any trailing payload.
Files get random names, so an upload can neither overwrite nor guess another."""

from __future__ import annotations

import asyncio
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from directory.space_schema import SpacePatch

from .i18n import N_
from .services import Services

__all__ = ["IMAGE_KINDS", "ImageRejected", "MEDIA_URL_PREFIX", "StoredImage", "media_dir", "store_space_image"]

MEDIA_URL_PREFIX = "/media/"
# Formats we accept (Pillow's names) and how each is re-encoded.
_ACCEPTED = {"PNG": ("PNG", "image/png", ".png"), "JPEG": ("JPEG", "image/jpeg", ".jpg"),
             "WEBP": ("WEBP", "image/webp", ".webp")}
# Biggest source image we decode: guards against decompression bombs smaller than the byte cap.
MAX_SOURCE_PIXELS = 40_000_000
MIN_SIDE = 16


@dataclass(frozen=True)
class ImageKind:
    field: str  # SpaceRecord attribute
    size: tuple[int, int]
    crop: bool


# Logos are cropped square; headers cover a 3:1 banner (as Mastodon shows them).
IMAGE_KINDS = {"icon": ImageKind("icon", (400, 400), crop=True), "image": ImageKind("image", (1500, 500), crop=True)}


class ImageRejected(Exception):
    """The upload is not an image we take; `message` is a catalogue msgid a manager understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredImage:
    name: str
    media_type: str


def media_dir(services: Services) -> Path:
    return services.settings.data_dir / "media"


def process_image(data: bytes, kind: ImageKind, max_bytes: int) -> tuple[bytes, str, str]:
    """(encoded bytes, media type, suffix) of the resized, metadata-free image."""
    if not data:
        raise ImageRejected(N_("Choose an image file to upload."))
    if len(data) > max_bytes:
        raise ImageRejected(N_("The image is too large: the limit is 8 MiB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                source_format = probe.format
                width, height = probe.size
                if source_format not in _ACCEPTED:
                    raise ImageRejected(N_("This file is not a PNG, JPEG or WebP image."))
                if width * height > MAX_SOURCE_PIXELS:
                    raise ImageRejected(N_("The image has too many pixels: at most 40 megapixels."))
                if min(width, height) < MIN_SIDE:
                    raise ImageRejected(N_("The image is too small: at least 16 pixels on each side."))
                probe.load()
                image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError):
        raise ImageRejected(N_("This file is not a PNG, JPEG or WebP image.")) from None
    image = ImageOps.fit(image, kind.size, method=Image.Resampling.LANCZOS) if kind.crop else image
    pil_format, media_type, suffix = _ACCEPTED[source_format]
    if pil_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    # No exif=/icc_profile= arguments: the new file carries no metadata.
    image.save(out, format=pil_format, **({"quality": 85, "optimize": True} if pil_format == "JPEG" else {}))
    return out.getvalue(), media_type, suffix


async def store_space_image(services: Services, username: str, kind_name: str, data: bytes) -> dict[str, str]:
    """Check, store and record a space's logo (`icon`) or header (`image`); federates like any profile change.

    Returns the `{"url", "media_type"}` recorded on the space."""
    kind = IMAGE_KINDS[kind_name]
    await services.spaces.get(username)  # NotFound / Gone before any work
    encoded, media_type, suffix = await asyncio.to_thread(
        process_image, data, kind, services.settings.max_image_bytes
    )
    folder = media_dir(services)
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_urlsafe(18) + suffix
    (folder / name).write_bytes(encoded)
    value = {"url": f"{services.urls.base_url}{MEDIA_URL_PREFIX}{name}", "media_type": media_type}
    async with services.db.transaction() as session:
        record = await services.spaces.get_record(session, username)
        setattr(record, kind.field, value)
    # The same path as every profile change, so followers get the Update.
    await services.spaces.update(username, SpacePatch())
    services.documents.invalidate(f"actor:{username}")
    return value
