"""Which IP addresses a federation request may reach.

Only globally routable unicast addresses are public. The tables below are
spelled out, rather than left to ``ipaddress.is_global`` alone, because the
standard library's answer differs between Python releases (3.11 calls
multicast and the NAT64/6to4 prefixes "global") and an SSRF guard must not
change with the interpreter.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

__all__ = ["IPAddress", "is_public_address", "parse_address"]

IPAddress = IPv4Address | IPv6Address

# IANA special-purpose registries (RFC 6890 and successors) plus multicast and
# the old class E space: anything here is not a place a fetch should go.
_BLOCKED_V4: tuple[IPv4Network, ...] = tuple(
    IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT, often the provider's internal services
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, home of cloud metadata endpoints
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes 255.255.255.255
    )
)

_BLOCKED_V6: tuple[IPv6Network, ...] = tuple(
    IPv6Network(net)
    for net in (
        "::/8",  # unspecified, loopback, IPv4-compatible (deprecated) addresses
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, Teredo included
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local, still routed by some stacks
        "ff00::/8",  # multicast
    )
)

# These prefixes carry an IPv4 address inside; a public-looking IPv6 address
# can thereby lead to 10.0.0.1 or 127.0.0.1 through a translator or a relay.
_NAT64 = ip_network("64:ff9b::/96")


def parse_address(text: str) -> IPAddress:
    """Parse an address as getaddrinfo() returns it, dropping an IPv6 zone id."""
    return ip_address(text.split("%", 1)[0])


def is_public_address(address: IPAddress) -> bool:
    """True when ``address`` is a globally routable unicast address."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _is_public_v4(embedded)
        return _is_public_v6(address)
    return _is_public_v4(address)


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def _is_public_v4(address: IPv4Address) -> bool:
    if any(address in net for net in _BLOCKED_V4):
        return False
    # The standard library's view as a second opinion: both must agree.
    return address.is_global and not address.is_multicast


def _is_public_v6(address: IPv6Address) -> bool:
    if any(address in net for net in _BLOCKED_V6):
        return False
    return address.is_global and not address.is_multicast
