"""The website a manager types in the profile form: the scheme is optional."""

from __future__ import annotations

from web.admin.forms import web_address


def test_website__a_bare_domain_gets_https() -> None:
    assert web_address(" www.racale.it ") == "https://www.racale.it"
    assert web_address("racale.it/contatti") == "https://racale.it/contatti"


def test_website__full_addresses_blanks_and_nonsense_are_left_to_validation() -> None:
    assert web_address("http://racale.it") == "http://racale.it"
    assert web_address("") is None
    assert web_address("racale dot it") == "racale dot it"
    assert web_address("ciao@racale.it") == "ciao@racale.it"
