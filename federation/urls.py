"""The URLs of this instance's ActivityPub endpoints, built in one place so the
routes that serve them and the documents that name them always agree."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

__all__ = ["LocalUrls"]


@dataclass(frozen=True)
class LocalUrls:
    base_url: str  # e.g. "https://cowo.example", no trailing slash

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    def actor(self, username: str) -> str:
        return f"{self.base_url}/users/{quote(username)}"

    def profile(self, username: str) -> str:
        return f"{self.base_url}/@{quote(username)}"

    def key_id(self, username: str) -> str:
        return f"{self.actor(username)}#main-key"

    def ed25519_key_id(self, username: str) -> str:
        return f"{self.actor(username)}#ed25519-key"

    def inbox(self, username: str) -> str:
        return f"{self.actor(username)}/inbox"

    def outbox(self, username: str) -> str:
        return f"{self.actor(username)}/outbox"

    def followers(self, username: str) -> str:
        return f"{self.actor(username)}/followers"

    def following(self, username: str) -> str:
        return f"{self.actor(username)}/following"

    def featured(self, username: str) -> str:
        return f"{self.actor(username)}/collections/featured"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    def activity(self, username: str, token: str) -> str:
        return f"{self.actor(username)}/activities/{token}"

    def username_of(self, actor_id: str) -> str | None:
        """The local username an actor id names, or None if it is not ours."""
        prefix = f"{self.base_url}/users/"
        if not actor_id.startswith(prefix):
            return None
        rest = actor_id[len(prefix) :]
        return rest if rest and "/" not in rest and "#" not in rest else None

    def is_local(self, url: str) -> bool:
        return urlsplit(url).netloc == self.domain
