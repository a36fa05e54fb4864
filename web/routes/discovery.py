"""WebFinger, host-meta and NodeInfo: how the fediverse finds this instance."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from xml.sax.saxutils import quoteattr

import orjson
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.hub import HUB_USERNAME
from federation.actors import INSTANCE_ACTOR_USERNAME, get_local_actor
from federation.models import LocalActor
from federation.nodeinfo import NodeUsage, nodeinfo_discovery, nodeinfo_document
from federation.urls import LocalUrls
from federation.webfinger import parse_handle, webfinger_document

from ..errors import ApiError
from ..services import services_of

__all__ = ["routes"]

JRD = "application/jrd+json; charset=utf-8"


async def webfinger(request: Request) -> Response:
    services = services_of(request)
    urls = services.urls
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        raise ApiError(400, "bad_request", "resource: the query parameter is required (acct:user@host or a URL)")
    username = _username_for(resource, urls)
    if username is None:
        raise ApiError(404, "not_found", f"resource: {resource!r} is not an account on {urls.domain}")
    async with services.db.sessions() as session:
        actor = await get_local_actor(session, username)
    if actor is None:
        raise ApiError(404, "not_found", f"resource: no account {username!r} on {urls.domain}")
    document = webfinger_document(
        subject=f"acct:{username}@{urls.domain}",
        actor_id=urls.actor(username),
        profile_url=urls.profile(username),
        aliases=[urls.profile(username), urls.actor(username)],
    )
    return Response(orjson.dumps(document), media_type=JRD, headers={"Access-Control-Allow-Origin": "*"})


def _username_for(resource: str, urls: LocalUrls) -> str | None:
    """The local username a WebFinger resource names: `acct:`, actor URL or profile URL."""
    if "://" in resource:
        found = urls.username_of(resource)
        if found is not None:
            return found
        profile_prefix = f"{urls.base_url}/@"
        return resource[len(profile_prefix) :] or None if resource.startswith(profile_prefix) else None
    handle = parse_handle(resource)
    if handle is None or handle.host != urls.domain.lower():
        return None
    return handle.username


async def host_meta(request: Request) -> Response:
    template = f"{services_of(request).urls.base_url}/.well-known/webfinger?resource={{uri}}"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/xrd+xml" template={quoteattr(template)}/>\n'
        "</XRD>\n"
    )
    return Response(xml, media_type="application/xrd+xml; charset=utf-8")


async def host_meta_json(request: Request) -> Response:
    template = f"{services_of(request).urls.base_url}/.well-known/webfinger?resource={{uri}}"
    body = {"links": [{"rel": "lrdd", "type": "application/jrd+json", "template": template}]}
    return Response(orjson.dumps(body), media_type=JRD)


async def nodeinfo_links(request: Request) -> Response:
    urls = services_of(request).urls
    body = nodeinfo_discovery(
        nodeinfo_url=f"{urls.base_url}/nodeinfo/2.1", instance_actor_id=urls.actor(INSTANCE_ACTOR_USERNAME)
    )
    return Response(orjson.dumps(body), media_type="application/json")


async def nodeinfo(request: Request) -> Response:
    services = services_of(request)
    spaces = await services.spaces.count()
    urls = services.urls
    async with services.db.sessions() as session:
        actors = await session.scalar(
            select(func.count()).select_from(LocalActor).where(
                LocalActor.deleted_at.is_(None), LocalActor.actor_type == "Organization"
            )
        )
    document = nodeinfo_document(
        software="espresso",
        version=_software_version(),
        homepage="https://github.com/espresso-coworking/espresso",
        repository="https://github.com/espresso-coworking/espresso",
        usage=NodeUsage(local_actors=int(actors or 0), local_posts=0, active_month=spaces, active_halfyear=spaces),
        open_registrations=False,
        metadata={
            "nodeName": services.settings.instance_name,
            "spaces": spaces,
            "directory": services.settings.directory,
            # Issue 5: where a hub's directory actor is, for crawlers and partner hubs.
            **({"directoryActor": urls.actor(HUB_USERNAME)} if services.hub is not None else {}),
        },
    )
    media_type = f'application/json; profile="{"http://nodeinfo.diaspora.software/ns/schema/2.1"}#"'
    return Response(orjson.dumps(document), media_type=media_type, headers={"Access-Control-Allow-Origin": "*"})


def _software_version() -> str:
    try:
        return version("espresso")
    except PackageNotFoundError:
        return "0.0.0"


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/host-meta.json", host_meta_json),
    Route("/.well-known/nodeinfo", nodeinfo_links),
    Route("/nodeinfo/2.1", nodeinfo),
]
