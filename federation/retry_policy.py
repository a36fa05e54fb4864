"""What a delivery answer means and when to try again: pure functions of plain values."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

__all__ = ["RetryPolicy", "Verdict", "classify_status", "parse_retry_after"]


class Verdict(enum.Enum):
    DONE = "done"
    RETRY = "retry"
    GONE = "gone"  # 410: the recipient no longer exists
    FAIL = "fail"  # a permanent refusal; retrying would get the same answer


# 408 and 429 say "not now"; every 5xx may be a passing outage.
_RETRY_4XX = frozenset({408, 429})


def classify_status(status: int) -> Verdict:
    if 200 <= status < 300:
        return Verdict.DONE
    if status == 410:
        return Verdict.GONE
    if status in _RETRY_4XX or status >= 500:
        return Verdict.RETRY
    return Verdict.FAIL


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """RFC 9110 section 10.2.3: delay-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when - now, timedelta(0))


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for deliveries, and when a host counts as unavailable.

    The defaults retry for ``give_up_after`` (two days, as Mastodon does for about
    the same span) and take a host out of rotation after ``host_failure_threshold``
    failures in a row, probing it again after a growing pause."""

    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=6)
    jitter: float = 0.25
    give_up_after: timedelta = timedelta(days=2)
    max_retry_after: timedelta = timedelta(days=1)
    host_failure_threshold: int = 5
    host_pause: timedelta = timedelta(minutes=5)
    max_host_pause: timedelta = timedelta(days=1)
    max_task_attempts: int = 5

    def backoff(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The pause after the ``attempts``-th failed try (1-based), jittered by ±``jitter``."""
        exponent = min(max(attempts - 1, 0), 30)
        delay = min(self.base_delay * (1 << exponent), self.max_delay)
        uniform = rng.uniform if rng is not None else random.uniform
        spread = uniform(1 - self.jitter, 1 + self.jitter)
        return delay * spread

    def next_attempt(
        self, *, attempts: int, now: datetime, retry_after: timedelta | None = None
    ) -> datetime:
        delay = self.backoff(attempts)
        if retry_after is not None:
            # The server's word wins over a shorter backoff, capped so a silly value cannot park us for ever.
            delay = max(delay, min(retry_after, self.max_retry_after))
        return now + delay

    def gives_up(self, *, created_at: datetime, now: datetime) -> bool:
        return now - created_at >= self.give_up_after

    def host_pause_for(self, consecutive_failures: int) -> timedelta:
        """How long to leave a failing host alone before probing it again."""
        over = max(consecutive_failures - self.host_failure_threshold, 0)
        return min(self.host_pause * (1 << min(over, 20)), self.max_host_pause)
