"""The lead file behind evals/datasets/nlq_fresh5.yaml: a Pipedrive "Deals" list export (deal fields with the
linked person's and organization's) of a fifth team, neither the demo's nor fresh2's (HubSpot), fresh3's
(Salesforce) or fresh4's (Zoho), deterministic and offline.

    python -m leadpilot.evals.nlq_fresh5_data          # rewrites evals/datasets/nlq_fresh5.leads.csv

About 1,000 deals over the 20 months before the pinned clock of nlq_fresh5.store.yaml, as Pipedrive's list
view export writes them: every column labelled "<Entity> - <field>" ("Deal - Title", "Deal - Owner",
"Person - Email - Work", "Organization - Address - Country"), deal ids as plain sequential integers,
date-times as `yyyy-MM-dd HH:mm:ss` and date fields ("Last activity date", "Expected close date") as
`yyyy-MM-dd`, the deal "Status" as open / won / lost (a won or lost deal keeps the pipeline stage it
closed in), the default labels Hot / Warm / Cold, the team's lost reasons, the marketing "Source channel"
and the system's "Source origin", a deal value in EUR with its weighted value.

The team sells shift-scheduling software to hospitality, retail and service companies from Madrid
into Iberia, Latin America and the rest of Europe; its organization "Industry" is a custom single-option
field with its own options, and owners are Pipedrive users written by full name (accents included).
Existing customers get a new open deal in the "Expansion" pipeline next to their won one.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from itertools import chain, islice
from pathlib import Path

from leadpilot.evals.fresh_data import main_for, pick, pick_labelled, pick_place, slug, write_rows

NOW = datetime(2027, 5, 18, 11, 0, tzinfo=timezone.utc)  # a Tuesday in mid Q2; nlq_fresh5.store.yaml pins it
N_DEALS = 1000
SEED = 20270518
FIRST_ID = 1841  # the team's first deal in this export; ids rise with creation
HEADERS = (
    "Deal - ID", "Deal - Title", "Deal - Creator", "Deal - Owner", "Deal - Value", "Deal - Currency",
    "Deal - Weighted value", "Deal - Organization", "Deal - Pipeline", "Deal - Contact person", "Deal - Stage",
    "Deal - Label", "Deal - Status", "Deal - Deal created", "Deal - Update time", "Deal - Last stage change",
    "Deal - Next activity date", "Deal - Last activity date", "Deal - Won time", "Deal - Lost time",
    "Deal - Deal closed on", "Deal - Lost reason", "Deal - Visible to", "Deal - Total activities",
    "Deal - Done activities", "Deal - Email messages count", "Deal - Expected close date", "Deal - Source channel",
    "Deal - Source origin", "Person - Name", "Person - Job title", "Person - Email - Work", "Person - Phone - Work",
    "Person - Phone - Mobile", "Organization - Name", "Organization - Industry", "Organization - Number of employees",
    "Organization - Website", "Organization - Address - City/town/village/locality", "Organization - Address - State/county",
    "Organization - Address - Country",
)
# Pipedrive users (nlq_fresh5.store.yaml holds the roster with emails and roles); weights = share of deals.
OWNERS = (("Álvaro Núñez", 16), ("Lucía Herrera", 15), ("Beatriz Lopes", 10), ("Mateo Rojas", 14), ("Valentina Cruz", 12),
          ("Giulia Bianchi", 11), ("Sander de Groot", 9), ("Inés Calvo", 3))
ADMIN = "Raúl Ibáñez"  # RevOps: creates imported and API deals
# The custom "Industry" single-option field: option -> (weight, words its organizations' names use)
INDUSTRIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "Restaurants & Bars": (14, ("Tapas", "Grill", "Cantina", "Bistró")),
    "Hotels & Hostels": (9, ("Hoteles", "Hostels", "Resorts")),
    "Retail Chains": (11, ("Moda", "Tiendas", "Retail")),
    "Supermarkets": (5, ("Supermercados", "Market", "Fresh")),
    "Clinics & Care Homes": (8, ("Clínicas", "Salud", "Care")),
    "Logistics & Warehousing": (9, ("Logística", "Transportes", "Cargo")),
    "Facility Services": (8, ("Limpiezas", "Facility", "Servicios")),
    "Fitness & Leisure": (6, ("Fitness", "Gym", "Sports")),
    "Contact Centres": (5, ("Contact", "Teleservicios", "CX")),
    "Security Services": (4, ("Seguridad", "Vigilancia", "Guard")),
    "Food Manufacturing": (6, ("Alimentos", "Conservas", "Panificadora")),
    "Event Staffing": (3, ("Eventos", "Staffing", "Azafatas")),
}
PREFIXES = (
    "Alhambra", "Brisa", "Cierzo", "Duero", "Estrella", "Faro", "Galerna", "Horizonte", "Ibérica", "Jara", "Levante",
    "Marea", "Nazarí", "Olivo", "Pinar", "Quijote", "Ribera", "Sierra", "Tajo", "Umbral", "Vega", "Xarel", "Zafra",
    "Atlántico", "Bahía", "Cumbre", "Dársena", "Encina", "Fuentes", "Girasol", "Huerta", "Isla", "Laurel", "Mirador",
    "Nogal", "Oasis", "Pampa", "Quetzal", "Roble", "Solana", "Tierra", "Andes", "Caribe", "Maya", "Patagonia", "Tejo",
    "Douro", "Minho", "Riviera", "Toscana", "Lago", "Delta", "Polder", "Schelde",
)
SUFFIX = {"Spain": ("S.L.", "S.L.", "S.A."), "Portugal": ("Lda.", "S.A."), "Mexico": ("S.A. de C.V.",), "Colombia": ("S.A.S.",),
          "Chile": ("SpA",), "Argentina": ("S.R.L.", "S.A."), "Peru": ("S.A.C.",), "Italy": ("S.r.l.", "S.p.A."),
          "France": ("SAS", "SARL"), "Netherlands": ("B.V.",), "Belgium": ("BV", "NV"), "United Kingdom": ("Ltd",)}
# (country as Pipedrive's address autocomplete writes it, weight, [(city, state/county)])
PLACES = (
    ("Spain", 38, (("Madrid", "Community of Madrid"), ("Barcelona", "Catalonia"), ("Valencia", "Valencian Community"),
                   ("Seville", "Andalusia"), ("Málaga", "Andalusia"), ("Bilbao", "Basque Country"), ("Zaragoza", "Aragon"),
                   ("Palma", "Balearic Islands"))),
    ("Portugal", 10, (("Lisbon", "Lisbon"), ("Porto", "Porto"), ("Faro", "Faro"))),
    ("Mexico", 12, (("Mexico City", "CDMX"), ("Guadalajara", "Jalisco"), ("Monterrey", "Nuevo León"), ("Cancún", "Quintana Roo"))),
    ("Colombia", 8, (("Bogotá", "Bogotá"), ("Medellín", "Antioquia"), ("Cali", "Valle del Cauca"))),
    ("Chile", 6, (("Santiago", "Santiago Metropolitan Region"), ("Valparaíso", "Valparaíso"))),
    ("Argentina", 4, (("Buenos Aires", "Buenos Aires"), ("Córdoba", "Córdoba"))),
    ("Peru", 3, (("Lima", "Lima"),)),
    ("Italy", 6, (("Milan", "Lombardy"), ("Rome", "Lazio"), ("Florence", "Tuscany"))),
    ("France", 4, (("Paris", "Île-de-France"), ("Lyon", "Auvergne-Rhône-Alpes"), ("Toulouse", "Occitanie"))),
    ("Netherlands", 4, (("Amsterdam", "North Holland"), ("Rotterdam", "South Holland"), ("Utrecht", "Utrecht"))),
    ("Belgium", 2, (("Brussels", "Brussels"), ("Antwerp", "Antwerp"))),
    ("United Kingdom", 3, (("London", "England"), ("Manchester", "England"))),
)
PHONE = {"Spain": "+34", "Portugal": "+351", "Mexico": "+52", "Colombia": "+57", "Chile": "+56", "Argentina": "+54", "Peru": "+51",
         "Italy": "+39", "France": "+33", "Netherlands": "+31", "Belgium": "+32", "United Kingdom": "+44"}
TLD = {"Spain": ".es", "Portugal": ".pt", "Mexico": ".com.mx", "Colombia": ".com.co", "Chile": ".cl", "Argentina": ".com.ar",
       "Peru": ".pe", "Italy": ".it", "France": ".fr", "Netherlands": ".nl", "Belgium": ".be", "United Kingdom": ".co.uk"}
# The marketing "Source channel" (a deal field the team fills); "" when nobody set it.
CHANNELS = (("Organic search", 14), ("Paid search", 11), ("Paid social", 7), ("Referral", 12), ("Events", 9),
            ("Email marketing", 8), ("Partner", 8), ("Outbound", 13), ("Direct traffic", 5), ("", 13))
# How the deal came into Pipedrive (a system field), by channel.
ORIGINS = {"Organic search": ("Web forms", "Live chat", "Web forms"), "Paid search": ("Web forms",), "Paid social": ("Web forms", "Messaging inbox"),
           "Referral": ("Manually created",), "Events": ("Import", "Manually created"), "Email marketing": ("Campaigns", "Web forms"),
           "Partner": ("API", "Manually created"), "Outbound": ("Prospector", "Manually created"), "Direct traffic": ("Live chat", "Web forms"),
           "": ("Manually created", "Import", "Lead suggestions")}
STAGES = (("Qualified", 26, 10), ("Contact Made", 24, 20), ("Demo Scheduled", 18, 40), ("Proposal Made", 17, 60),
          ("Negotiations Started", 15, 80))  # (stage, weight among open deals, stage probability %)
LABELS = (("Hot", 16), ("Warm", 26), ("Cold", 20), ("", 38))
LOST_REASONS = (("Price too high", 22), ("Chose a competitor", 20), ("No budget", 14), ("No response / ghosted", 20),
                ("Not a fit", 12), ("Timing – not now", 12))
TITLES = (
    ("CEO", 3), ("Founder & CEO", 2), ("Managing Director", 2), ("COO", 3), ("CFO", 1), ("CHRO", 1),
    ("VP Operations", 2), ("VP of People", 1),
    ("Operations Director", 4), ("HR Director", 3), ("Director de Operaciones", 2), ("Head of HR", 3), ("Head of Operations", 2),
    ("Store Manager", 4), ("HR Manager", 5), ("Operations Manager", 4), ("Restaurant Manager", 3), ("Payroll Manager", 2),
    ("Area Manager", 2), ("Shift Supervisor", 2), ("HR Business Partner", 2), ("Office Manager", 1), ("Owner", 2),
)
FIRST = ("Carlos", "María", "José", "Ana", "Javier", "Laura", "Miguel", "Elena", "Pablo", "Sara", "Diego", "Paula", "Andrés",
         "Camila", "Santiago", "Daniela", "Joaquín", "Florencia", "Rui", "Inês", "João", "Mariana", "Marco", "Chiara",
         "Luca", "Francesca", "Julien", "Claire", "Bram", "Femke", "Pieter", "Emma", "Oliver", "Grace")
LAST = ("García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz", "Moreno", "Jiménez", "Castillo",
        "Vargas", "Ramírez", "Torres", "Silva", "Santos", "Oliveira", "Costa", "Rossi", "Russo", "Ferrari", "Moreau",
        "Lefèvre", "Jansen", "de Vries", "Peeters", "Smith", "Walker")


def _stamp(moment: datetime) -> str:
    """A Pipedrive date-time cell: 2027-05-17 16:42:09 (the exporting user's zone, UTC here)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _day(moment: datetime) -> str:
    """A Pipedrive date cell (Last activity date, Expected close date): 2027-05-17."""
    return moment.strftime("%Y-%m-%d")


def _created(rng: random.Random) -> datetime:
    days = rng.choices([rng.uniform(0, 40), rng.uniform(40, 150), rng.uniform(150, 600)], weights=[26, 36, 38])[0]
    return (NOW - timedelta(days=days)).replace(microsecond=0)


def _employees(rng: random.Random) -> int | None:
    if rng.random() < 0.1:
        return None
    band = rng.choices([(3, 9), (10, 99), (100, 999), (1000, 25000)], weights=[6, 44, 36, 14])[0]
    return rng.randint(*band)


def _organizations(rng: random.Random) -> list[tuple[str, str, tuple[str, str, str]]]:
    """(organization, industry, place) in a shuffled order: 930 drawn names (a word of the industry and a
    place-like word, either way round, with the country's legal form 60% of the time), then the two CUSTOMERS."""
    drawn: dict[str, tuple[str, tuple[str, str, str]]] = {}
    while len(drawn) < 930:
        industry, words = pick_labelled(rng, [(option, weight, words) for option, (weight, words) in INDUSTRIES.items()])
        place = pick_place(rng, PLACES)
        legal_form = rng.choice(SUFFIX[place[0]])
        first, second = (rng.choice(words), rng.choice(PREFIXES)) if rng.random() < 0.5 else (rng.choice(PREFIXES), rng.choice(words))
        drawn.setdefault(f"{first} {second} {legal_form}" if rng.random() < 0.6 else f"{first} {second}", (industry, place))
    every = sorted({**drawn, **CUSTOMERS}.items())
    rng.shuffle(every)
    return [(name, industry, place) for name, (industry, place) in every]


# Two customers sharing a first word, each with a won deal and an open expansion deal.
CUSTOMERS = {"Alhambra Hoteles S.A.": ("Hotels & Hostels", ("Spain", "Málaga", "Andalusia")),
             "Alhambra Logística S.L.": ("Logistics & Warehousing", ("Spain", "Zaragoza", "Aragon"))}


def _person(rng: random.Random, country: str, domain: str) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    code = PHONE[country]
    return {
        "Person - Name": f"{first} {last}",
        "Person - Job title": pick(rng, TITLES) if rng.random() < 0.8 else "",
        "Person - Email - Work": f"{slug(first)}.{slug(last)}@{domain}" if rng.random() < 0.9 else "",
        "Person - Phone - Work": "" if rng.random() < 0.35 else f"{code} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        "Person - Phone - Mobile": "" if rng.random() < 0.6 else f"{code} 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
    }


def _closing(rng: random.Random, status: str, created: datetime) -> dict[str, str]:
    """Stage, close times and lost reason of a deal with this status."""
    if status == "open":
        return {"Deal - Stage": pick(rng, [(s, w) for s, w, _ in STAGES])}
    age = (NOW - created).total_seconds()
    closed = created + timedelta(seconds=min(age * rng.uniform(0.3, 0.95), rng.uniform(3, 160) * 86400))
    if status == "won":
        stage = rng.choice(("Negotiations Started", "Negotiations Started", "Proposal Made"))
        return {"Deal - Stage": stage, "Deal - Won time": _stamp(closed), "Deal - Deal closed on": _stamp(closed)}
    return {"Deal - Stage": pick(rng, [(s, w) for s, w, _ in STAGES]), "Deal - Lost time": _stamp(closed),
            "Deal - Deal closed on": _stamp(closed), "Deal - Lost reason": pick(rng, LOST_REASONS)}


def _deal(rng: random.Random, org: str, industry: str, place, *, status: str | None = None, pipeline: str = "New business",
          created: datetime | None = None) -> dict[str, str]:
    country, city, state = place
    domain = slug(org.split(" ")[0] + org.split(" ")[1]) + TLD[country]
    created = created or _created(rng)
    fresh = NOW - created < timedelta(days=21)  # a deal this young is rarely decided yet
    status = status or rng.choices(("open", "won", "lost"), weights=(92, 2, 6) if fresh else (50, 20, 30))[0]
    closing = _closing(rng, status, created)
    end = datetime.strptime(closing["Deal - Deal closed on"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc) \
        if "Deal - Deal closed on" in closing else NOW
    span = (end - created).total_seconds()
    activity = None if rng.random() < (0.22 if closing["Deal - Stage"] == "Qualified" else 0.06) else \
        created + timedelta(seconds=span * rng.random() ** 0.5)
    done = 0 if activity is None else rng.randint(1, 14)
    employees = _employees(rng)
    value = round(min(employees or 40, 2500) * rng.uniform(12, 30) / 50) * 50 if rng.random() < 0.93 else 0
    probability = next(p for s, _, p in STAGES if s == closing["Deal - Stage"]) if status == "open" else (100 if status == "won" else 0)
    channel = pick(rng, CHANNELS)
    origin = rng.choice(ORIGINS[channel])
    owner = pick(rng, OWNERS)
    person = _person(rng, country, domain)
    update = max(activity or created, created + timedelta(seconds=span * rng.random()))
    return {
        "Deal - Title": f"{org} deal" if rng.random() < 0.7 else f"{org.split(' ')[0]} {org.split(' ')[1]} - {rng.choice(('pilot', 'rollout', 'licencias', 'expansión'))}",
        "Deal - Creator": ADMIN if origin in ("Import", "API") else owner,
        "Deal - Owner": owner,
        "Deal - Value": str(value),
        "Deal - Currency": "EUR",
        "Deal - Weighted value": str(round(value * probability / 100)) if status == "open" else "",
        "Deal - Organization": org,
        "Deal - Pipeline": pipeline,
        "Deal - Contact person": person["Person - Name"],
        "Deal - Label": pick(rng, LABELS),
        "Deal - Status": status,
        "Deal - Deal created": _stamp(created),
        "Deal - Update time": _stamp(update),
        "Deal - Last stage change": _stamp(created + timedelta(seconds=span * rng.random())) if closing["Deal - Stage"] != "Qualified" else "",
        "Deal - Next activity date": _day(NOW + timedelta(days=rng.randint(0, 21))) if status == "open" and rng.random() < 0.55 else "",
        "Deal - Last activity date": _day(activity) if activity else "",
        "Deal - Visible to": rng.choice(("All users", "All users", "Owner's visibility group")),
        "Deal - Total activities": str(done + (1 if status == "open" and rng.random() < 0.5 else 0)),
        "Deal - Done activities": str(done),
        "Deal - Email messages count": str(rng.randint(0, 3 * done + 1)),
        "Deal - Expected close date": _day(created + timedelta(days=rng.randint(20, 120))) if rng.random() < 0.5 else "",
        "Deal - Source channel": channel,
        "Deal - Source origin": origin,
        **closing,
        **person,
        "Organization - Name": org,
        "Organization - Industry": industry if rng.random() < 0.9 else "",
        "Organization - Number of employees": "" if employees is None else str(employees),
        "Organization - Website": f"https://www.{domain}" if rng.random() < 0.55 else "",
        "Organization - Address - City/town/village/locality": city if rng.random() < 0.95 else "",
        "Organization - Address - State/county": state if rng.random() < 0.8 else "",
        "Organization - Address - Country": country,
    }


def _deals_of(rng: random.Random, org: str, industry: str, place) -> list[dict[str, str]]:
    """One organization's deals: mostly one; a customer has its won deal and an open expansion deal; a few
    lost deals were tried again later."""
    roll = rng.random()
    if org in CUSTOMERS or roll < 0.05:
        won = _deal(rng, org, industry, place, status="won", created=NOW - timedelta(days=rng.uniform(220, 560)))
        return [won, _deal(rng, org, industry, place, status="open", pipeline="Expansion",
                           created=NOW - timedelta(days=rng.uniform(1, 45), seconds=rng.randint(0, 86000)))]
    if roll < 0.09:
        lost = _deal(rng, org, industry, place, status="lost", created=NOW - timedelta(days=rng.uniform(200, 500)))
        return [lost, _deal(rng, org, industry, place)]
    return [_deal(rng, org, industry, place)]


def build_rows(seed: int = SEED, n: int = N_DEALS) -> list[dict[str, str]]:
    """The deals in export order (by deal id, i.e. creation), each with "Deal - ID"."""
    rng = random.Random(seed)
    deals = chain.from_iterable(_deals_of(rng, *organization) for organization in _organizations(rng))
    ordered = sorted(islice(deals, n), key=lambda row: row["Deal - Deal created"])
    for number, row in enumerate(ordered):
        row["Deal - ID"] = str(FIRST_ID + number + (number // 37))  # a few ids deleted along the way
    return ordered


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """As Pipedrive writes its export: quoted only where a value needs it."""
    write_rows(path, HEADERS, rows)


if __name__ == "__main__":
    main_for("nlq_fresh5", write_csv, build_rows)
