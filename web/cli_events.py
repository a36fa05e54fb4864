"""`espresso event create USERNAME --file event.json` and `espresso event list USERNAME`."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

__all__ = ["add_event_commands", "run_event_command"]


def add_event_commands(commands: Any) -> None:
    event = commands.add_parser("event", help="publish and list a space's events")
    event_commands = event.add_subparsers(dest="event_command", required=True, metavar="ACTION")
    create = event_commands.add_parser("create", help="publish an event (federated to the space's followers)")
    create.add_argument("username")
    create.add_argument("--file", required=True, help="a JSON file with the Event fields")
    listing = event_commands.add_parser("list", help="list a space's events, newest first")
    listing.add_argument("username")


def _read_event_file(path: str, usage_error: type[Exception]) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise usage_error(f"--file: cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise usage_error("--file: the file must hold a JSON object")
    return data


def run_event_command(args: argparse.Namespace, settings: Any, usage_error: type[Exception]) -> int:
    from directory.errors import Gone, NotFound, ValidationFailed
    from directory.events import parse_event

    from .bootstrap import prepare_database
    from .services import build_services

    async def run() -> int:
        await prepare_database(settings)
        services = build_services(settings)
        try:
            if args.event_command == "list":
                views, _ = await services.events.list(args.username, limit=1000)
                for view in views:
                    event = view.event
                    print(f"{view.id}\t{event.starts_at.isoformat()}\t{event.status}\t{event.title}\t{view.object_id}")
                return 0
            data = _read_event_file(args.file, usage_error)
            view = await services.events.create(args.username, parse_event(data))
            print(f"published {view.event.title!r} — {view.object_id}")
            return 0
        except (ValidationFailed, NotFound, Gone) as exc:
            raise usage_error(str(exc)) from None
        finally:
            await services.remote_actors.aclose()
            await services.db.dispose()

    return asyncio.run(run())
