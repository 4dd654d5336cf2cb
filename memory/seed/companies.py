"""Demo companies: the cities they sit in, their names, domains and websites, sizes and segments,
and how many contacts each brings.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from leadpilot.memory.seed.helpers import _ascii_slug, _pick


# ---------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    state: str | None
    country: str  # ISO 3166-1 alpha-2
    continent: str
    language: str  # ISO 639-1, the language leads there are worked in
    phones: tuple[str, ...]  # national formats; "#" is a random digit, "N" one from 2 to 9
    weight: float  # share of demo leads


# US and UK numbers use the ranges reserved for fiction (555-01xx, Ofcom's drama numbers);
# Australian ones ACMA's. Elsewhere the digits are random.
CITIES: tuple[City, ...] = (
    City("San Francisco", "CA", "US", "North America", "en", ("+1 415 555 01##", "+1 628 555 01##"), 9),
    City("New York", "NY", "US", "North America", "en", ("+1 212 555 01##", "+1 646 555 01##", "+1 917 555 01##"), 9),
    City("Austin", "TX", "US", "North America", "en", ("+1 512 555 01##", "+1 737 555 01##"), 5),
    City("Boston", "MA", "US", "North America", "en", ("+1 617 555 01##", "+1 857 555 01##"), 5),
    City("Chicago", "IL", "US", "North America", "en", ("+1 312 555 01##", "+1 773 555 01##"), 5),
    City("Seattle", "WA", "US", "North America", "en", ("+1 206 555 01##", "+1 425 555 01##"), 4),
    City("Denver", "CO", "US", "North America", "en", ("+1 303 555 01##", "+1 720 555 01##"), 3),
    City("Atlanta", "GA", "US", "North America", "en", ("+1 404 555 01##", "+1 678 555 01##"), 3),
    City("Miami", "FL", "US", "North America", "en", ("+1 305 555 01##", "+1 786 555 01##"), 3),
    City("Toronto", "ON", "CA", "North America", "en", ("+1 416 555 01##", "+1 647 555 01##"), 4),
    City("London", "England", "GB", "Europe", "en", ("+44 20 7946 0###",), 7),
    City("Manchester", "England", "GB", "Europe", "en", ("+44 161 496 0###",), 2),
    City("Dublin", "Leinster", "IE", "Europe", "en", ("+353 1 N## ####",), 2.5),
    City("Berlin", "BE", "DE", "Europe", "de", ("+49 30 N#######",), 4),
    City("Munich", "BY", "DE", "Europe", "de", ("+49 89 N######",), 2.5),
    City("Paris", "IDF", "FR", "Europe", "fr", ("+33 1 N# ## ## ##",), 4),
    City("Amsterdam", "NH", "NL", "Europe", "nl", ("+31 20 N## ####",), 2.5),
    City("Madrid", "MD", "ES", "Europe", "es", ("+34 91 N## ## ##",), 2),
    City("Stockholm", "AB", "SE", "Europe", "sv", ("+46 8 N## ### ##",), 2),
    City("Dubai", "DU", "AE", "Asia", "en", ("+971 4 N## ####",), 1.5),
    City("Singapore", None, "SG", "Asia", "en", ("+65 6### ####",), 3),
    City("Tokyo", "13", "JP", "Asia", "ja", ("+81 3 N### ####",), 2.5),
    City("Bangalore", "KA", "IN", "Asia", "en", ("+91 80 N### ####",), 2.5),
    City("Sydney", "NSW", "AU", "Oceania", "en", ("+61 2 5550 ####",), 3),
    City("Melbourne", "VIC", "AU", "Oceania", "en", ("+61 3 7010 ####",), 2),
    City("São Paulo", "SP", "BR", "South America", "pt", ("+55 11 9#### ####",), 3),
    City("Mexico City", "CMX", "MX", "North America", "es", ("+52 55 N### ####",), 2.5),
)

_COUNTRY_TLD = {
    "US": "com", "CA": "ca", "GB": "co.uk", "IE": "ie", "DE": "de", "FR": "fr", "NL": "nl", "ES": "es",
    "SE": "se", "AE": "ae", "SG": "sg", "JP": "co.jp", "IN": "in", "AU": "com.au", "BR": "com.br", "MX": "com.mx",
}
_LEGAL_SUFFIX = {
    "US": "Inc.", "CA": "Inc.", "GB": "Ltd", "IE": "Ltd", "DE": "GmbH", "FR": "SAS", "NL": "B.V.", "ES": "S.L.",
    "SE": "AB", "AE": "LLC", "SG": "Pte. Ltd.", "JP": "K.K.", "IN": "Pvt. Ltd.", "AU": "Pty Ltd", "BR": "Ltda.",
    "MX": "S.A. de C.V.",
}


# ---------------------------------------------------------------------------------------------
# Companies
# ---------------------------------------------------------------------------------------------

_PREFIXES = (
    "Northwind", "Bluepeak", "Silverline", "Brightwater", "Ironbridge", "Redwood", "Summit", "Harbor", "Cedar",
    "Granite", "Lumen", "Nova", "Vertex", "Atlas", "Orion", "Beacon", "Crescent", "Evergreen", "Kestrel", "Maple",
    "Meridian", "Oakridge", "Pinecrest", "Quartz", "Sterling", "Tidewater", "Westbrook", "Zenith", "Aurora",
    "Cobalt", "Copper", "Driftwood", "Falcon", "Helix", "Juniper", "Keystone", "Larkspur", "Nimbus", "Onyx",
    "Polaris", "Riverbend", "Sable", "Sequoia", "Solstice", "Trident", "Verdant", "Willow", "Arbor", "Clearwater",
    "Fjord", "Glacier", "Highland", "Indigo", "Jasper", "Lakeshore", "Magnolia", "Northgate", "Pioneer",
    "Radiant", "Skyline", "Starling", "Bayview", "Blackstone", "Coral", "Eastgate", "Foxhollow", "Goldcrest",
    "Hawthorne", "Ironwood", "Kingfisher", "Lighthouse", "Moonstone", "Oakmont", "Paragon", "Redstone", "Saffron",
)
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "fintech": ("Pay", "Ledger", "Capital", "Finance", "Money", "Payments", "Card", "Credit", "Treasury"),
    "banking": ("Bank", "Savings", "Trust", "Bancorp", "Financial", "Credit Union"),
    "insurance": ("Insurance", "Assurance", "Mutual", "Underwriters", "Cover", "Risk"),
    "healthcare": ("Health", "Medical", "Care", "Clinics", "Health Partners", "Medical Group"),
    "biotech": ("Bio", "Therapeutics", "Biosciences", "Pharma", "Genomics", "Labs"),
    "saas": ("Labs", "Software", "Cloud", "HQ", "Systems", "Technologies"),
    "cybersecurity": ("Security", "Shield", "Defense", "Cyber", "Secure", "Guard"),
    "ecommerce": ("Shop", "Market", "Store", "Commerce", "Goods", "Cart"),
    "retail": ("Retail", "Outfitters", "Stores", "Supply", "Brands", "Trading"),
    "manufacturing": ("Manufacturing", "Industries", "Works", "Fabrication", "Components", "Machining"),
    "logistics": ("Logistics", "Freight", "Transport", "Shipping", "Fleet", "Cargo"),
    "education": ("Learning", "Academy", "Education", "Schools", "Tutoring", "College"),
    "real-estate": ("Properties", "Realty", "Estates", "Homes", "Property Group", "Living"),
    "media": ("Media", "Studios", "Pictures", "Publishing", "Broadcasting", "Entertainment"),
    "energy": ("Energy", "Power", "Solar", "Utilities", "Renewables", "Grid"),
    "telecom": ("Telecom", "Networks", "Mobile", "Communications", "Fiber", "Connect"),
    "hospitality": ("Hotels", "Travel", "Resorts", "Hospitality", "Stays", "Journeys"),
    "government": ("Public Works", "Transit Authority", "County Services", "Civic Services", "Water Authority"),
    "nonprofit": ("Foundation", "Alliance", "Initiative", "Fund", "Society", "Coalition"),
    "professional-services": ("Consulting", "Partners", "Advisors", "Group", "Associates", "Law"),
}
# Startup-style coined names ("Ledgerly", "Syncbase"), for the industries that use them.
_COINED_ROOTS: dict[str, tuple[str, ...]] = {
    "fintech": ("Ledger", "Mint", "Coin", "Vault", "Fund", "Cred", "Bill", "Spend", "Cash", "Quid", "Till"),
    "saas": ("Sync", "Stack", "Flow", "Loop", "Pipe", "Task", "Form", "Metric", "Signal", "Shift", "Desk"),
    "cybersecurity": ("Cipher", "Shield", "Sentry", "Lock", "Bastion", "Warden"),
    "ecommerce": ("Cart", "Basket", "Parcel", "Shelf", "Merch"),
    "healthcare": ("Medi", "Care", "Vita", "Pulse", "Clinic"),
    "logistics": ("Route", "Haul", "Freight", "Dock", "Cargo"),
    "biotech": ("Gene", "Cell", "Helix", "Proteo"),
    "education": ("Learn", "Class", "Tutor", "Quiz"),
}
_COINED_ENDINGS = ("ly", "ify", "io", "wise", "hub", "base", "stack", "flow", "able", "ora")
_INDUSTRY_WEIGHTS: dict[str, float] = {
    "fintech": 12, "saas": 12, "healthcare": 8, "ecommerce": 6, "cybersecurity": 5, "banking": 4,
    "insurance": 4, "biotech": 4, "retail": 5, "manufacturing": 5, "logistics": 5, "education": 4,
    "real-estate": 3, "media": 3, "energy": 3, "telecom": 3, "hospitality": 3, "government": 2,
    "nonprofit": 2, "professional-services": 5,
}
_SEGMENT_WEIGHTS = (("micro", 14), ("smb", 34), ("mid-market", 28), ("enterprise", 24))
_SEGMENT_RANGES = {"micro": (1, 9), "smb": (10, 99), "mid-market": (100, 999), "enterprise": (1000, 50_000)}
_CONTACTS_PER_COMPANY: dict[str, tuple[float, ...]] = {  # weights of 1, 2, 3... contacts
    "micro": (85, 15),
    "smb": (55, 30, 15),
    "mid-market": (40, 25, 17, 10, 8),
    "enterprise": (30, 22, 16, 12, 9, 6, 5),
}
MAX_COMPANY_SIZE = 50_000


# ---------------------------------------------------------------------------------------------
# Drawing companies
# ---------------------------------------------------------------------------------------------


@dataclass
class _Company:
    name: str
    domain: str
    website: str
    industry: str
    size: int
    segment: str
    city: City
    contacts: int
    fit: float  # unobserved account-level fit, shared by its contacts


def _draw_size(rng: random.Random, segment: str) -> int:
    low, high = _SEGMENT_RANGES[segment]
    size = math.exp(rng.uniform(math.log(low), math.log(high + 1)))
    if size >= 200:  # people report round numbers: 1,200 not 1,187
        digits = 10 ** (int(math.log10(size)) - 1)
        size = round(size / digits) * digits
    return max(low, min(high, int(size)))


def _base_name(rng: random.Random, industry: str) -> str:
    roots = _COINED_ROOTS.get(industry)
    if roots and rng.random() < 0.45:
        coined = rng.choice(roots) + rng.choice(_COINED_ENDINGS)
        return f"{coined} {rng.choice(_SUFFIXES[industry])}" if rng.random() < 0.4 else coined
    if industry == "government" and rng.random() < 0.5:
        return f"City of {rng.choice(_PREFIXES)} {rng.choice(('Springs', 'Falls', 'Heights', 'Valley'))}"
    return f"{rng.choice(_PREFIXES)} {rng.choice(_SUFFIXES[industry])}"


def _company_identity(
    rng: random.Random, *, industry: str, city: City, names: set[str], domains: set[str]
) -> tuple[str, str, str]:
    """A unique (company name, domain, website)."""
    base = _base_name(rng, industry)
    for _ in range(30):
        if base.lower() not in names:
            break
        base = _base_name(rng, industry)
    else:
        base = f"{base} {city.name}"
    names.add(base.lower())

    slug = re.sub(r"[^a-z0-9]", "", _ascii_slug(base.replace(" ", "")))
    if industry in ("nonprofit", "government") and city.country == "US":
        tld = "org"
    elif city.country == "US" and industry in ("saas", "fintech", "cybersecurity") and rng.random() < 0.3:
        tld = rng.choice(("io", "io", "ai"))
    elif city.country != "US" and rng.random() < 0.35:
        tld = "com"
    else:
        tld = _COUNTRY_TLD[city.country]
    options = (f"{slug}.{tld}", f"{slug}hq.{tld}", f"get{slug}.{tld}")
    domain = next((d for d in options if d not in domains), f"{slug}{len(domains)}.{tld}")
    domains.add(domain)

    name = base
    if industry not in ("nonprofit", "government") and rng.random() < 0.25:
        name = f"{base} {_LEGAL_SUFFIX[city.country]}"
    website = f"https://{domain}" if tld in ("io", "ai") else f"https://www.{domain}"
    return name, domain, website


def _build_companies(rng: random.Random, *, n_leads: int) -> list[_Company]:
    companies: list[_Company] = []
    names: set[str] = set()
    domains: set[str] = set()
    industries = list(_INDUSTRY_WEIGHTS.items())
    cities = [(city, city.weight) for city in CITIES]
    total = 0
    while total < n_leads:
        industry = _pick(rng, industries)
        segment = _pick(rng, _SEGMENT_WEIGHTS)
        city = _pick(rng, cities)
        weights = _CONTACTS_PER_COMPANY[segment]
        contacts = min(rng.choices(range(1, len(weights) + 1), weights=weights)[0], n_leads - total)
        name, domain, website = _company_identity(rng, industry=industry, city=city, names=names, domains=domains)
        size = _draw_size(rng, segment)
        companies.append(
            _Company(name, domain, website, industry, size, segment, city, contacts, fit=rng.gauss(0.0, 0.35))
        )
        total += contacts
    _pin_size_extremes(companies)
    return companies


def _pin_size_extremes(companies: list[_Company]) -> None:
    """Make the size range run exactly from a one-person company to a 50,000-employee one."""
    smallest = min(companies, key=lambda c: (c.size, c.contacts))
    largest = max(companies, key=lambda c: c.size)
    if smallest.segment == "micro":
        smallest.size = 1
    if largest.segment == "enterprise":
        largest.size = MAX_COMPANY_SIZE
