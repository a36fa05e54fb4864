"""ActivityStreams 2.0 constants: media types, context URLs and the inline term map.

Only contexts that strict peers ship preloaded are referenced by URL (Fedify 2.x
cannot fetch others and refuses documents naming them); every extension term is
declared in one inline map instead, spelled as Mastodon spells it so that
Mastodon's and Fedify's readers agree on the expanded IRIs.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "ACTIVITY_JSON",
    "AS2_CONTEXT",
    "AS_NS",
    "DATA_INTEGRITY_CONTEXT",
    "LD_JSON_PROFILE",
    "MASTODON_TERMS",
    "MULTIKEY_CONTEXT",
    "PUBLIC",
    "SCHEMA_NS",
    "SECURITY_CONTEXT",
    "SECURITY_NS",
    "TOOT_NS",
    "is_activity_json",
]

AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
# FEP-521a: actors publish Ed25519 keys as Multikey in ``assertionMethod``.
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"

AS_NS = "https://www.w3.org/ns/activitystreams#"
SECURITY_NS = "https://w3id.org/security#"
TOOT_NS = "http://joinmastodon.org/ns#"
# "http://schema.org#" (not https, hash not slash) is what Mastodon and Mobilizon emit;
# receivers compare expanded IRIs, so ours must be spelled the same.
SCHEMA_NS = "http://schema.org#"

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

# Terms the AS2 context (as Fedify ships it) lacks, declared as Mastodon does.
MASTODON_TERMS: Mapping[str, Any] = MappingProxyType(
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": TOOT_NS,
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "schema": SCHEMA_NS,
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "Hashtag": "as:Hashtag",
    }
)


def _media_type_and_params(content_type: str) -> tuple[str, dict[str, str]]:
    media_type, *raw_params = content_type.split(";")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, sep, value = raw.partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"')
    return media_type.strip().lower(), params


def is_activity_json(content_type: str) -> bool:
    """Whether a Content-Type or Accept item names ActivityStreams JSON.

    ``application/activity+json`` with any parameters, or ``application/ld+json``
    with the ActivityStreams profile (a profile parameter may list several URIs).
    """
    media_type, params = _media_type_and_params(content_type)
    if media_type == ACTIVITY_JSON:
        return True
    if media_type != "application/ld+json":
        return False
    return AS2_CONTEXT in params.get("profile", "").lower().split()
