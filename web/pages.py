"""HTML rendering: one Jinja environment per app, autoescaped, with gettext
hooks so every visible text can be translated from message catalogues."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from . import i18n

__all__ = ["Pages", "pages_of"]

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
        # The callables read the language activated for the page being rendered.
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext_active, i18n.ngettext_active, newstyle=True
        )
        self.env.filters.update(datetime=i18n.format_when, money=i18n.format_money, country=i18n.country_name,
                                language=i18n.language_name)
        self.env.globals.update(
            instance_name=instance_name,
            base_url=base_url,
            label=i18n.vocabulary_label,
            named=i18n.named_choices,
            event_when=i18n.format_event_when,
            languages=i18n.LANGUAGE_NAMES,
        )
        self.catalogues = i18n.Catalogues()

    def language(self, request: Request) -> str:
        return i18n.choose_language(request)

    def gettext(self, request: Request) -> Callable[[str], str]:
        """The translation function for Python-side texts (e.g. a message handed to a template)."""
        return self.catalogues.get(self.language(request)).gettext

    def render(self, request: Request, template: str, context: dict[str, Any], *, status_code: int = 200,
               headers: dict[str, str] | None = None) -> HTMLResponse:
        lang = self.language(request)
        with self.catalogues.activate(lang):
            html = self.env.get_template(template).render(request=request, lang=lang, **context)
        vary = "Accept, Accept-Language, Cookie"
        return HTMLResponse(html, status_code=status_code, headers={"Vary": vary, **(headers or {})})


def pages_of(request: Request) -> Pages:
    """The app's ``Pages`` (``app.state`` is untyped; this is where its type is restored)."""
    pages: Pages = request.app.state.pages
    return pages
