"""An inbox URL taken apart once for all the POSTs that go to it.

A fan-out sends to the same few thousand inbox URLs again and again; parsing
each one per request (``urlsplit``, port checks, percent-encoding) was a
measurable share of a delivery's event-loop time, so the parts are cached.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from .errors import UnsafeAddressError

__all__ = ["PostTarget", "post_target"]

DEFAULT_PORTS = {"http": 80, "https": 443}
_UNSAFE_IN_TARGET = re.compile(r"[^\x21-\x7e]")
_TARGET_SAFE = "/?&=%:@!$'()*+,;~-._[]"


class PostTarget(NamedTuple):
    url: str
    scheme: str  # lower case: http or https
    host: str  # lower case, IPv6 without brackets
    port: int  # the default port when the URL names none
    target: str  # the request target: path and query, percent-encoded where needed
    netloc: str  # as the URL writes it: the Host header

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port

    @property
    def authority(self) -> str:
        """RFC 9421 section 2.2.3 ``@authority``: lower-case host, the default port left out."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@functools.lru_cache(maxsize=16384)
def post_target(url: str) -> PostTarget:
    """The parts of an http(s) URL to POST to; raises ``UnsafeAddressError`` for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeAddressError(f"refusing to POST to {url!r}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeAddressError(f"refusing to POST to {url!r}: only http and https URLs are allowed")
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None:
        raise UnsafeAddressError(f"refusing to POST to {url!r}: no host, or credentials in the URL")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if _UNSAFE_IN_TARGET.search(target):
        target = quote(target, safe=_TARGET_SAFE)  # spaces and non-ASCII, percent-encoded as httpx does
    return PostTarget(url, scheme, host, port or DEFAULT_PORTS[scheme], target, parts.netloc)
