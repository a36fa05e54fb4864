"""Every form of the manager's pages refuses a post without its CSRF token,
and a manager of one space cannot act on another's events or followers."""

from __future__ import annotations

from pathlib import Path

from federation.clock import SystemClock
from federation.db import Database
from web.admin.accounts import AdminAccounts

from .admin_flow import PASSWORD, csrf_of, new_browser, sign_in
from .admin_pair import post_form, running_pair

FORMS = [
    "/admin/spaces/racale/events/new",
    "/admin/spaces/racale/events/{id}",
    "/admin/spaces/racale/events/{id}/cancel",
    "/admin/spaces/racale/events/{id}/postpone",
    "/admin/spaces/racale/events/{id}/restore",
    "/admin/spaces/racale/events/{id}/delete",
    "/admin/spaces/racale/posts",
    "/admin/spaces/racale/followers/{follower}/accept",
    "/admin/spaces/racale/followers/{follower}/reject",
    "/admin/spaces/racale/following",
    "/admin/spaces/racale/following/remove",
    "/admin/blocks",
    "/admin/blocks/1/remove",
]


async def test_admin_pages__every_form_needs_its_csrf_token(tmp_path: Path) -> None:
    async with running_pair(tmp_path, lecce_follows=True) as pair:
        created = await pair.a.client.post("/api/v1/spaces/racale/events",
                                           json={"title": "Open day", "starts_at": "2031-05-01T10:00:00+02:00"})
        ids = {"id": created.json()["id"],
               "follower": (await pair.a.client.get("/api/v1/spaces/racale/followers")).json()["items"][0]["id"]}
        for path in FORMS:
            url = path.format(**ids)
            for data in ({"title": "x", "target": "@x@y.example", "domain": "y.example"},
                         {"csrf_token": "0" * 64, "domain": "y.example"}):
                response = await pair.manager.post(url, data=data)
                assert response.status_code == 403, url
                assert "This form has expired" in response.text and "Traceback" not in response.text
        event = (await pair.a.client.get(f"/api/v1/spaces/racale/events/{ids['id']}")).json()
        assert event["status"] == "scheduled" and event["title"] == "Open day"
        assert (await pair.a.client.get("/api/v1/blocks")).json()["items"] == []


async def test_admin_pages__a_manager_of_another_space_is_refused(tmp_path: Path) -> None:
    async with running_pair(tmp_path, lecce_follows=True) as pair:
        await pair.a.create_space("bari", name="Bari Hub")
        created = await pair.a.client.post("/api/v1/spaces/racale/events",
                                           json={"title": "Open day", "starts_at": "2031-05-01T10:00:00+02:00"})
        event_id = created.json()["id"]
        follower = (await pair.a.client.get("/api/v1/spaces/racale/followers")).json()["items"][0]["id"]
        db = Database(pair.a.settings.database_url)
        try:
            await AdminAccounts(db, SystemClock()).create("bea@example.org", PASSWORD, all_spaces=False,
                                                         spaces=["bari"])
        finally:
            await db.dispose()
        async with new_browser(pair.a.base_url) as bea:
            assert (await sign_in(bea, "bea@example.org")).status_code == 303
            own = await bea.get("/admin/spaces/bari/events")
            assert own.status_code == 200 and "Blocks" not in own.text  # blocks are for instance administrators
            token = csrf_of(own.text)
            for method, url in [("GET", "/admin/spaces/racale/events"), ("GET", "/admin/spaces/racale/followers"),
                                ("GET", "/admin/spaces/racale/following"), ("GET", "/admin/spaces/racale/posts"),
                                ("GET", f"/admin/spaces/racale/events/{event_id}"),
                                ("POST", f"/admin/spaces/racale/events/{event_id}/cancel"),
                                ("POST", f"/admin/spaces/racale/events/{event_id}/delete"),
                                ("POST", f"/admin/spaces/racale/followers/{follower}/reject"),
                                ("POST", "/admin/spaces/racale/posts"),
                                ("GET", "/admin/blocks"), ("POST", "/admin/blocks")]:
                data = {"csrf_token": token, "content": "hi", "domain": "x.example"}
                response = await bea.request(method, url, data=data if method == "POST" else None)
                assert response.status_code == 403, url
                assert "You do not manage this space." in response.text
            # Bari's manager reaching racale's event through bari's address finds nothing.
            assert (await bea.get(f"/admin/spaces/bari/events/{event_id}")).status_code == 404
        event = (await pair.a.client.get(f"/api/v1/spaces/racale/events/{event_id}")).json()
        assert event["status"] == "scheduled"
        assert len((await pair.a.client.get("/api/v1/spaces/racale/followers")).json()["items"]) == 1


async def test_admin_posts__preview_then_publish(tmp_path: Path) -> None:
    async with running_pair(tmp_path, lecce_follows=True) as pair:
        path = "/admin/spaces/racale/posts"
        text = "Nuovi **orari** da lunedì. #coworking"
        preview = await post_form(pair.manager, path, path, {"content": text, "action": "preview"})
        assert preview.status_code == 200
        assert "<strong>orari</strong>" in preview.text and 'rel="tag"' in preview.text
        assert (await pair.a.client.get("/api/v1/spaces/racale/posts")).json()["items"] == []
        empty = await post_form(pair.manager, path, path, {"content": "  ", "action": "publish"})
        assert empty.status_code == 422 and 'id="content-error"' in empty.text
        published = await post_form(pair.manager, path, path, {"content": text, "action": "publish"})
        assert published.status_code == 303
        await pair.drain()
        [note] = (await pair.b.client.get("/api/v1/spaces/lecce/received", params={"type": "Note"})).json()["items"]
        assert "<strong>orari</strong>" in note["content"]
        page = await pair.manager.get(path)
        assert "Delivered to 1 server" in page.text
