"""Logo and header uploads through the JSON API and the admin form."""

from __future__ import annotations

import io

from PIL import Image

from tests.servers import Instance

from .admin_flow import csrf_of, new_browser, run_setup


def image_bytes(size: tuple[int, int], fmt: str = "PNG", exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (180, 90, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        kwargs["exif"] = data.tobytes()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


async def test_api_icon__resized_stripped_stored_and_served(instance: Instance) -> None:
    await instance.create_space("racale")
    response = await instance.client.put("/api/v1/spaces/racale/icon", content=image_bytes((1200, 800), "JPEG", exif=True),
                                         headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 200, response.text
    icon = response.json()["icon"]
    assert icon["media_type"] == "image/jpeg" and icon["url"].startswith(f"{instance.base_url}/media/")
    served = await instance.client.get(icon["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (400, 400)
        assert not image.getexif()
    space = (await instance.client.get("/api/v1/spaces/racale")).json()
    assert space["icon"] == icon
    actor = (await instance.client.get("/users/racale", headers={"Accept": "application/activity+json"})).json()
    assert actor["icon"]["url"] == icon["url"]


async def test_api_header_image__multipart_is_cropped_to_a_banner(instance: Instance) -> None:
    await instance.create_space("racale")
    response = await instance.client.put("/api/v1/spaces/racale/image",
                                         files={"file": ("header.webp", image_bytes((3000, 2000), "WEBP"))})
    assert response.status_code == 200, response.text
    served = await instance.client.get(response.json()["image"]["url"])
    with Image.open(io.BytesIO(served.content)) as image:
        assert (image.format, image.size) == ("WEBP", (1500, 500))


async def test_api_upload__refuses_text_named_png_and_huge_bodies(instance: Instance) -> None:
    await instance.create_space("racale")
    fake = await instance.client.put("/api/v1/spaces/racale/icon", content=b"just some text, honest",
                                     headers={"Content-Type": "image/png"})
    assert fake.status_code == 422
    assert fake.json() == {"error": "invalid_image", "detail": "icon: This file is not a PNG, JPEG or WebP image."}
    gif = io.BytesIO()
    Image.new("RGB", (50, 50)).save(gif, "GIF")
    assert (await instance.client.put("/api/v1/spaces/racale/icon", content=gif.getvalue())).status_code == 422
    huge = await instance.client.put("/api/v1/spaces/racale/icon", content=b"\x89PNG" + b"0" * (9 * 1024 * 1024))
    assert huge.status_code == 413
    assert "exceeds the limit" in huge.json()["detail"]
    missing = await instance.client.put("/api/v1/spaces/nobody/icon", content=image_bytes((64, 64)))
    assert missing.status_code == 404
    unauthenticated = await instance.client.put("/api/v1/spaces/racale/icon", content=image_bytes((64, 64)),
                                                headers={"Authorization": ""})
    assert unauthenticated.status_code == 401


async def test_admin_upload__shows_a_clear_message_for_a_wrong_file(instance: Instance) -> None:
    async with new_browser(instance.base_url) as browser:
        await run_setup(browser)
        token = csrf_of((await browser.get("/admin/spaces/racale")).text)
        wrong = await browser.post("/admin/spaces/racale/icon", data={"csrf_token": token},
                                   files={"file": ("logo.png", b"not an image at all", "image/png")})
        assert wrong.status_code == 422
        assert "This file is not a PNG, JPEG or WebP image." in wrong.text
        good = await browser.post("/admin/spaces/racale/icon", data={"csrf_token": token},
                                  files={"file": ("logo.png", image_bytes((500, 500)), "image/png")})
        assert good.status_code == 303
        page = await browser.get(good.headers["location"])
        assert "The new logo is saved." in page.text
    assert (await instance.client.get("/api/v1/spaces/racale")).json()["icon"]["media_type"] == "image/png"
