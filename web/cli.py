"""The `espresso` command.

Exit codes: 0 success, 2 bad usage or bad input (with a one-line reason), 1 anything else."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from .cli_directory import add_directory_commands, run_directory_command
from .cli_events import add_event_commands, run_event_command
from .config import ConfigError, Settings, load_settings

__all__ = ["main"]

log = logging.getLogger("espresso")


class UsageError(Exception):
    """Bad input from the command line; exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="espresso",
        description="Espresso: a federated directory of coworking spaces on ActivityPub.",
        epilog="Settings come from ESPRESSO_* environment variables or a .env file (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run an instance (web, federation and, by default, the worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: the port of ESPRESSO_DOMAIN, else 8000")

    commands.add_parser(
        "worker", help="run only the background worker (deliveries, inbox, tasks); any number may share PostgreSQL"
    )

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply pending migrations")
    db_commands.add_parser("current", help="print the current revision")

    token = commands.add_parser("token", help="admin API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create_token = token_commands.add_parser("create", help="print a new admin API token (shown once)")
    create_token.add_argument("--name", default="cli")

    admin = commands.add_parser("admin", help="web admin accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    create_admin = admin_commands.add_parser("create", help="create an administrator of every space")
    create_admin.add_argument("email")
    create_admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    space = commands.add_parser("space", help="manage local spaces")
    space_commands = space.add_subparsers(dest="space_command", required=True, metavar="ACTION")
    create_space = space_commands.add_parser("create", help="create a space")
    create_space.add_argument("username")
    create_space.add_argument("--name", required=True)
    create_space.add_argument("--file", type=Path, help="a JSON file with the Space fields")
    create_space.add_argument("--country", help="ISO 3166-1 alpha-2 code (when no --file gives the address)")
    space_commands.add_parser("list", help="list local spaces")
    add_event_commands(commands)
    add_directory_commands(commands)

    demo = commands.add_parser(
        "demo", help="start a local network of sample instances and a directory hub on loopback; Ctrl-C stops it"
    )
    demo.add_argument("--spaces", type=int, default=9, help="how many sample spaces (1 to 12; default 9)")
    demo.add_argument("--port", type=int, default=8000, help="the first port; the next ones follow (default 8000)")
    demo.add_argument("--data", type=Path, default=None,
                      help="keep the network in this folder between runs (default: a fresh temporary folder)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Alembic narrates every plugin it loads; people only need to hear about problems.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        handler = _HANDLERS[args.command]
        return handler(args, settings)
    except (ConfigError, UsageError) as exc:
        print(f"espresso: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # the process boundary: one line for people, the trace in the log
        log.debug("failed", exc_info=True)
        print(f"espresso: {exc}", file=sys.stderr)
        return 1


def _run(coroutine: Coroutine[Any, Any, int]) -> int:
    return asyncio.run(coroutine)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from .serve import serve

    return serve(settings, host=args.host, port=args.port)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    import uvloop  # installed with uvicorn[standard]; what bench/delivery.py measures

    from .background import run_worker_process
    from .process_tuning import tune_server_process

    tune_server_process()
    return uvloop.run(run_worker_process(settings))


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from .migrate import current_revision, upgrade
    from .bootstrap import prepare_data_dir

    prepare_data_dir(settings)
    if args.db_command == "upgrade":
        asyncio.run(upgrade(settings.database_url))
        print("database is up to date")
    else:
        print(asyncio.run(current_revision(settings.database_url)) or "no revision applied")
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    from federation.clock import SystemClock
    from federation.db import Database

    from .bootstrap import prepare_database
    from .tokens import create_token

    async def create() -> int:
        await prepare_database(settings)
        db = Database(settings.database_url)
        try:
            print(await create_token(db, SystemClock(), args.name))
        finally:
            await db.dispose()
        return 0

    return _run(create())


def _space(args: argparse.Namespace, settings: Settings) -> int:
    from directory.errors import Conflict, ValidationFailed
    from directory.spaces import parse_space

    from .services import build_services
    from .bootstrap import prepare_database

    async def run() -> int:
        await prepare_database(settings)
        services = build_services(settings)
        try:
            if args.space_command == "list":
                for view in await services.spaces.list():
                    print(f"{view.handle}\t{view.space.name}\t{view.actor_id}")
                return 0
            data = _space_input(args)
            try:
                view = await services.spaces.create(parse_space(data))
            except (ValidationFailed, Conflict) as exc:
                raise UsageError(str(exc)) from None
            print(f"created {view.handle} — {view.actor_id}")
            return 0
        finally:
            await services.db.dispose()

    return _run(run())


def _space_input(args: argparse.Namespace) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if args.file:
        try:
            data = json.loads(args.file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"--file: cannot read {args.file}: {exc}") from None
        if not isinstance(data, dict):
            raise UsageError("--file: the file must hold a JSON object")
    data["username"] = args.username
    data["name"] = args.name
    if args.country:
        data.setdefault("address", {})["country"] = args.country
    if "address" not in data:
        raise UsageError("address.country: give --country IT (or an address in --file)")
    return data


def _admin(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from federation.clock import SystemClock
    from federation.db import Database

    from .admin.accounts import AccountError, AdminAccounts
    from .bootstrap import prepare_database

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password (at least 10 characters): ")
        if getpass.getpass("Password again: ") != password:
            raise UsageError("password: the two passwords differ")

    async def create() -> int:
        await prepare_database(settings)
        db = Database(settings.database_url)
        try:
            admin = await AdminAccounts(db, SystemClock()).create(args.email, password, all_spaces=True)
        except AccountError as exc:
            raise UsageError(f"{exc.field}: {exc.message}") from None
        finally:
            await db.dispose()
        print(f"created administrator {admin.email}; sign in at {settings.base_url}/admin/login")
        return 0

    return _run(create())


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from .demo import DemoError, run_demo

    try:
        return run_demo(spaces=args.spaces, first_port=args.port, data=args.data)
    except DemoError as exc:
        raise UsageError(str(exc)) from None


_HANDLERS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "demo": _demo,
    "admin": _admin,
    "serve": _serve,
    "worker": _worker,
    "db": _db,
    "token": _token,
    "space": _space,
    "event": lambda args, settings: run_event_command(args, settings, UsageError),
    "directory": lambda args, settings: run_directory_command(args, settings, UsageError),
}
