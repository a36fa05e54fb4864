"""Directory search benchmark: 10,000 spaces and 100,000 events, queried through the real app.

    .venv/bin/python bench/directory_search.py [--database-url postgresql+asyncpg://postgres@127.0.0.1/test]
                                               [--spaces 10000] [--events 100000] [--rounds 200] [--seed 42]
                                               [--fresh]

The data set is generated once and cached, keyed by seed, sizes, the directory tables'
columns and the day: an SQLite file under the temporary folder, or a database of its
own (`espresso_dirbench_<key>`) on the PostgreSQL server given. A cached set gets the
indexes the models declare now (`sync_indexes`) and a fresh ANALYZE, so index work
needs no reload; when a new set is complete, older ones (files, databases) are removed. The first `VERIFY_SPACES` spaces go through
`directory.indexing.upsert_remote_listing` (the production path) and the bulk rows
for them are checked against what it wrote; the rest are inserted in large batches
with the same helpers (`fold`, `plain_text`, `space_timezone`, ...) and full-text rows.
Events, ten times as many, are bulk-inserted with the same columns.
Queries go through `create_app` over httpx's ASGI transport, so routing, parsing,
SQL and JSON/HTML rendering are all measured. Targets: p95 ≤ 20 ms for the API,
≤ 50 ms for the HTML page.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, inspect, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory.indexing import listed_until, origin_of, upsert_remote_listing  # noqa: E402
from directory.listing_models import (  # noqa: E402
    DirectoryAmenity, DirectoryEvent, DirectoryHours, DirectoryListing, DirectoryPrice)
from directory.place_parsing import OpeningRule, ParsedPlace, ParsedPrice  # noqa: E402
from directory.richtext import plain_text  # noqa: E402
from directory.search_index import PG_VECTOR_SQL, ddl_statements, fold  # noqa: E402
from directory.space_timezone import space_timezone  # noqa: E402
from directory.vocabulary import WEEKDAYS  # noqa: E402
from federation.sanitize import sanitize_remote_html  # noqa: E402
from federation.db import Database  # noqa: E402
from web.app import create_app  # noqa: E402
from web.config import Settings  # noqa: E402
from web.schema import all_metadata  # noqa: E402

# Real cities (name, region, country, lat, lon, weight).
CITIES = [
    ("Milano", "Lombardia", "IT", 45.4642, 9.1900, 12), ("Roma", "Lazio", "IT", 41.9028, 12.4964, 12),
    ("Torino", "Piemonte", "IT", 45.0703, 7.6869, 6), ("Bologna", "Emilia-Romagna", "IT", 44.4949, 11.3426, 6),
    ("Firenze", "Toscana", "IT", 43.7696, 11.2558, 5), ("Napoli", "Campania", "IT", 40.8518, 14.2681, 5),
    ("Bari", "Puglia", "IT", 41.1171, 16.8719, 4), ("Lecce", "Puglia", "IT", 40.3515, 18.1750, 3),
    ("Racale", "Puglia", "IT", 39.9608, 18.0937, 1), ("Palermo", "Sicilia", "IT", 38.1157, 13.3615, 3),
    ("Catania", "Sicilia", "IT", 37.5079, 15.0830, 2), ("Cagliari", "Sardegna", "IT", 39.2238, 9.1217, 2),
    ("Genova", "Liguria", "IT", 44.4056, 8.9463, 3), ("Venezia", "Veneto", "IT", 45.4408, 12.3155, 3),
    ("Padova", "Veneto", "IT", 45.4064, 11.8768, 3), ("Verona", "Veneto", "IT", 45.4384, 10.9916, 3),
    ("Trento", "Trentino-Alto Adige", "IT", 46.0748, 11.1217, 2), ("Trieste", "Friuli-Venezia Giulia", "IT",
                                                                   45.6495, 13.7768, 2),
    ("Perugia", "Umbria", "IT", 43.1107, 12.3908, 1), ("Ancona", "Marche", "IT", 43.6158, 13.5189, 1),
    ("Pescara", "Abruzzo", "IT", 42.4618, 14.2161, 1), ("Matera", "Basilicata", "IT", 40.6664, 16.6043, 1),
    ("Berlin", "Berlin", "DE", 52.5200, 13.4050, 8), ("München", "Bayern", "DE", 48.1351, 11.5820, 4),
    ("Hamburg", "Hamburg", "DE", 53.5511, 9.9937, 3), ("Paris", "Île-de-France", "FR", 48.8566, 2.3522, 8),
    ("Lyon", "Auvergne-Rhône-Alpes", "FR", 45.7640, 4.8357, 3), ("Marseille", "Provence", "FR", 43.2965, 5.3698, 2),
    ("Madrid", "Madrid", "ES", 40.4168, -3.7038, 5), ("Barcelona", "Catalunya", "ES", 41.3874, 2.1686, 6),
    ("Valencia", "Valencia", "ES", 39.4699, -0.3763, 2), ("Lisboa", "Lisboa", "PT", 38.7223, -9.1393, 5),
    ("Porto", "Porto", "PT", 41.1579, -8.6291, 2), ("Amsterdam", "Noord-Holland", "NL", 52.3676, 4.9041, 5),
    ("Bruxelles", "Bruxelles", "BE", 50.8503, 4.3517, 2), ("Wien", "Wien", "AT", 48.2082, 16.3738, 3),
    ("Zürich", "Zürich", "CH", 47.3769, 8.5417, 2), ("Ljubljana", "Ljubljana", "SI", 46.0569, 14.5058, 1),
    ("Praha", "Praha", "CZ", 50.0755, 14.4378, 3), ("Warszawa", "Mazowieckie", "PL", 52.2297, 21.0122, 3),
    ("Athina", "Attiki", "GR", 37.9838, 23.7275, 2), ("Dublin", "Dublin", "IE", 53.3498, -6.2603, 2),
    ("London", "England", "GB", 51.5074, -0.1278, 8), ("København", "Hovedstaden", "DK", 55.6761, 12.5683, 2),
    ("Stockholm", "Stockholm", "SE", 59.3293, 18.0686, 2), ("Helsinki", "Uusimaa", "FI", 60.1699, 24.9384, 1),
]
WORDS = ["coworking", "hub", "lab", "officine", "spazio", "studio", "loft", "desk", "factory", "casa", "base",
         "nest", "works", "garage", "atelier", "cantiere", "terrazza", "giardino", "porto", "stazione"]
DESCRIPTIONS = [
    "Spazio di lavoro condiviso con sale riunioni e cucina.", "Open space with fast wifi and a quiet zone.",
    "Uffici privati e postazioni flessibili vicino alla stazione.", "Creative studio for freelancers and startups.",
    "Coworking rurale con giardino e vista mare.", "Bright loft with standing desks and great coffee.",
]
AMENITY_POOL = ["wifi", "meeting_room", "kitchen", "coffee", "printer", "quiet_zone", "phone_booth", "terrace",
                "bike_parking", "parking", "24_7_access", "wheelchair_accessible", "lockers", "monitors"]
EVENT_TITLES = ["Colazione di lavoro", "Open day", "Workshop di fotografia", "Meetup Python", "Aperitivo networking",
                "Talk on remote work", "Hackathon", "Corso di marketing", "Design sprint", "Book club"]
NOW = datetime.now(timezone.utc).replace(microsecond=0)
LOADED_TABLES = [model.__table__ for model in (DirectoryListing, DirectoryPrice, DirectoryAmenity, DirectoryHours,
                                                DirectoryEvent)]
CACHE_DIR = Path(tempfile.gettempdir()) / "espresso-directory-bench"


def _space(rng: random.Random, index: int) -> tuple[str, ParsedPlace]:
    city, region, country, lat, lon, _ = rng.choices(CITIES, weights=[c[5] for c in CITIES])[0]
    name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {city} {index}"
    hours = (OpeningRule(("mo", "tu", "we", "th", "fr"), "09:00", rng.choice(["18:00", "19:00", "20:00"])),)
    if rng.random() < 0.3:
        hours += (OpeningRule(("sa",), "10:00", "14:00"),)
    place = ParsedPlace(
        name=name, summary_html=f"<p>{rng.choice(DESCRIPTIONS)} {city}.</p>", street=f"Via Roma {index % 200 + 1}",
        locality=city, region=region, country=country,
        lat=lat + rng.gauss(0, 0.05), lon=lon + rng.gauss(0, 0.05),
        opening_hours=hours, amenities=tuple(rng.sample(AMENITY_POOL, rng.randint(2, 8))),
        prices=(ParsedPrice("day_pass", f"{rng.randint(8, 40)}.00", "EUR"),
                ParsedPrice("hot_desk_month", f"{rng.randint(100, 400)}.00", "EUR")),
        languages=("it", "en") if country == "IT" else (country.lower(), "en"),
        tags=(rng.choice(["rural", "design", "tech", "sea", "mountain", "makers"]),),
        discoverable=True, indexable=rng.random() > 0.05,
    )
    host = f"{city.lower().replace('ü', 'u').replace('ø', 'o')}{index % 97}.example"
    return f"https://{host}/users/space{index}", place


LOADER_VERSION = 2  # bump when the generated data changes
VERIFY_SPACES = 50  # listed through the production path, then compared with the bulk rows


def _listing_rows(actor_id: str, place: ParsedPlace, index: int) -> dict[str, object]:
    """The rows `directory.indexing._write_listing` writes for a remote space, built with its helpers."""
    handle = f"@space{index}@example"
    summary_html = sanitize_remote_html(place.summary_html, 5000) if place.summary_html else ""
    summary_text = plain_text(summary_html) if summary_html else ""
    name = place.name or handle
    city = " ".join(part for part in (place.locality, place.region) if part)
    listing = {
        "actor_id": actor_id, "origin": origin_of(actor_id), "listed_via": None, "is_local": False,
        "handle": handle, "name": name, "name_key": name.casefold(), "summary_html": summary_html,
        "summary_text": summary_text,
        "search_text": fold(" ".join(p for p in (name, summary_text, city, " ".join(place.tags)) if p)),
        "street": place.street, "locality": place.locality, "locality_key": (place.locality or "").casefold() or None,
        "region": place.region, "region_key": (place.region or "").casefold() or None,
        "postal_code": place.postal_code, "country": place.country, "lat": place.lat, "lon": place.lon,
        "timezone": space_timezone(place.country, place.lat, place.lon), "amenities": list(place.amenities),
        "opening_hours": [{"days": list(r.days), "opens": r.opens, "closes": r.closes} for r in place.opening_hours],
        "languages": list(place.languages),
        "languages_key": "," + ",".join(code.casefold() for code in place.languages) + ",",
        "tags": list(place.tags), "seats": place.seats, "url": None, "website": place.website,
        "icon_url": place.icon_url, "discoverable": place.discoverable, "indexable": place.indexable,
        "last_seen_at": NOW, "unreachable_since": None, "updated_at": NOW,
    }
    children = {
        "prices": [{"kind": p.kind, "amount": Decimal(p.amount), "currency": p.currency} for p in place.prices],
        "amenities": [{"code": code} for code in dict.fromkeys(place.amenities)],
        "hours": [{"weekday": WEEKDAYS.index(day), "opens_min": _minutes(r.opens), "closes_min": _minutes(r.closes)}
                  for r in place.opening_hours for day in r.days],
        "fts": {"n": name, "d": summary_text, "c": city, "t": " ".join(place.tags)},
    }
    return {"listing": listing, **children}


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


async def _bulk_spaces(db: Database, spaces: list[tuple[int, str, ParsedPlace]]) -> None:
    """Many spaces in one transaction: executemany per table instead of ~25 statements per space."""
    built = [_listing_rows(actor_id, place, index) for index, actor_id, place in spaces]
    async with db.transaction() as session:
        ids = (await session.execute(
            insert(DirectoryListing).returning(DirectoryListing.id, sort_by_parameter_order=True),
            [b["listing"] for b in built])).scalars().all()
        for model, key in ((DirectoryPrice, "prices"), (DirectoryAmenity, "amenities"), (DirectoryHours, "hours")):
            rows = [{**child, "listing_id": listing_id} for listing_id, b in zip(ids, built) for child in b[key]]
            for chunk in range(0, len(rows), 10_000):
                await session.execute(insert(model), rows[chunk:chunk + 10_000])
        if db.is_sqlite:
            await session.execute(
                text("INSERT INTO directory_listings_fts(rowid, name, description, city, tags) "
                     "VALUES (:id, :n, :d, :c, :t)"),
                [{"id": listing_id, **b["fts"]} for listing_id, b in zip(ids, built)])


async def _verify_bulk(db: Database, spaces: list[tuple[int, str, ParsedPlace]]) -> None:
    """The bulk rows must equal what the production path wrote for the same spaces."""
    async with db.sessions() as session:
        for index, actor_id, place in spaces:
            row = await session.scalar(select(DirectoryListing).where(DirectoryListing.actor_id == actor_id))
            expected = _listing_rows(actor_id, place, index)
            got = {key: getattr(row, key) for key in expected["listing"]}
            if got != expected["listing"]:
                diff = {k: (got[k], v) for k, v in expected["listing"].items() if got[k] != v}
                raise SystemExit(f"bulk loader disagrees with directory.indexing for {actor_id}: {diff}")
            hours = (await session.scalars(select(func.count()).select_from(DirectoryHours).where(
                DirectoryHours.listing_id == row.id))).one()
            if hours != len(expected["hours"]):
                raise SystemExit(f"bulk loader writes {len(expected['hours'])} hour rows, indexing {hours}")


async def load(db: Database, spaces: int, events: int, seed: int) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    listed = [(index, *_space(rng, index)) for index in range(spaces)]
    exact = listed[:VERIFY_SPACES]
    async with db.transaction() as session:
        for index, actor_id, place in exact:
            await upsert_remote_listing(session, place, actor_id, None, NOW, handle=f"@space{index}@example")
    await _verify_bulk(db, exact)
    for batch in range(VERIFY_SPACES, spaces, 2500):
        await _bulk_spaces(db, listed[batch:batch + 2500])
    print(f"loaded {spaces} spaces in {time.perf_counter() - started:.1f} s "
          f"({VERIFY_SPACES} through directory.indexing, checked against the bulk rows)", flush=True)
    started = time.perf_counter()
    rows = []
    for index in range(events):
        _, actor_id, place = listed[rng.randrange(len(listed))]
        starts = NOW + timedelta(days=rng.uniform(-180, 365), minutes=0)
        starts = starts.replace(minute=rng.choice([0, 30]), second=0)
        ends = starts + timedelta(hours=rng.choice([1, 2, 3, 8]))
        title = f"{rng.choice(EVENT_TITLES)} {index}"
        summary = rng.choice(DESCRIPTIONS)
        rows.append({
            "object_id": f"{actor_id}/events/{index}", "space_actor_id": actor_id, "title": title,
            "summary_text": summary, "search_text": fold(f"{title} {summary} {place.locality} {place.region}"),
            "starts_at": starts, "ends_at": ends, "until_at": listed_until(starts, ends), "timezone": "Europe/Rome",
            "online": False, "locality": place.locality, "locality_key": (place.locality or "").casefold(),
            "region": place.region, "country": place.country, "lat": place.lat, "lon": place.lon,
            "status": "cancelled" if rng.random() < 0.03 else "scheduled",
            "origin": actor_id.split("/")[2], "last_seen_at": NOW,
        })
    async with db.transaction() as session:
        for chunk in range(0, len(rows), 5000):
            await session.execute(insert(DirectoryEvent), rows[chunk:chunk + 5000])
        if db.is_sqlite:
            await session.execute(text(
                "INSERT INTO directory_events_fts(rowid, title, description, city, tags) "
                "SELECT id, title, summary_text, coalesce(locality, '') || ' ' || coalesce(region, ''), '' "
                "FROM directory_events"))
        else:  # what directory.search_index.write_*_text stores
            for table in ("directory_listings", "directory_events"):
                await session.execute(text(
                    f"UPDATE {table} SET search_vector = {PG_VECTOR_SQL} WHERE search_vector IS NULL"))
    print(f"loaded {events} events in {time.perf_counter() - started:.1f} s", flush=True)


def queries(rng: random.Random) -> dict[str, callable]:  # type: ignore[valid-type]
    def city() -> tuple[str, str, str, float, float, int]:
        return rng.choice(CITIES)

    def day(offset: int) -> str:
        return (NOW + timedelta(days=offset)).date().isoformat()

    return {
        "spaces: text": lambda: ("/api/v1/directory/spaces", {"q": rng.choice([c[0] for c in CITIES] + WORDS)}),
        "spaces: filters": lambda: ("/api/v1/directory/spaces", {
            "country": "IT", "amenity": ["wifi", rng.choice(AMENITY_POOL)], "price_kind": "day_pass",
            "max_price": str(rng.randint(10, 30))}),
        "spaces: open now + city": lambda: ("/api/v1/directory/spaces", {"city": city()[0], "open_now": "1"}),
        "spaces: near + radius": lambda: ("/api/v1/directory/spaces", {
            "near": f"{city()[3]:.4f},{city()[4]:.4f}", "radius_km": str(rng.choice([5, 25, 100]))}),
        "spaces: bbox": lambda: (lambda c: ("/api/v1/directory/spaces", {
            "bbox": f"{c[4] - 0.3:.3f},{c[3] - 0.2:.3f},{c[4] + 0.3:.3f},{c[3] + 0.2:.3f}"}))(city()),
        "events: upcoming": lambda: ("/api/v1/directory/events", {}),
        "events: date range": lambda: (lambda d: ("/api/v1/directory/events", {"from": day(d), "to": day(d + 7)}))(
            rng.randint(0, 300)),
        "events: text + country": lambda: ("/api/v1/directory/events", {"q": rng.choice(EVENT_TITLES).split()[0],
                                                                        "country": "IT"}),
        "html: /directory": lambda: ("/directory", {"q": rng.choice([c[0] for c in CITIES]), "amenity": "wifi"}),
    }


async def measure(app: object, rounds: int) -> dict[str, tuple[float, float]]:
    rng = random.Random(7)
    results: dict[str, tuple[float, float]] = {}
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.example") as client:
        for name, make in queries(rng).items():
            timings = []
            for attempt in range(rounds + 10):
                path, params = make()
                started = time.perf_counter()
                response = await client.get(path, params=params)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {response.status_code} {response.text[:300]}")
                if attempt >= 10:  # warm-up excluded
                    timings.append(elapsed)
            timings.sort()
            results[name] = (statistics.median(timings), timings[int(len(timings) * 0.95) - 1])
    return results


def cache_key(seed: int, spaces: int, events: int) -> str:
    """Names one generated data set: same inputs and same columns give the same key (for a day,
    as the data is placed around today)."""
    columns = sorted(f"{t.name}.{c.name}:{c.type}" for t in LOADED_TABLES for c in t.columns)
    raw = json.dumps([LOADER_VERSION, seed, spaces, events, NOW.date().isoformat(), columns])
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


async def _postgres_database(server_url: str, name: str) -> tuple[str, bool]:
    """A database of its own on the given server; whether it already holds a finished load."""
    admin = Database(server_url.rsplit("/", 1)[0] + "/postgres")
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            found = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    return url, await _finished(url)


async def _finished(url: str) -> bool:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return bool(await conn.run_sync(lambda c: inspect(c).has_table("bench_directory_loaded")))
    finally:
        await db.dispose()


async def _forget_other_sets(server_url: str | None, key: str) -> None:
    """Older cached sets (other seeds, sizes or columns) go once a new one is complete."""
    if server_url is None:
        for path in CACHE_DIR.glob("*.db*"):
            if not path.name.startswith(key):
                path.unlink(missing_ok=True)
        return
    admin = Database(server_url.rsplit("/", 1)[0] + "/postgres")
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            names = (await conn.scalars(text(
                "SELECT datname FROM pg_database WHERE datname LIKE 'espresso\\_dirbench\\_%'"))).all()
            for name in names:
                if name != f"espresso_dirbench_{key}":
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        await admin.dispose()


async def sync_indexes(db: Database) -> None:
    """A cached database gets the indexes the models declare now (and loses those they dropped)."""
    async with db.engine.begin() as conn:
        def sync(connection: Any) -> None:
            inspector = inspect(connection)
            for table in LOADED_TABLES:
                declared = {index.name for index in table.indexes} | {c.name for c in table.constraints}
                for found in inspector.get_indexes(table.name):
                    name = found["name"]
                    if name and name not in declared and not name.endswith("_fulltext") \
                            and not found.get("duplicates_constraint"):
                        connection.execute(text(f'DROP INDEX "{name}"'))
                for index in table.indexes:
                    index.create(connection, checkfirst=True)
                for statement in ddl_statements(connection.dialect.name, table.name):
                    connection.execute(text(statement))
        await conn.run_sync(sync)


async def prepare(args: argparse.Namespace) -> str:
    key = cache_key(args.seed, args.spaces, args.events)
    if args.database_url:
        url, ready = await _postgres_database(args.database_url, f"espresso_dirbench_{key}")
    else:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        path = CACHE_DIR / f"{key}.db"
        url = f"sqlite+aiosqlite:///{path}"
        ready = path.exists() and not args.fresh and await _finished(url)
    if args.fresh:
        ready = False
    db = Database(url)
    try:
        if ready:
            print(f"reusing cached data set {key}", flush=True)
        else:
            async with db.engine.begin() as conn:
                await conn.run_sync(all_metadata().drop_all)
                await conn.execute(text("DROP TABLE IF EXISTS bench_directory_loaded"))
                await conn.run_sync(all_metadata().create_all)
            await load(db, args.spaces, args.events, args.seed)
            async with db.engine.begin() as conn:
                await conn.execute(text("CREATE TABLE bench_directory_loaded (key VARCHAR(20))"))
            await _forget_other_sets(args.database_url, key)
        started = time.perf_counter()
        await sync_indexes(db)
        async with db.engine.connect() as conn:
            # What autovacuum does to a table this size soon after the load: statistics, and the
            # visibility map that lets PostgreSQL answer from covering indexes alone.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in LOADED_TABLES:
                await conn.execute(text(f"VACUUM ANALYZE {table.name}" if db.is_postgresql else f"ANALYZE {table.name}"))
        print(f"indexes in step and ANALYZE done in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        await db.dispose()
    return url


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (the bench makes its own database there)")
    parser.add_argument("--spaces", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data set even if cached")
    args = parser.parse_args()
    url = await prepare(args)
    folder = Path(tempfile.mkdtemp(prefix="espresso-bench-"))
    settings = Settings(domain="bench.example", scheme="https", database_url=url, data_dir=folder,
                        secret_key="bench")
    app = create_app(settings)
    results = await measure(app, args.rounds)
    await app.state.services.db.dispose()
    print(f"\n{url.split(':')[0]}: {args.spaces} spaces, {args.events} events, {args.rounds} requests each; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'query':<28} {'p50 ms':>8} {'p95 ms':>8}  target")
    for name, (p50, p95) in results.items():
        target = 50 if name.startswith("html") else 20
        flag = "ok" if p95 <= target else "SLOW"
        print(f"{name:<28} {p50:8.2f} {p95:8.2f}  ≤{target} {flag}")


if __name__ == "__main__":
    asyncio.run(main())
