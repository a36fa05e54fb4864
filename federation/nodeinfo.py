"""NodeInfo 2.1 and its discovery document; FEP-2677 names the instance actor there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["NODEINFO_21_SCHEMA", "NodeUsage", "nodeinfo_discovery", "nodeinfo_document"]

NODEINFO_21_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"


@dataclass(frozen=True)
class NodeUsage:
    local_actors: int
    local_posts: int
    active_month: int
    active_halfyear: int


def nodeinfo_discovery(*, nodeinfo_url: str, instance_actor_id: str) -> dict[str, Any]:
    return {
        "links": [
            {"rel": NODEINFO_21_SCHEMA, "href": nodeinfo_url},
            {"rel": APPLICATION_REL, "href": instance_actor_id},
        ]
    }


def nodeinfo_document(
    *,
    software: str,
    version: str,
    homepage: str,
    repository: str,
    usage: NodeUsage,
    open_registrations: bool,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {"name": software, "version": version, "homepage": homepage, "repository": repository},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": usage.local_actors,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": metadata,
    }
