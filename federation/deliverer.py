"""One signed POST of an activity to one inbox, and what came of it.

Signing runs in a small thread pool: RSA-2048 costs about a quarter of a
millisecond and ``cryptography`` releases the GIL, so the event loop keeps
sending while other requests are signed. The POST itself goes through
``federation.delivery_client`` (a lean keep-alive HTTP/1.1 client under the
fetcher's SSRF guard). Redirects are followed here, as a re-signed POST (a
301/302 must not become a GET carrying the old signature); every hop goes
through the guard again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from .delivery_client import DeliveryClient, PostFailed, PostTimeout
from .errors import UnsafeAddressError
from .keys import PrivateKeyObject
from .retry_policy import Verdict, classify_status, parse_retry_after
from .signatures import SignatureScheme, sign_cavage, sign_rfc9421
from .signing_pool import SigningPool

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
        client: DeliveryClient,
        executor: Executor,
        *,
        clock: Callable[[], datetime],
        max_redirects: int = 5,
        sign_threads: int = 3,
    ) -> None:
        self._client = client
        self._signing = SigningPool(executor, threads=sign_threads)
        self._clock = clock
        self._max_redirects = max_redirects

    async def deliver(self, url: str, activity: SignedActivity, scheme: SignatureScheme | None) -> Attempt:
        """POST once (or twice when double-knocking) and classify the answer; never raises for the peer's faults."""
        try:
            return await self._deliver(url, activity, scheme)
        except UnsafeAddressError as exc:
            # The guard refused the address (or the URL): it will not become acceptable by waiting.
            return Attempt(Verdict.FAIL, error=str(exc))
        except PostTimeout as exc:
            return Attempt(Verdict.RETRY, error=f"timeout: {exc}", host_failure=True)
        except PostFailed as exc:
            return Attempt(Verdict.RETRY, error=str(exc), host_failure=True)

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
            answer = await self._client.post(url, headers.items(), activity.body, keep_body=KEPT_BODY_BYTES)
            if answer.status in _REDIRECTS and answer.location:
                url = urljoin(url, answer.location)
                continue
            return _Answer(answer.status, answer.retry_after, answer.body.decode("utf-8", errors="replace"))
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
        added = await self._signing.run(work)
        headers.update(added)
        return headers


def _refuses_signature(answer: _Answer) -> bool:
    if answer.status == 401:
        return True
    return answer.status in (400, 403) and "signature" in answer.body.lower()
