"""Administrators: creation, password sign-in with a lockout, and who may manage which space.

Passwords are hashed with Argon2id (argon2-cffi's defaults follow RFC 9106);
hashing runs in a thread so a sign-in does not stall the event loop."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from federation.clock import Clock
from federation.db import Database

from ..admin_models import Administrator, AdministratorSpace, LoginAttempt
from ..i18n import N_

__all__ = [
    "AccountError",
    "AdminAccounts",
    "LockedOut",
    "MAX_FAILURES",
    "MIN_PASSWORD_LENGTH",
    "WrongCredentials",
    "check_new_credentials",
    "credential_errors",
]

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
_EMAIL_RE = re.compile(r"[^@\s<>\"']{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}")


class AccountError(Exception):
    """Bad input for an administrator; `field` names the form field, `message` is a catalogue msgid."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class WrongCredentials(Exception):
    """The email or the password is wrong (which one is not told)."""


class LockedOut(Exception):
    """Too many recent failures for this email from this address."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def credential_errors(email: str, password: str) -> list[AccountError]:
    """Every problem of a new email and password, so a form can show them all at once."""
    errors = []
    if not _EMAIL_RE.fullmatch(normalize_email(email)):
        errors.append(AccountError("email", N_("Enter an e-mail address like name@example.org.")))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(AccountError("password", N_("The password must be at least 10 characters long.")))
    return errors


def check_new_credentials(email: str, password: str) -> str:
    for error in credential_errors(email, password):
        raise error
    return normalize_email(email)


class AdminAccounts:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.hasher = PasswordHasher()
        # Verified against when the email is unknown, so both cases take as long.
        self._dummy_hash = self.hasher.hash("not a real password")

    async def any_administrator(self) -> bool:
        async with self.db.sessions() as session:
            return await session.scalar(select(Administrator.id).limit(1)) is not None

    async def create(self, email: str, password: str, *, all_spaces: bool = True,
                     spaces: Iterable[str] = (), only_if_first: bool = False) -> Administrator:
        """A new administrator; `only_if_first` refuses when one exists (the setup page)."""
        email = check_new_credentials(email, password)
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        try:
            async with self.db.transaction() as session:
                if only_if_first and await session.scalar(select(Administrator.id).limit(1)) is not None:
                    raise AccountError("email", N_("This instance already has an administrator."))
                admin = Administrator(email=email, password_hash=password_hash, all_spaces=all_spaces,
                                      created_at=self.clock.now())
                session.add(admin)
                await session.flush()
                for username in spaces:
                    session.add(AdministratorSpace(administrator_id=admin.id, space_username=username))
                return admin
        except IntegrityError:
            raise AccountError("email", N_("An administrator with this e-mail address already exists.")) from None

    async def grant(self, admin_id: int, username: str) -> None:
        async with self.db.transaction() as session:
            session.add(AdministratorSpace(administrator_id=admin_id, space_username=username))

    async def authenticate(self, email: str, password: str, ip: str) -> Administrator:
        email = normalize_email(email)
        now = self.clock.now()
        async with self.db.sessions() as session:
            failures = await session.scalar(
                select(func.count()).select_from(LoginAttempt).where(
                    LoginAttempt.email == email, LoginAttempt.ip == ip,
                    LoginAttempt.attempted_at > now - LOCKOUT_WINDOW,
                )
            )
            admin = (await session.execute(
                select(Administrator).where(Administrator.email == email)
            )).scalar_one_or_none()
        if int(failures or 0) >= MAX_FAILURES:
            raise LockedOut(email)
        if not await asyncio.to_thread(self._verify, admin.password_hash if admin else self._dummy_hash, password) \
                or admin is None:
            async with self.db.transaction() as session:
                session.add(LoginAttempt(email=email, ip=ip, attempted_at=now))
            raise WrongCredentials(email)
        async with self.db.transaction() as session:
            await session.execute(delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.ip == ip))
        return admin

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def get(self, admin_id: int) -> Administrator | None:
        async with self.db.sessions() as session:
            return await session.get(Administrator, admin_id)

    async def managed_usernames(self, admin: Administrator) -> set[str] | None:
        """The spaces this administrator manages; None means all of them."""
        if admin.all_spaces:
            return None
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(AdministratorSpace.space_username).where(AdministratorSpace.administrator_id == admin.id)
            )
            return set(rows)

    async def may_manage(self, admin: Administrator, username: str) -> bool:
        managed = await self.managed_usernames(admin)
        return managed is None or username in managed
