"""The manager's news page: write a Markdown post, preview it, publish it, see
past posts with their delivery status.

The preview is rendered on the server by the renderer publishing uses
(`linked_html`), so it works without JavaScript; mentions are linked only
when the post is published (resolving them is network work). Publishing calls
`PostService.create`, as the JSON API does."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.errors import ValidationFailed
from directory.note_document import linked_html
from directory.posts import parse_post

from ..i18n import N_
from .guard import PageContext, Redirect, admin_page, begin_space_page
from .messages import localize

__all__ = ["routes"]

LIST_LIMIT = 50


async def _render(page: PageContext, username: str, content: str, *, preview: str | None = None,
                  errors: dict[str, list[str]] | None = None, status_code: int = 200) -> Response:
    view = await page.services.spaces.get(username)
    posts, _ = await page.services.posts.list(username, limit=LIST_LIMIT)
    published = page.request.query_params.get("done") == "published"
    return page.render("admin/posts.html", {
        "view": view, "posts": posts, "content": content, "preview": preview, "errors": errors or {},
        "section": "posts",
        "done": page.text(N_("The post is published and is being sent to your followers.")) if published else None,
    }, status_code=status_code)


@admin_page
async def posts(request: Request) -> Response:
    username, page = await begin_space_page(request)
    if page.form is None:
        return await _render(page, username, "")
    raw = page.form.get("content", "")
    content = raw.strip() if isinstance(raw, str) else ""
    try:
        post = parse_post({"content": content})
    except ValidationFailed as exc:
        errors = {"content": [localize(e["message"], page.text) for e in exc.errors]}
        return await _render(page, username, content, errors=errors, status_code=422)
    if page.form.get("action") != "publish":
        html, _ = linked_html(post.content, [], page.services.urls.profile(username))
        return await _render(page, username, content, preview=html)
    await page.services.posts.create(username, post)
    raise Redirect(f"/admin/spaces/{username}/posts?done=published#done")


routes = [
    Route("/admin/spaces/{username}/posts", posts, methods=["GET", "POST"]),
]
