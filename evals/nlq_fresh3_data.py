"""The lead file behind evals/datasets/nlq_fresh3.yaml: a Salesforce Lead report export ("Details
Only" CSV) of a team that is neither the demo's nor fresh2's, deterministic and offline.

    python -m leadpilot.evals.nlq_fresh3_data          # rewrites evals/datasets/nlq_fresh3.leads.csv

About 1,300 rows over the 18 months before the pinned clock of nlq_fresh3.store.yaml, with the
column labels a Salesforce report writes ("Company / Account", "Lead Status", "No. of Employees",
"State/Province", "Lead Owner", "Create Date", "Last Activity", "Converted") and a US org's
values: dates as M/D/YYYY, Lead Status "Open - Not Contacted", "Working - Contacted",
"Closed - Converted", "Closed - Not Converted", Salesforce's Lead Source and Industry picklists,
a Rating picklist, checkbox "Converted" as 1/0, US states and Canadian provinces as codes, a few
hand-typed country spellings ("USA", "US", "UK"), and an owner queue for new web leads.
A few companies have several leads (a converted customer with a new open lead, two leads at one
company) and two share a first word ("Summit ..."), so name questions have something to resolve.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from leadpilot.evals.fresh_data import main_for, pick, pick_place, slug, write_rows

NOW = datetime(2027, 2, 18, 16, 0, tzinfo=timezone.utc)  # a Thursday; nlq_fresh3.store.yaml pins it
N_LEADS = 1300
SEED = 20270218
HEADERS = (
    "Lead ID", "First Name", "Last Name", "Title", "Company / Account", "Email", "Phone", "Lead Source", "Lead Status",
    "Rating", "Industry", "No. of Employees", "Annual Revenue", "City", "State/Province", "Country", "Lead Owner",
    "Create Date", "Last Activity", "Converted", "Converted Date",
)
QUEUE = "Web Leads Queue"

# (Salesforce Industry picklist value, weight, company-name words)
INDUSTRIES = (
    ("Technology", 16, ("Software", "Systems", "Labs", "Digital", "Cloud", "Data")),
    ("Banking", 8, ("Bank", "Bancorp", "Savings", "Trust Bank", "Credit Union")),
    ("Healthcare", 10, ("Health", "Medical Group", "Clinics", "Care", "Health Partners")),
    ("Manufacturing", 11, ("Manufacturing", "Industries", "Fabricators", "Components", "Works")),
    ("Retail", 8, ("Outfitters", "Stores", "Mercantile", "Goods", "Retail Group")),
    ("Insurance", 6, ("Insurance", "Assurance", "Mutual", "Underwriters")),
    ("Education", 5, ("Academy", "University", "Learning", "Schools")),
    ("Energy", 5, ("Energy", "Power", "Solar", "Oil & Gas")),
    ("Transportation", 5, ("Logistics", "Freight", "Transport", "Carriers")),
    ("Consulting", 6, ("Consulting", "Advisors", "Partners", "Group")),
    ("Telecommunications", 4, ("Telecom", "Wireless", "Networks")),
    ("Media", 3, ("Media", "Studios", "Publishing")),
    ("Biotechnology", 4, ("Biosciences", "Therapeutics", "Genomics", "Bio")),
    ("Hospitality", 3, ("Hotels", "Resorts", "Hospitality")),
    ("Not For Profit", 2, ("Foundation", "Alliance", "Fund")),
    ("Government", 2, ("County", "City Services", "Authority")),
)
PREFIXES = (
    "Acme", "Bayview", "Blue Ridge", "Brightwater", "Cascade", "Cypress", "Eastgate", "Fairview", "Golden Gate",
    "Great Lakes", "Hillcrest", "Ironwood", "Lakeshore", "Liberty", "Magnolia", "Midwest", "Northpoint", "Oakmont",
    "Pacific", "Piedmont", "Prairie", "Redstone", "Riverside", "Sierra", "Silverline", "Southport", "Stonebridge",
    "Sunbelt", "Tri-County", "Union", "Valley", "Westfield", "Whitestone", "Crown", "Evergreen", "Frontier",
    "Granite State", "Harborview", "Keystone", "Lone Star", "Mesa", "Old Mill", "Pinecrest", "Quantum", "Apex",
    "Bluebird", "Copperline", "Deerfield", "Elm Street", "Foxhall", "Garnet", "Highland", "Juniper", "Kinetic",
)
# (country as typed in the org, weight, [(city, state/province code or "")]); a US org, so mostly US.
PLACES = (
    ("United States", 58, (("San Francisco", "CA"), ("Los Angeles", "CA"), ("San Diego", "CA"), ("New York", "NY"),
                           ("Chicago", "IL"), ("Austin", "TX"), ("Dallas", "TX"), ("Houston", "TX"), ("Boston", "MA"),
                           ("Seattle", "WA"), ("Atlanta", "GA"), ("Denver", "CO"), ("Miami", "FL"), ("Charlotte", "NC"),
                           ("Philadelphia", "PA"), ("Portland", "OR"), ("Minneapolis", "MN"), ("Detroit", "MI"))),
    ("Canada", 9, (("Toronto", "ON"), ("Vancouver", "BC"), ("Montreal", "QC"), ("Ottawa", "ON"))),
    ("United Kingdom", 8, (("London", ""), ("Manchester", ""), ("Leeds", ""), ("Glasgow", ""))),
    ("Germany", 4, (("Berlin", ""), ("Frankfurt", ""), ("Munich", ""))),
    ("France", 3, (("Paris", ""), ("Lyon", ""))),
    ("Ireland", 2, (("Dublin", ""),)),
    ("Netherlands", 2, (("Amsterdam", ""), ("Utrecht", ""))),
    ("Spain", 2, (("Madrid", ""), ("Barcelona", ""))),
    ("Sweden", 1, (("Stockholm", ""),)),
    ("Australia", 4, (("Sydney", "NSW"), ("Melbourne", "VIC"))),
    ("India", 3, (("Bangalore", ""), ("Mumbai", ""))),
    ("Singapore", 1, (("Singapore", ""),)),
    ("Japan", 1, (("Tokyo", ""),)),
    ("Mexico", 1, (("Mexico City", ""),)),
    ("Brazil", 1, (("São Paulo", ""),)),
)
# How a hand-typed country sometimes reads (the org has no country picklist).
COUNTRY_SPELLINGS = {"United States": ("USA", "US"), "United Kingdom": ("UK",)}
SOURCES = (
    ("Web", 30), ("Phone Inquiry", 8), ("Partner Referral", 10), ("Purchased List", 10), ("Trade Show", 8),
    ("Webinar", 9), ("Employee Referral", 5), ("Advertisement", 8), ("Other", 4),
)
STATUSES = (("Open - Not Contacted", 22), ("Working - Contacted", 30), ("Closed - Converted", 20), ("Closed - Not Converted", 28))
RATINGS = (("Hot", 15), ("Warm", 35), ("Cold", 30), ("", 20))
TITLES = (
    ("CEO", 3), ("President", 2), ("CFO", 2), ("CIO", 2), ("COO", 1), ("CTO", 2), ("Owner", 1),
    ("VP, Finance", 2), ("VP of Sales", 3), ("Vice President of Operations", 2), ("VP Marketing", 2), ("SVP, Technology", 1),
    ("Director of IT", 4), ("Director, Purchasing", 2), ("Marketing Director", 2), ("Director of Operations", 3),
    ("Sales Director", 2), ("HR Director", 1),
    ("IT Manager", 5), ("Purchasing Manager", 3), ("Operations Manager", 4), ("Office Manager", 2), ("Marketing Manager", 3),
    ("Controller", 2), ("Buyer", 2), ("Systems Administrator", 2), ("Business Analyst", 2), ("Accountant", 1),
    ("Software Engineer", 2), ("Executive Assistant", 1),
)
FIRST = ("James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William", "Elizabeth",
         "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Karen", "Chris", "Nancy", "Daniel", "Lisa", "Matthew",
         "Betty", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna",
         "Joshua", "Michelle", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Raj", "Mei", "Carlos",
         "Fatima", "Hiro", "Ingrid", "Luis", "Aisha", "Pierre", "Siobhan")
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas",
        "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young",
        "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell",
        "Roberts", "Phillips", "Patel", "Nguyen", "Chen", "Kowalski", "O'Neill", "Murphy", "Schneider", "Dubois",
        "Tanaka", "Singh", "Rossi")
# The roster (nlq_fresh3.store.yaml holds the same names with emails and roles); weights = share of leads.
OWNERS = (("Marcus Bell", 16), ("Priya Raman", 15), ("Jordan Avery", 14), ("Sofia Lindqvist", 13), ("Kenji Watanabe", 12),
          ("Olivia Grant", 11), ("Diego Fuentes", 11))



def _us_date(day: date | datetime) -> str:
    """As a US-locale Salesforce report writes a date: 2/3/2027."""
    return f"{day.month}/{day.day}/{day.year}"



def _lead_id(rng: random.Random, n: int) -> str:
    """An 18-character Salesforce Lead id (prefix 00Q)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "00Q5e00000" + "".join(rng.choice(alphabet) for _ in range(5)) + f"{n % 1000:03d}"


