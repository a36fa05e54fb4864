"""What the directory's search forms offer to pick from: the countries and languages of what is listed.

A visitor picks "Italia" from a list instead of typing "IT". Only values that a listed space (or, on
the events page, a stored event) has are offered; the API still takes any valid code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .listing_models import DirectoryEvent, DirectoryListing
from .search import ListingPolicy, visible_listing

__all__ = ["FilterChoices", "filter_choices"]


@dataclass(frozen=True)
class FilterChoices:
    space_countries: tuple[str, ...]  # ISO 3166-1 alpha-2, upper case, sorted by code: the spaces' countries
    event_countries: tuple[str, ...]  # the same, with the countries of listed events (the events page)
    languages: tuple[str, ...]  # language codes as the spaces give them, lower case, sorted by code


async def filter_choices(session: AsyncSession, *, now: datetime, policy: ListingPolicy) -> FilterChoices:
    visible = visible_listing(now, policy)
    space_countries = {code.upper() for code in await session.scalars(
        select(DirectoryListing.country).where(visible, DirectoryListing.country.is_not(None)).distinct()
    ) if code}
    # Every stored event, past ones too: DISTINCT on the (country, ...) index alone takes ~6 ms for 100,000
    # events, where also asking for upcoming ones reads each row (~130 ms, SQLite).
    event_countries = {code.upper() for code in await session.scalars(
        select(DirectoryEvent.country).where(DirectoryEvent.country.is_not(None)).distinct()
    ) if code}
    # ",it,en," per space (the column the language filter matches): a few distinct values, not one per space.
    language_keys = await session.scalars(select(DirectoryListing.languages_key).where(visible).distinct())
    languages = {code for key in language_keys for code in (key or "").split(",") if code}
    return FilterChoices(tuple(sorted(space_countries)), tuple(sorted(space_countries | event_countries)),
                         tuple(sorted(languages)))
