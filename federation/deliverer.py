"""One signed POST of an activity to one inbox, and what came of it.

Signing runs in a small thread pool: RSA-2048 costs about a quarter of a
millisecond and ``cryptography`` releases the GIL, so the event loop keeps
sending while other requests are signed. Redirects are followed by hand, as
a re-signed POST (httpx would turn a 301/302 into a GET and keep the old
signature); every hop still goes through the SSRF-guarded transport.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

import httpx

from .errors import UnsafeAddressError
from .keys import PrivateKeyObject
from .retry_policy import Verdict, classify_status, parse_retry_after
from .signatures import SignatureScheme, sign_cavage, sign_rfc9421

__all__ = ["Attempt", "Deliverer", "SignedActivity"]

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/activity+json"
KEPT_BODY_BYTES = 2048
_REDIRECTS = frozenset({301, 302, 307, 308})


@dataclass(frozen=True)
class SignedActivity:
    """An outgoing activity ready to send: its serialized body and its actor's key."""

    body: bytes
    key_id: str
    private_key: PrivateKeyObject


@dataclass(frozen=True)
class Attempt:
    verdict: Verdict
    status: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    # The scheme a host accepted when it had none on record (double-knocking learned it).
    learned_scheme: SignatureScheme | None = None
    # A transport failure or 5xx, which counts against the host's health (a 429 does not).
    host_failure: bool = False


@dataclass(frozen=True)
class _Answer:
    status: int
    retry_after: str | None
    body: str  # the first KEPT_BODY_BYTES


class Deliverer:
    def __init__(
        self,
        client: httpx.AsyncClient,
        executor: Executor,
        *,
        clock: Callable[[], datetime],
        max_redirects: int = 5,
        max_requests: int = 16,
    ) -> None:
        # No more requests at once than the pool has connections: httpcore's pool rescans every
        # connection for every queued request (quadratic), so a long queue costs more than it brings.
        self._requests = asyncio.Semaphore(max_requests)
        self._client = client
        self._executor = executor
        self._clock = clock
        self._max_redirects = max_redirects

    async def deliver(self, url: str, activity: SignedActivity, scheme: SignatureScheme | None) -> Attempt:
        """POST once (or twice when double-knocking) and classify the answer; never raises for the peer's faults."""
        try:
            return await self._deliver(url, activity, scheme)
        except UnsafeAddressError as exc:
            # The guard refused the address: it will not become public by waiting.
            return Attempt(Verdict.FAIL, error=str(exc))
        except httpx.TimeoutException as exc:
            return Attempt(Verdict.RETRY, error=f"timeout: {type(exc).__name__}", host_failure=True)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            return Attempt(Verdict.RETRY, error=f"{type(exc).__name__}: {exc}", host_failure=True)
        except httpx.InvalidURL as exc:
            return Attempt(Verdict.FAIL, error=f"invalid inbox URL: {exc}")

    async def _deliver(self, url: str, activity: SignedActivity, scheme: SignatureScheme | None) -> Attempt:
        if scheme is not None:
            return self._attempt(await self._post(url, activity, scheme), None)
        # Double-knocking: RFC 9421 first; a refusal naming the signature means "try draft-cavage".
        answer = await self._post(url, activity, "rfc9421")
        if not _refuses_signature(answer):
            return self._attempt(answer, "rfc9421")
        return self._attempt(await self._post(url, activity, "cavage"), "cavage")

    def _attempt(self, answer: _Answer, scheme: SignatureScheme | None) -> Attempt:
        verdict = classify_status(answer.status)
        if verdict is Verdict.DONE:
            return Attempt(verdict, status=answer.status, learned_scheme=scheme)
        error = f"HTTP {answer.status}: {answer.body}" if answer.body else f"HTTP {answer.status}"
        return Attempt(
            verdict,
            status=answer.status,
            error=error,
            retry_after=parse_retry_after(answer.retry_after, self._clock()),
            host_failure=answer.status >= 500 or answer.status == 408,
        )

    async def _post(self, url: str, activity: SignedActivity, scheme: SignatureScheme) -> _Answer:
        for _hop in range(self._max_redirects + 1):
            headers = await self._signed_headers(url, activity, scheme)
            async with self._requests, self._client.stream(
                "POST", url, content=activity.body, headers=headers, follow_redirects=False
            ) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                # Read (a bounded part of) every body: a fully read response frees its keep-alive connection.
                body = await _head_of(response)
                return _Answer(response.status_code, response.headers.get("retry-after"), body)
        return _Answer(310, None, f"more than {self._max_redirects} redirects")

    async def _signed_headers(self, url: str, activity: SignedActivity, scheme: SignatureScheme) -> dict[str, str]:
        headers = {"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE}
        sign = sign_rfc9421 if scheme == "rfc9421" else sign_cavage
        work = functools.partial(
            sign,
            method="POST",
            url=url,
            headers=headers,
            body=activity.body,
            key_id=activity.key_id,
            private_key=activity.private_key,
            now=self._clock(),
        )
        added = await asyncio.get_running_loop().run_in_executor(self._executor, work)
        headers.update(added)
        return headers


def _refuses_signature(answer: _Answer) -> bool:
    if answer.status == 401:
        return True
    return answer.status in (400, 403) and "signature" in answer.body.lower()


async def _head_of(response: httpx.Response) -> str:
    """The first ~2 KB of an error answer, kept on the row for the operator."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= KEPT_BODY_BYTES:
            break
    return b"".join(chunks)[:KEPT_BODY_BYTES].decode("utf-8", errors="replace")
