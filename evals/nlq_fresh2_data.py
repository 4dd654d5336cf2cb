"""The lead file behind evals/datasets/nlq_fresh2.yaml: a HubSpot-style contact export of a team that
is not the demo's (its own industries, sources, countries and reps), deterministic and offline.

    python -m leadpilot.evals.nlq_fresh2_data          # rewrites evals/datasets/nlq_fresh2.leads.csv

About 1,500 rows over the 15 months before the pinned clock of nlq_fresh2.store.yaml, in the
export's own spelling: "Contact owner" holds rep names (the roster is in the store file),
"Lifecycle Stage" HubSpot's stages plus "Closed Lost", "Lead Source" the team's own source names,
"Number of Employees" sometimes blank or written "1,200", "Country/Region" country names.
A few companies have several contacts (a won customer with a new open lead, two leads in one
company) and two share a first word ("Harbor ..."), so name questions have something to resolve.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from leadpilot.evals.fresh_data import main_for, pick, pick_place, slug, write_rows

NOW = datetime(2027, 1, 13, 14, 0, tzinfo=timezone.utc)  # a Wednesday; nlq_fresh2.store.yaml pins it
N_LEADS = 1500
SEED = 20270113
HEADERS = (
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title", "Company Name", "Website URL",
    "Industry", "Number of Employees", "Country/Region", "State/Region", "City", "Lead Source", "Lifecycle Stage",
    "Contact owner", "Create Date", "Last Contacted", "Converted Date", "Annual Revenue", "Persona",
)

# (label as the team writes it, weight, company-name words)
INDUSTRIES = (
    ("Logistics", 12, ("Freight", "Cargo", "Haulage", "Shipping", "Fleet", "Logistics")),
    ("EdTech", 9, ("Learning", "Classroom", "Tutor", "Academy", "Campus", "EduLabs")),
    ("Insurance", 10, ("Mutual", "Assurance", "Underwriters", "Insurance", "Risk Partners")),
    ("Manufacturing", 12, ("Industries", "Fabrication", "Machining", "Components", "Works", "Tooling")),
    ("Biotech", 8, ("Bio", "Therapeutics", "Genomics", "BioSciences", "Labs")),
    ("Retail", 9, ("Outfitters", "Market", "Stores", "Goods", "Supply Co")),
    ("Construction", 7, ("Builders", "Construction", "Contractors", "Build Group")),
    ("Hospitality", 5, ("Hotels", "Resorts", "Hospitality", "Inns")),
    ("AgTech", 5, ("Agri", "Harvest", "Crop Systems", "FarmTech")),
    ("Legal", 4, ("Legal", "Law Group", "LLP", "Counsel")),
    ("Renewable Energy", 6, ("Solar", "Wind", "Renewables", "Power")),
    ("Medical Devices", 5, ("Medical", "MedTech", "Devices", "Surgical")),
    ("Nonprofit", 3, ("Foundation", "Trust", "Alliance")),
    ("Telecommunications", 3, ("Telecom", "Networks", "Connect")),
    ("Real Estate", 4, ("Properties", "Realty", "Estates")),
)
PREFIXES = (
    "Atlas", "Beacon", "Cobalt", "Driftwood", "Ember", "Fjord", "Granite", "Halcyon", "Ironbridge", "Juniper",
    "Kestrel", "Lumen", "Meridian", "Northstar", "Oakridge", "Pinnacle", "Quarry", "Redwood", "Summit", "Tidewater",
    "Upland", "Vantage", "Westbrook", "Yellowpine", "Zephyr", "Alder", "Bluewater", "Cedar", "Delta", "Evergreen",
    "Falcon", "Glacier", "Hawthorn", "Indigo", "Jasper", "Keystone", "Lighthouse", "Maple", "Nimbus", "Orchid",
    "Polaris", "Quill", "Riverbend", "Sable", "Thistle", "Umber", "Verity", "Willow", "Aurora", "Bramble",
    "Crescent", "Dunmore", "Elmstead", "Foxglove", "Greyhound", "Heron", "Ivory", "Kingfisher", "Larch", "Mosaic",
)
# (country as exported, weight, [(city, state or "")])
PLACES = (
    ("United States", 30, (("Chicago", "Illinois"), ("Austin", "Texas"), ("Houston", "Texas"), ("Denver", "Colorado"),
                           ("Atlanta", "Georgia"), ("Seattle", "Washington"), ("Boston", "Massachusetts"),
                           ("Columbus", "Ohio"), ("Pittsburgh", "Pennsylvania"), ("Nashville", "Tennessee"),
                           ("Phoenix", "Arizona"), ("Raleigh", "North Carolina"), ("Minneapolis", "Minnesota"),
                           ("Salt Lake City", "Utah"), ("New York", "New York"))),
    ("Canada", 6, (("Toronto", "Ontario"), ("Vancouver", "British Columbia"), ("Montreal", "Quebec"), ("Calgary", "Alberta"))),
    ("Mexico", 3, (("Monterrey", ""), ("Guadalajara", ""))),
    ("Brazil", 3, (("São Paulo", ""), ("Curitiba", ""))),
    ("Chile", 2, (("Santiago", ""),)),
    ("Colombia", 2, (("Bogotá", ""), ("Medellín", ""))),
    ("United Kingdom", 8, (("Manchester", ""), ("Edinburgh", ""), ("Bristol", ""), ("London", ""))),
    ("Ireland", 2, (("Dublin", ""), ("Cork", ""))),
    ("Germany", 6, (("Hamburg", ""), ("Munich", ""), ("Stuttgart", ""))),
    ("Austria", 2, (("Vienna", ""),)),
    ("Switzerland", 2, (("Zürich", ""), ("Basel", ""))),
    ("France", 3, (("Lyon", ""), ("Toulouse", ""))),
    ("Netherlands", 4, (("Rotterdam", ""), ("Eindhoven", ""))),
    ("Belgium", 2, (("Antwerp", ""), ("Ghent", ""))),
    ("Poland", 3, (("Kraków", ""), ("Warsaw", ""), ("Gdańsk", ""))),
    ("Italy", 2, (("Milan", ""), ("Turin", ""))),
    ("Portugal", 1, (("Lisbon", ""), ("Porto", ""))),
    ("Denmark", 2, (("Copenhagen", ""), ("Aarhus", ""))),
    ("Norway", 2, (("Oslo", ""), ("Bergen", ""))),
    ("Finland", 1, (("Helsinki", ""), ("Tampere", ""))),
    ("South Africa", 2, (("Cape Town", ""), ("Johannesburg", ""))),
    ("Nigeria", 2, (("Lagos", ""),)),
    ("Kenya", 1, (("Nairobi", ""),)),
    ("Israel", 1, (("Tel Aviv", ""),)),
    ("Saudi Arabia", 1, (("Riyadh", ""),)),
    ("United Arab Emirates", 2, (("Dubai", ""), ("Abu Dhabi", ""))),
    ("India", 4, (("Bengaluru", ""), ("Pune", ""), ("Hyderabad", ""))),
    ("Singapore", 2, (("Singapore", ""),)),
    ("Japan", 2, (("Osaka", ""), ("Tokyo", ""))),
    ("South Korea", 1, (("Seoul", ""), ("Busan", ""))),
    ("Australia", 4, (("Melbourne", "Victoria"), ("Brisbane", "Queensland"), ("Perth", "Western Australia"))),
    ("New Zealand", 1, (("Auckland", ""), ("Wellington", ""))),
    ("Indonesia", 1, (("Jakarta", ""),)),
    ("Philippines", 1, (("Manila", ""),)),
)
# (as the team writes it in the export, weight)
SOURCES = (
    ("Website Form", 20), ("G2", 8), ("Capterra", 5), ("Webinar", 9), ("Partner Referral", 8), ("LinkedIn Ads", 10),
    ("Trade Show", 6), ("Cold Outbound", 12), ("Google Ads", 9), ("Customer Referral", 5), ("Content Download", 6),
    ("Podcast", 2),
)
STAGES = (
    ("Subscriber", 8), ("Lead", 26), ("Marketing Qualified Lead", 14), ("Sales Qualified Lead", 11),
    ("Opportunity", 10), ("Customer", 14), ("Closed Lost", 17),
)
# (title, weight); departments vary: operations, engineering, sales, finance, IT, marketing, HR
TITLES = (
    ("CEO", 3), ("Founder & CEO", 2), ("Chief Operating Officer", 2), ("CFO", 2), ("CTO", 2), ("Chief Revenue Officer", 1),
    ("VP of Operations", 3), ("VP Sales", 3), ("Vice President, Supply Chain", 2), ("VP Engineering", 2),
    ("SVP Finance", 1), ("VP Marketing", 2),
    ("Director of IT", 3), ("Director of Operations", 3), ("Sales Director", 2), ("Director, Procurement", 2),
    ("Senior Director of Engineering", 1), ("Marketing Director", 2), ("HR Director", 1),
    ("Operations Manager", 5), ("IT Manager", 4), ("Fleet Manager", 2), ("Marketing Manager", 3),
    ("Procurement Manager", 3), ("Engineering Manager", 2), ("Office Manager", 2),
    ("Software Engineer", 3), ("Procurement Specialist", 2), ("Data Analyst", 2), ("Sales Representative", 2),
    ("Account Executive", 2), ("Logistics Coordinator", 2), ("Accountant", 1), ("Recruiter", 1),
)
FIRST = ("Amara", "Bjorn", "Carla", "Dmitri", "Esi", "Farah", "Gustavo", "Hiroshi", "Ines", "Jonas", "Kavya", "Liam",
         "Mei", "Nkechi", "Omar", "Paula", "Quentin", "Rosa", "Stefan", "Tanvir", "Ulrike", "Valeria", "Wanjiru",
         "Xavier", "Yara", "Zoltan", "Aoife", "Bruno", "Chidi", "Daniela", "Emeka", "Freya", "Goran", "Hana", "Ivan",
         "Julia", "Kofi", "Lena", "Mateus", "Noor", "Olga", "Pedro", "Rahul", "Sven", "Tomasz", "Uma", "Viktor",
         "Wei", "Yusuf", "Zanele", "Marta", "Erik", "Sara", "Nils", "Ana", "Joon", "Lucy", "Arjun", "Camila", "Kai")
LAST = ("Adeyemi", "Bergström", "Castillo", "Dvořák", "Eriksen", "Fischer", "García", "Haddad", "Ito", "Jansen",
        "Kowalski", "Lindgren", "Mensah", "Novak", "O'Connor", "Petrov", "Quinn", "Rossi", "Santos", "Tanaka",
        "Ueda", "Van Dijk", "Weber", "Xu", "Yilmaz", "Zhang", "Achebe", "Brennan", "Costa", "Dubois", "Esposito",
        "Fernandes", "Gupta", "Hoffmann", "Iyer", "Jovanović", "Kim", "Larsen", "Moreau", "Nakamura", "Okafor",
        "Park", "Reyes", "Schmidt", "Takahashi", "Varga", "Wójcik", "Yamamoto", "Murphy", "Svensson")
# The roster (nlq_fresh2.store.yaml holds the same names with emails and roles); weights = share of leads.
OWNERS = (("Nadia Okafor", 11), ("Tomás Silva", 10), ("Grace Liu", 10), ("Mateo Rossi", 9), ("Ingrid Halvorsen", 9),
          ("Samuel Osei", 9), ("Emily Clarke", 9), ("Raj Patel", 8), ("Chloe Dubois", 7), ("Finn O'Brien", 6), ("", 12))



def _size(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.14:
        return ""
    band = rng.choices([(2, 9), (10, 99), (100, 999), (1000, 20000)], weights=[10, 35, 35, 20])[0]
    size = rng.randint(*band)
    if size >= 1000 and rng.random() < 0.3:
        return f"{size:,}"
    return str(size)


def _created(rng: random.Random) -> datetime:
    days = rng.choices([rng.uniform(0, 45), rng.uniform(45, 160), rng.uniform(160, 455)], weights=[35, 35, 30])[0]
    return (NOW - timedelta(days=days)).replace(second=0, microsecond=0)



def _companies(rng: random.Random) -> list[tuple[str, str]]:
    """(company, industry label), unique names; a few with a shared first word."""
    names: dict[str, str] = {}
    while len(names) < 1450:
        industry = pick(rng, [(label, weight) for label, weight, _ in INDUSTRIES])
        words = next(w for label, _, w in INDUSTRIES if label == industry)
        name = f"{rng.choice(PREFIXES)} {rng.choice(words)}"
        names.setdefault(name, industry)
    # Two companies a rep would call "Harbor": one logistics, one insurance.
    names["Harbor Freight Partners"] = "Logistics"
    names["Harbor Mutual Insurance"] = "Insurance"
    ordered = sorted(names.items())
    rng.shuffle(ordered)
    return ordered


def _row(rng: random.Random, record_id: int, company: str, industry: str, place, *, stage: str | None = None,
         created: datetime | None = None, owner: str | None = None) -> dict[str, str]:
    country, city, state = place
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = slug(company) + rng.choice((".com", ".io", ".co", ".net"))
    stage = stage or pick(rng, STAGES)
    created = created or _created(rng)
    contacted = ""
    if rng.random() < (0.55 if stage in ("Subscriber", "Lead") else 0.92):
        spread = (NOW - created).total_seconds()
        contacted_at = created + timedelta(seconds=spread * rng.random() ** 0.6)
        contacted = contacted_at.strftime("%Y-%m-%d %H:%M")
    converted = ""
    if stage == "Customer":
        converted_at = created + timedelta(days=rng.uniform(5, max(6.0, (NOW - created).days * 0.9)))
        converted_at = min(converted_at, NOW - timedelta(hours=3))
        converted = converted_at.strftime("%Y-%m-%d")
    phone = ""
    if rng.random() < 0.58:
        phone = rng.choice(("+1 (312) 555-{:04d}", "+44 20 7946 {:04d}", "+49 40 5550{:04d}", "555-{:04d}")).format(rng.randint(0, 9999))
    email = f"{slug(first)}.{slug(last)}@{domain}" if rng.random() < 0.96 else ""
    return {
        "Record ID": str(record_id),
        "First Name": first,
        "Last Name": last,
        "Email": email,
        "Phone Number": phone,
        "Job Title": pick(rng, TITLES) if rng.random() < 0.93 else "",
        "Company Name": company,
        "Website URL": f"https://www.{domain}",
        "Industry": industry if rng.random() < 0.95 else "",
        "Number of Employees": _size(rng),
        "Country/Region": country,
        "State/Region": state,
        "City": city,
        "Lead Source": pick(rng, SOURCES),
        "Lifecycle Stage": stage,
        "Contact owner": pick(rng, OWNERS) if owner is None else owner,
        "Create Date": created.strftime("%Y-%m-%d %H:%M"),
        "Last Contacted": contacted,
        "Converted Date": converted,
        "Annual Revenue": "" if rng.random() < 0.5 else str(rng.randint(1, 500) * 100_000),
        "Persona": rng.choice(("Operator", "Economic buyer", "Champion", "End user", "")),
    }


def build_rows(seed: int = SEED, n: int = N_LEADS) -> list[dict[str, str]]:
    rng = random.Random(seed)
    companies = _companies(rng)
    rows: list[dict[str, str]] = []
    record = 7_301_000
    for company, industry in companies:
        if len(rows) >= n:
            break
        place = pick_place(rng, PLACES)
        roll = rng.random()
        if company.startswith("Harbor") or roll < 0.05:  # a won customer with a new open lead
            old = NOW - timedelta(days=rng.uniform(200, 400))
            rows.append(_row(rng, record, company, industry, place, stage="Customer", created=old))
            rows.append(_row(rng, record + 1, company, industry, place, stage=rng.choice(("Lead", "Sales Qualified Lead")),
                             created=NOW - timedelta(days=rng.uniform(2, 40))))
            record += 2
        elif roll < 0.09:  # two contacts at one company, both worked
            rows.append(_row(rng, record, company, industry, place))
            rows.append(_row(rng, record + 1, company, industry, place))
            record += 2
        else:
            rows.append(_row(rng, record, company, industry, place))
            record += 1
    return rows[:n]


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    write_rows(path, HEADERS, rows)


def main() -> None:
    main_for("nlq_fresh2", write_csv, build_rows)


if __name__ == "__main__":
    main()
