"""The admin API for spaces, through a real server."""

from __future__ import annotations

from typing import Any

import httpx

from tests.servers import Instance

RACALE: dict[str, Any] = {
    "username": "racale",
    "name": "Coworking Racale",
    "summary": "Un coworking **rurale** nel Salento. #salento",
    "address": {"street": "Via Roma 1", "locality": "Racale", "region": "Puglia", "postal_code": "73055",
                "country": "it"},
    "geo": {"lat": 39.9608, "lon": 18.0937},
    "website": "https://example.org",
    "email": "ciao@example.org",
    "phone": "+39 0833 000000",
    "opening_hours": [{"days": ["mo", "tu", "we", "th", "fr"], "opens": "09:00", "closes": "19:00"}],
    "amenities": ["wifi", "meeting_room", "kitchen"],
    "prices": [{"kind": "day_pass", "amount": "15", "currency": "EUR"}],
    "seats": 40,
    "languages": ["it", "en"],
    "tags": ["rural"],
    "manually_approves_followers": False,
}


async def test_spaces_api__create_read_list_update_delete(instance: Instance) -> None:
    created = await instance.client.post("/api/v1/spaces", json=RACALE)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["actor_id"] == f"{instance.base_url}/users/racale"
    assert body["handle"] == f"@racale@{instance.domain}"
    assert body["address"]["country"] == "IT"
    assert body["prices"][0]["amount"] == "15.00"

    read = await instance.client.get("/api/v1/spaces/racale")
    assert read.json()["name"] == "Coworking Racale"
    listed = await instance.client.get("/api/v1/spaces")
    assert [item["username"] for item in listed.json()["items"]] == ["racale"]
    assert listed.json()["next"] is None

    patched = await instance.client.patch("/api/v1/spaces/racale", json={"seats": 45, "name": "Cowo Racale"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["seats"], patched.json()["name"]) == (45, "Cowo Racale")
    assert patched.json()["email"] == "ciao@example.org"

    deleted = await instance.client.delete("/api/v1/spaces/racale")
    assert deleted.status_code == 204
    assert (await instance.client.get("/api/v1/spaces/racale")).status_code == 410
    listed = await instance.client.get("/api/v1/spaces")
    assert listed.json()["items"] == []


async def test_spaces_api__validation_names_every_bad_field(instance: Instance) -> None:
    bad = dict(RACALE)
    bad.update(
        amenities=["wifi", "jacuzzi"],
        address={"country": "XX"},
        geo={"lat": 123, "lon": 18},
        opening_hours=[{"days": ["mo"], "opens": "25:00", "closes": "19:00"}],
        prices=[{"kind": "day_pass", "amount": "15.00"}],
    )
    response = await instance.client.post("/api/v1/spaces", json=bad)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    fields = {item["field"] for item in body["fields"]}
    assert {"amenities", "address.country", "geo.lat", "opening_hours.0.opens", "prices.0.currency"} <= fields
    assert "jacuzzi" in body["detail"]


async def test_spaces_api__unknown_field_is_refused(instance: Instance) -> None:
    response = await instance.client.post("/api/v1/spaces", json={**RACALE, "colour": "red"})
    assert response.status_code == 422
    assert "colour" in response.json()["detail"]


async def test_spaces_api__username_rules(instance: Instance) -> None:
    for username in ("Racale", "a" * 31, "with-dash", "", "admin", "instance"):
        response = await instance.client.post("/api/v1/spaces", json={**RACALE, "username": username})
        assert response.status_code == 422, username
        assert "username" in response.json()["detail"]


async def test_spaces_api__taken_username_is_409_even_after_delete(instance: Instance) -> None:
    assert (await instance.client.post("/api/v1/spaces", json=RACALE)).status_code == 201
    again = await instance.client.post("/api/v1/spaces", json=RACALE)
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    await instance.client.delete("/api/v1/spaces/racale")
    assert (await instance.client.post("/api/v1/spaces", json=RACALE)).status_code == 409


async def test_spaces_api__bad_requests(instance: Instance) -> None:
    malformed = await instance.client.post("/api/v1/spaces", content=b"{nope", headers={"content-type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json()["error"] == "bad_json"
    not_object = await instance.client.post("/api/v1/spaces", json=[1, 2])
    assert not_object.status_code == 400
    missing = await instance.client.get("/api/v1/spaces/nobody")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "no space named 'nobody'"}


async def test_spaces_api__body_over_one_mebibyte_is_413(instance: Instance) -> None:
    huge = {**RACALE, "summary": "x" * (1_048_576 + 10)}
    response = await instance.client.post("/api/v1/spaces", json=huge)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"

    async def chunks():  # no Content-Length: the cap holds while streaming
        for _ in range(20):
            yield b"x" * 100_000

    streamed = await instance.client.post("/api/v1/spaces", content=chunks())
    assert streamed.status_code == 413


async def test_spaces_api__tokens_are_required(instance: Instance) -> None:
    async with httpx.AsyncClient(base_url=instance.base_url) as anonymous:
        assert (await anonymous.get("/api/v1/spaces")).status_code == 401
        wrong = await anonymous.post("/api/v1/spaces", json=RACALE, headers={"Authorization": "Bearer esp_wrong"})
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "unauthorized"


async def test_openapi__documents_the_space_schema(instance: Instance) -> None:
    response = await instance.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/spaces" in document["paths"]
    space = document["components"]["schemas"]["Space"]
    assert {"username", "name", "address"} <= set(space["required"])
