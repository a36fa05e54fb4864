"""HTML rendering: one Jinja environment per app, autoescaped, with gettext
hooks so every visible text can be translated from message catalogues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gettext
import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["Pages"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


class Pages:
    def __init__(self, *, instance_name: str, base_url: str) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
            autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_gettext_translations(gettext.NullTranslations(), newstyle=True)  # type: ignore[attr-defined]
        self.env.globals.update(instance_name=instance_name, base_url=base_url)

    def render(self, request: Request, template: str, context: dict[str, Any], *, status_code: int = 200,
               headers: dict[str, str] | None = None) -> HTMLResponse:
        html = self.env.get_template(template).render(request=request, lang="en", **context)
        return HTMLResponse(html, status_code=status_code, headers={"Vary": "Accept", **(headers or {})})
