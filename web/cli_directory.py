"""`espresso directory add TARGET` and `espresso directory crawl [--once]` (on a directory hub)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any

from .config import Settings

__all__ = ["add_directory_commands", "directory_command", "run_directory_command"]


def add_directory_commands(commands: Any) -> None:
    directory = commands.add_parser("directory", help="on a directory hub (ESPRESSO_DIRECTORY=1): follow and crawl")
    actions = directory.add_subparsers(dest="directory_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="follow a space, a partner directory or an instance (@user@host or a URL)")
    add.add_argument("target")
    crawl = actions.add_parser("crawl", help="crawl the known network (queued for the worker unless --once)")
    crawl.add_argument("--once", action="store_true", help="crawl now, in this process, and print what was found")


async def directory_command(settings: Settings, args: argparse.Namespace) -> list[str]:
    """The command's work on a prepared database; returns the lines to print."""
    from directory.network_tasks import CRAWL, schedule_crawl
    from federation.errors import InvalidActivity
    from federation.models import Task
    from sqlalchemy import update

    from .services import build_services

    services = build_services(settings)
    try:
        if services.hub is None or services.crawler is None:
            raise ValueError("this instance is not a directory hub: set ESPRESSO_DIRECTORY=1")
        await services.hub.ensure_actor()
        if args.directory_command == "add":
            try:
                result = await services.hub.add(args.target)
            except InvalidActivity as exc:
                raise ValueError(str(exc)) from None
            lines = [f"{result['kind']}: {args.target}"]
            lines += [f"following {item['actor_id'] or item['target']} ({item['state']}"
                      + (f": {item['error']})" if item["error"] else ")") for item in result["followed"]]
            return lines
        if args.once:
            report = await services.crawler.crawl()
            return [f"visited {report.visited}, followed {len(report.followed)}, errors {len(report.errors)}",
                    *(f"followed {actor_id}" for actor_id in report.followed),
                    *(f"error {error}" for error in report.errors)]
        async with services.db.transaction() as session:
            if not await schedule_crawl(session, services.ctx, timedelta(0)):
                await session.execute(update(Task).where(Task.kind == CRAWL, Task.state == "queued")
                                      .values(next_attempt_at=services.ctx.clock.now()))
        return ["crawl queued: the worker runs it"]
    finally:
        await services.remote_actors.aclose()
        await services.db.dispose()


def run_directory_command(args: argparse.Namespace, settings: Settings, usage_error: type[Exception]) -> int:
    from .bootstrap import prepare_database

    async def run() -> int:
        await prepare_database(settings)
        try:
            lines = await directory_command(settings, args)
        except ValueError as exc:
            raise usage_error(str(exc)) from None
        print("\n".join(lines))
        return 0

    return asyncio.run(run())