def _employees(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return ""
    band = rng.choices([(1, 9), (10, 99), (100, 999), (1000, 50000)], weights=[8, 34, 38, 20])[0]
    return str(rng.randint(*band))


def _created(rng: random.Random) -> date:
    days = rng.choices([rng.uniform(0, 50), rng.uniform(50, 200), rng.uniform(200, 545)], weights=[30, 35, 35])[0]
    return (NOW - timedelta(days=days)).date()


def _companies(rng: random.Random) -> list[tuple[str, str]]:
    """(company, industry), unique names; two share the first word "Summit"."""
    names: dict[str, str] = {}
    while len(names) < 1250:
        industry = pick(rng, [(label, weight) for label, weight, _ in INDUSTRIES])
        words = next(w for label, _, w in INDUSTRIES if label == industry)
        names.setdefault(f"{rng.choice(PREFIXES)} {rng.choice(words)}", industry)
    names["Summit Bancorp"] = "Banking"
    names["Summit Health Partners"] = "Healthcare"
    ordered = sorted(names.items())
    rng.shuffle(ordered)
    return ordered


def _country(rng: random.Random, country: str) -> str:
    spellings = COUNTRY_SPELLINGS.get(country)
    return rng.choice(spellings) if spellings and rng.random() < 0.12 else country


def _row(rng: random.Random, n: int, company: str, industry: str, place, *, status: str | None = None,
         created: date | None = None) -> dict[str, str]:
    country, city, state = place
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = slug(company) + rng.choice((".com", ".com", ".net", ".org", ".io"))
    status = status or pick(rng, STATUSES)
    created = created or _created(rng)
    age = (NOW.date() - created).days
    activity = ""
    if status != "Open - Not Contacted" or rng.random() < 0.15:
        if rng.random() < 0.9:
            activity = _us_date(created + timedelta(days=round(age * rng.random() ** 0.7)))
    converted_on = ""
    if status == "Closed - Converted":
        converted_on = _us_date(min(created + timedelta(days=rng.randint(3, max(4, int(age * 0.8)))), NOW.date()))
    owner = pick(rng, OWNERS)
    if status == "Open - Not Contacted" and rng.random() < 0.3:
        owner = QUEUE  # new web leads wait in the queue until someone takes them
    phone = ""
    if rng.random() < 0.7:
        phone = f"({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}"
    return {
        "Lead ID": _lead_id(rng, n),
        "First Name": first,
        "Last Name": last,
        "Title": pick(rng, TITLES) if rng.random() < 0.9 else "",
        "Company / Account": company,
        "Email": f"{slug(first)[0]}{slug(last)}@{domain}" if rng.random() < 0.94 else "",
        "Phone": phone,
        "Lead Source": pick(rng, SOURCES) if rng.random() < 0.95 else "",
        "Lead Status": status,
        "Rating": pick(rng, RATINGS),
        "Industry": industry if rng.random() < 0.93 else "",
        "No. of Employees": _employees(rng),
        "Annual Revenue": "" if rng.random() < 0.4 else str(rng.randint(2, 900) * 250_000),
        "City": city,
        "State/Province": state,
        "Country": _country(rng, country),
        "Lead Owner": owner,
        "Create Date": _us_date(created),
        "Last Activity": activity,
        "Converted": "1" if status == "Closed - Converted" else "0",
        "Converted Date": converted_on,
    }


def build_rows(seed: int = SEED, n: int = N_LEADS) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for company, industry in _companies(rng):
        if len(rows) >= n:
            break
        place = pick_place(rng, PLACES)
        roll = rng.random()
        if company.startswith("Summit") or roll < 0.05:  # a converted customer with a new open lead
            rows.append(_row(rng, len(rows), company, industry, place, status="Closed - Converted",
                             created=(NOW - timedelta(days=rng.uniform(220, 500))).date()))
            rows.append(_row(rng, len(rows), company, industry, place,
                             status=rng.choice(("Open - Not Contacted", "Working - Contacted")),
                             created=(NOW - timedelta(days=rng.uniform(1, 45))).date()))
        elif roll < 0.09:  # two people at one company
            rows.append(_row(rng, len(rows), company, industry, place))
            rows.append(_row(rng, len(rows), company, industry, place))
        else:
            rows.append(_row(rng, len(rows), company, industry, place))
    return rows[:n]


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    write_rows(path, HEADERS, rows, quote_all=True)  # Salesforce quotes every field


def main() -> None:
    main_for("nlq_fresh3", write_csv, build_rows)


if __name__ == "__main__":
    main()
