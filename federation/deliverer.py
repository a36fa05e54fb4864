"""One signed POST of an activity to one inbox, and what came of it.

What to sign is built on the event loop by ``federation.delivery_signing``
(digests once per activity, target parts once per inbox); only the RSA
operation goes to the signing threads, in batches (``SigningPool``):
``cryptography`` releases the GIL while it signs, so the loop keeps sending.
The POST goes through ``federation.delivery_client`` (a lean keep-alive
HTTP/1.1 client under the fetcher's SSRF guard). Redirects are followed
here, as a re-signed POST (a 301/302 must not become a GET carrying the old
signature); every hop goes through the guard again.
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
from .delivery_signing import DeliveryPayload, raw_signature, signing_base
from .errors import UnsafeAddressError
from .post_target import post_target
from .retry_policy import Verdict, classify_status, parse_retry_after
from .signatures import SignatureScheme
from .signing_pool import SigningPool

__all__ = ["Attempt", "Deliverer"]

logger = logging.getLogger(__name__)

KEPT_BODY_BYTES = 2048
_REDIRECTS = frozenset({301, 302, 307, 308})


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
        sign_threads: int = 2,
    ) -> None:
        self._client = client
        self._signing = SigningPool(executor, threads=sign_threads)
        self._clock = clock
        self._max_redirects = max_redirects

    async def deliver(self, url: str, payload: DeliveryPayload, scheme: SignatureScheme | None) -> Attempt:
        """POST once (or twice when double-knocking) and classify the answer; never raises for the peer's faults."""
        try:
            return await self._deliver(url, payload, scheme)
        except UnsafeAddressError as exc:
            # The guard refused the address (or the URL): it will not become acceptable by waiting.
            return Attempt(Verdict.FAIL, error=str(exc))
        except PostTimeout as exc:
            return Attempt(Verdict.RETRY, error=f"timeout: {exc}", host_failure=True)
        except PostFailed as exc:
            return Attempt(Verdict.RETRY, error=str(exc), host_failure=True)

    async def _deliver(self, url: str, payload: DeliveryPayload, scheme: SignatureScheme | None) -> Attempt:
        if scheme is not None:
            return self._attempt(await self._post(url, payload, scheme), None)
        # Double-knocking: RFC 9421 first; a refusal naming the signature means "try draft-cavage".
        answer = await self._post(url, payload, "rfc9421")
        if not _refuses_signature(answer):
            return self._attempt(answer, "rfc9421")
        return self._attempt(await self._post(url, payload, "cavage"), "cavage")

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

    async def _post(self, url: str, payload: DeliveryPayload, scheme: SignatureScheme) -> _Answer:
        for _hop in range(self._max_redirects + 1):
            target = post_target(url)
            base = signing_base(payload, target, scheme, self._clock())
            signature = await self._signing.run(functools.partial(raw_signature, payload.private_key, base.message))
            answer = await self._client.post(
                target, base.signed_headers(signature), payload.body, keep_body=KEPT_BODY_BYTES
            )
            if answer.status in _REDIRECTS and answer.location:
                url = urljoin(url, answer.location)
                continue
            return _Answer(answer.status, answer.retry_after, answer.body.decode("utf-8", errors="replace"))
        return _Answer(310, None, f"more than {self._max_redirects} redirects")


def _refuses_signature(answer: _Answer) -> bool:
    if answer.status == 401:
        return True
    return answer.status in (400, 403) and "signature" in answer.body.lower()
