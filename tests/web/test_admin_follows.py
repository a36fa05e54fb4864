"""Followers, follow requests, following and the directory hub request,
through the manager's pages, against two real instances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.servers import Instance

from .admin_flow import csrf_of
from .admin_pair import post_form, running_pair

FOLLOWERS = "/admin/spaces/racale/followers"
FOLLOWING = "/admin/spaces/racale/following"


async def _items(instance: Instance, path: str) -> list[dict[str, Any]]:
    response = await instance.client.get(path)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_admin_followers__approve_a_request_and_the_remote_side_is_accepted(tmp_path: Path) -> None:
    async with running_pair(tmp_path) as pair:
        patched = await pair.a.client.patch("/api/v1/spaces/racale", json={"manually_approves_followers": True})
        assert patched.status_code == 200, patched.text
        await pair.b.client.post("/api/v1/spaces/lecce/following", json={"target": f"@racale@{pair.a.domain}"})
        await pair.drain()
        [pending] = await _items(pair.b, "/api/v1/spaces/lecce/following")
        assert pending["state"] == "pending"

        page = await pair.manager.get(FOLLOWERS)
        assert f"@lecce@{pair.b.domain}" in page.text and f"<td>{pair.b.domain}</td>" in page.text
        [request] = await _items(pair.a, "/api/v1/spaces/racale/follow-requests")
        approved = await pair.manager.post(f"{FOLLOWERS}/{request['id']}/accept",
                                           data={"csrf_token": csrf_of(page.text)})
        assert approved.status_code == 303 and approved.headers["location"].endswith("done=accepted#done")
        await pair.drain()
        [accepted] = await _items(pair.b, "/api/v1/spaces/lecce/following")
        assert accepted["state"] == "accepted"
        page = await pair.manager.get(FOLLOWERS)
        assert "No one is waiting for an answer." in page.text and "Accepted" in page.text


async def test_admin_followers__refuse_a_request(tmp_path: Path) -> None:
    async with running_pair(tmp_path) as pair:
        await pair.a.client.patch("/api/v1/spaces/racale", json={"manually_approves_followers": True})
        await pair.b.client.post("/api/v1/spaces/lecce/following", json={"target": f"@racale@{pair.a.domain}"})
        await pair.drain()
        [request] = await _items(pair.a, "/api/v1/spaces/racale/follow-requests")
        refused = await post_form(pair.manager, FOLLOWERS, f"{FOLLOWERS}/{request['id']}/reject", {})
        assert refused.status_code == 303
        await pair.drain()
        [rejected] = await _items(pair.b, "/api/v1/spaces/lecce/following")
        assert rejected["state"] == "rejected"


async def test_admin_following__follow_by_handle_then_unfollow(tmp_path: Path) -> None:
    async with running_pair(tmp_path) as pair:
        handle = f"@lecce@{pair.b.domain}"
        followed = await post_form(pair.manager, FOLLOWING, FOLLOWING, {"target": handle})
        assert followed.status_code == 303 and followed.headers["location"].endswith("done=followed#done")
        assert "Waiting for an answer" in (await pair.manager.get(FOLLOWING)).text
        await pair.drain()
        [row] = await _items(pair.a, "/api/v1/spaces/racale/following")
        assert row["state"] == "accepted" and row["handle"] == handle
        [follower] = await _items(pair.b, "/api/v1/spaces/lecce/followers")
        assert follower["actor_id"] == f"{pair.a.base_url}/users/racale"
        page = await pair.manager.get(FOLLOWING)
        assert "Accepted" in page.text and f"<td>{pair.b.domain}</td>" in page.text

        removed = await post_form(pair.manager, FOLLOWING, f"{FOLLOWING}/remove", {"target": row["actor_id"]})
        assert removed.status_code == 303
        await pair.drain()
        assert await _items(pair.a, "/api/v1/spaces/racale/following") == []
        assert await _items(pair.b, "/api/v1/spaces/lecce/followers") == []


async def test_admin_following__ask_a_hub_is_a_follow_and_failures_are_explained(tmp_path: Path) -> None:
    async with running_pair(tmp_path) as pair:
        asked = await post_form(pair.manager, FOLLOWING, FOLLOWING, {"hub": f"{pair.b.base_url}/users/lecce"})
        assert asked.status_code == 303 and asked.headers["location"].endswith("done=hub#done")
        await pair.drain()
        [row] = await _items(pair.a, "/api/v1/spaces/racale/following")
        assert row["state"] == "accepted"

        nonsense = await post_form(pair.manager, FOLLOWING, FOLLOWING, {"target": "just words"})
        assert nonsense.status_code == 422 and 'id="target-error"' in nonsense.text
        missing = await post_form(pair.manager, FOLLOWING, FOLLOWING, {"target": f"@nobody@{pair.b.domain}"})
        assert missing.status_code == 422
        assert f"We could not follow @nobody@{pair.b.domain}" in missing.text and "Traceback" not in missing.text
        assert "Failed" in missing.text  # the failed row is listed, with its reason


async def _seed_followers(instance: Instance, count: int, pending: int) -> None:
    """``count`` accepted followers and ``pending`` requests, written straight into the database (thousands of
    remote servers are not the point here)."""
    from datetime import datetime, timezone

    from sqlalchemy import insert, select

    from federation.db import Database
    from federation.models import Follower, LocalActor, RemoteActor

    db = Database(instance.settings.database_url)
    now = datetime.now(timezone.utc)
    try:
        async with db.transaction() as session:
            local_id = await session.scalar(select(LocalActor.id).where(LocalActor.username == "racale"))
            for n in range(count + pending):
                actor_id = f"https://fan{n:04d}.example/users/fan"
                remote_id = (await session.execute(insert(RemoteActor).values(
                    ap_id=actor_id, actor_type="Person", domain=f"fan{n:04d}.example", inbox=f"{actor_id}/inbox",
                    preferred_username="fan", document={"id": actor_id}, fetched_at=now,
                ).returning(RemoteActor.id))).scalar_one()
                await session.execute(insert(Follower).values(
                    local_actor_id=local_id, remote_actor_id=remote_id, follow_activity_id=f"{actor_id}/follows/1",
                    state="pending" if n >= count else "accepted", created_at=now, updated_at=now))
    finally:
        await db.dispose()


async def test_admin_followers__long_lists_page_200_at_a_time_with_requests_on_top(tmp_path: Path) -> None:
    async with running_pair(tmp_path) as pair:
        await _seed_followers(pair.a, count=250, pending=2)
        first = await pair.manager.get(FOLLOWERS)
        assert first.status_code == 200
        shown = first.text.count('<a href="https://fan')
        assert shown == 202  # the 2 requests, then the first 200 followers
        assert "fan0000.example" in first.text and "fan0199.example" in first.text and "fan0200.example" not in first.text
        assert "fan0250.example" in first.text and "fan0251.example" in first.text  # the requests
        next_link = first.text.split('rel="next" href="', 1)[1].split('"', 1)[0]
        second = await pair.manager.get(next_link.replace("&amp;", "&"))
        assert second.status_code == 200 and "First page" in second.text and 'rel="next"' not in second.text
        assert "fan0200.example" in second.text and "fan0249.example" in second.text and "fan0199.example" not in second.text
        assert "fan0250.example" in second.text  # the requests still come first
        odd = await pair.manager.get(f"{FOLLOWERS}?after=not-a-number")
        assert odd.status_code == 200 and "fan0000.example" in odd.text
