"""Websites and domains normalised to the registrable domain, with tldextract's bundled suffix list.

`suffix_list_urls=()` and no cache directory: the public suffix snapshot shipped inside the
tldextract wheel is used and nothing is fetched or written at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

# Country-code TLDs used as generic names (.io, .ai, .co ...): they say nothing about the country.
_GENERIC_CCTLDS = frozenset({"io", "ai", "co", "me", "tv", "ly", "gg", "so", "to", "fm", "sh", "ws", "cc", "app", "dev"})
_CCTLD_COUNTRY_EXCEPTIONS = {"uk": "GB"}


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@dataclass(frozen=True)
class DomainInfo:
    host: str  # "shop.acme.co.uk"
    domain: str  # registrable: "acme.co.uk"
    suffix: str  # "co.uk"
    website: str  # "https://acme.co.uk"
    country: str | None  # from a country-code TLD, when it is not used generically


def normalise_domain(*, text: str) -> DomainInfo | None:
    """'HTTPS://www.Shop.Acme.co.uk/about' -> acme.co.uk; an email address gives its domain."""
    value = text.strip().lower()
    if not value:
        return None
    if "@" in value and "//" not in value:
        value = value.rpartition("@")[2]
    host = urlsplit(value if "//" in value else "//" + value).hostname
    if not host:
        return None
    parts = _extractor()(host)
    if not parts.domain or not parts.suffix:
        return None
    registrable = f"{parts.domain}.{parts.suffix}"
    last = parts.suffix.rsplit(".", 1)[-1]
    country = None
    if len(last) == 2 and last not in _GENERIC_CCTLDS:
        country = _CCTLD_COUNTRY_EXCEPTIONS.get(last, last.upper())
    return DomainInfo(host=host.removeprefix("www."), domain=registrable, suffix=parts.suffix, website=f"https://{registrable}", country=country)
