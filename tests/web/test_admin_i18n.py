"""Italian and English: catalogues complete, language chosen and remembered, formats per locale."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.servers import Instance
from web.i18n import Catalogues, format_money, format_when, language_from_header

from .admin_flow import csrf_of, new_browser, run_setup

ROOT = Path(__file__).resolve().parents[2]


def _extracted_msgids() -> set[str]:
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _, _, message, *_ in extract_from_dir(ROOT, method_map, options, keywords={"_": None, "gettext": None,
                                                                                  "ngettext": (1, 2), "N_": None}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_catalogue__every_text_of_templates_and_code_has_an_italian_translation() -> None:
    with (ROOT / "web/locale/it/LC_MESSAGES/messages.po").open("rb") as handle:
        # A plural entry's id is (singular, plural) and every form must be translated.
        translated = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle)
                      if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy}
    missing = sorted(_extracted_msgids() - translated)
    assert not missing, f"add Italian translations (see web/locale/README) for: {missing}"


def test_language__from_accept_language_with_quality() -> None:
    assert language_from_header("it-IT,it;q=0.9,en;q=0.8") == "it"
    assert language_from_header("de-DE,en;q=0.5,it;q=0.7") == "it"
    assert language_from_header("fr") == "en"
    assert language_from_header("") == "en"


def test_formats__dates_and_prices_follow_the_language() -> None:
    catalogues = Catalogues()
    when = datetime(2027, 9, 22, 9, 30, tzinfo=timezone.utc)
    with catalogues.activate("it"):
        assert format_money("15.5", "EUR") == "15,50\xa0€"
        assert "set 2027" in format_when(when)
    with catalogues.activate("en"):
        assert format_money("15.5", "EUR") == "€15.50"
        assert "Sep 22, 2027" in format_when(when)


async def test_pages__italian_from_header_and_switch_remembered(instance: Instance) -> None:
    await instance.create_space("racale", prices=[{"kind": "day_pass", "amount": "15.00", "currency": "EUR"}],
                                amenities=["wifi", "kitchen"])
    async with new_browser(instance.base_url, **{"Accept-Language": "it-IT,it;q=0.9"}) as browser:
        home = await browser.get("/")
        assert '<html lang="it">' in home.text and "Spazi di coworking su" in home.text
        space = await browser.get("/@racale")
        assert "Orari di apertura" in space.text or "Servizi" in space.text
        assert "Giornata: 15,00\xa0€" in space.text and "Cucina" in space.text
        switched = await browser.get("/lang/en?next=/@racale")
        assert switched.status_code == 303 and switched.headers["location"] == "/@racale"
        english = await browser.get("/@racale")
        assert '<html lang="en">' in english.text and "Day pass: €15.00" in english.text
        missing = await browser.get("/no/such/page", headers={"Accept": "text/html"})
        assert missing.status_code == 404 and "There is no such page." in missing.text


async def test_admin__form_errors_in_italian(instance: Instance) -> None:
    async with new_browser(instance.base_url, **{"Accept-Language": "it"}) as browser:
        await run_setup(browser)
        page = await browser.get("/admin/spaces/racale")
        assert "Salva le modifiche" in page.text
        response = await browser.post("/admin/spaces/racale", data={
            "csrf_token": csrf_of(page.text), "name": "", "country": "ZZ", "website": "ftp://x",
            "hours-mo-0-opens": "18:00", "hours-mo-0-closes": "09:00", "price-rows": "1",
            "prices-0-kind": "day_pass", "prices-0-amount": "dieci", "prices-0-currency": "EUR"})
        assert response.status_code == 422
        for text in ("Questo campo è obbligatorio.", "«ZZ» non è un codice di paese",
                     "Inserisci un indirizzo web che inizi con http://", "La chiusura deve venire dopo l&#39;apertura",
                     "«dieci» non è un importo come 15,00."):
            assert text in response.text, text


def test_babel_extract__runs_with_the_project_config(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
                             "-o", str(tmp_path / "messages.pot"), "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert 'msgid "Save changes"' in (tmp_path / "messages.pot").read_text()
