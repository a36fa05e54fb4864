"""The request framing the benchmarks' raw sinks share: one HTTP/1.1 request cut off a receive buffer."""

from __future__ import annotations


def next_request(buffer: bytes) -> tuple[bytes, bytes] | None:
    """(the body of the first complete request, the rest of the buffer), or None until one is complete.

    Enough for what our own clients send: a head, and a body of ``Content-Length`` bytes (no chunking)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = 0
    for line in buffer[:end].split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if len(buffer) < end + 4 + length:
        return None
    return buffer[end + 4 : end + 4 + length], buffer[end + 4 + length :]
