"""The lead file behind evals/datasets/nlq_fresh4.yaml: a Zoho CRM "Leads" module export of a team that
is neither the demo's nor fresh2's (HubSpot) nor fresh3's (Salesforce), deterministic and offline.

    python -m leadpilot.evals.nlq_fresh4_data          # rewrites evals/datasets/nlq_fresh4.leads.csv

About 1,200 rows over the 18 months before the pinned clock of nlq_fresh4.store.yaml, as Zoho's
Data Administration export writes the Leads module: the field labels as headers ("Record Id",
"Lead Owner", "Company", "Lead Source", "Lead Status", "No. of Employees", "Created Time", ...),
record ids as `zcrm_<19 digits>`, date-times as `yyyy-MM-dd HH:mm:ss` in the exporting user's time
zone (here GMT, so UTC), check boxes as true/false, and the SalesIQ visit fields a Zoho org carries
when SalesIQ is connected ("Visitor Score", "Days Visited", "Number Of Chats", "Most Recent Visit",
"First Visit", "Average Time Spent (Minutes)", "Referrer", "First Page Visited").

Zoho's own picklists: Lead Source (Advertisement ... X (Twitter)), Lead Status (Not Contacted,
Attempted to Contact, Contact in Future, Contacted, Pre-Qualified, Not Qualified, Junk Lead, Lost
Lead), Industry (Zoho's list plus a few the team added), Rating (Acquired, Active, Market Failed,
Project Cancelled, Shut Down). Converted leads are in the export with "Converted" true and their
last status. Country, state and city are free text as reps type them ("UK", "United Kingdom",
"Bangalore" and "Bengaluru"); company names carry legal suffixes ("Ltd", "Pvt Ltd", "GmbH"). A
shared "Web Leads" CRM user (not a rep) owns new web and chat leads until someone takes them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from leadpilot.evals.fresh_data import main_for, pick, pick_place, slug, write_rows

NOW = datetime(2027, 4, 7, 9, 30, tzinfo=timezone.utc)  # a Wednesday, first week of Q2; nlq_fresh4.store.yaml pins it
N_LEADS = 1200
SEED = 20270407
HEADERS = (
    "Record Id", "Lead Owner", "Company", "First Name", "Last Name", "Title", "Email", "Phone", "Mobile", "Website",
    "Lead Source", "Lead Status", "Industry", "No. of Employees", "Annual Revenue", "Rating", "Email Opt Out",
    "Created By", "Modified By", "Created Time", "Modified Time", "Last Activity Time", "Street", "City", "State",
    "Zip Code", "Country", "Description", "Converted", "Visitor Score", "Days Visited", "Number Of Chats",
    "Most Recent Visit", "First Visit", "Average Time Spent (Minutes)", "Referrer", "First Page Visited",
)
QUEUE = "Web Leads"
# The roster (nlq_fresh4.store.yaml holds the same names with emails and roles); weights = share of leads.
OWNERS = (("Aoife Brennan", 12), ("Rahul Mehta", 12), ("Lukas Becker", 10), ("Sarah Whitaker", 11), ("Tom Hargreaves", 10),
          ("Ananya Iyer", 10), ("Jonas Nilsson", 7), ("Chidi Okeke", 8), ("Emma Laurent", 8), ("Daniel Cho", 8),
          ("Helen Marsh", 3))
# (Zoho Industry value, weight, company-name words)
INDUSTRIES = (
    ("ASP (Application Service Provider)", 7, ("Cloud", "Apps", "Hosting", "SaaS")),
    ("Data/Telecom OEM", 5, ("Telecom", "Comms", "Datacom")),
    ("ERP", 6, ("ERP", "Business Systems", "Enterprise Apps")),
    ("Government/Military", 3, ("Council", "Defence Systems", "Public Services")),
    ("Large Enterprise", 8, ("Holdings", "Group", "Industries")),
    ("ManagementISV", 4, ("Software", "Monitoring")),
    ("MSP (Management Service Provider)", 8, ("Managed Services", "IT Services", "Support")),
    ("Network Equipment Enterprise", 5, ("Networks", "Switching", "Routing")),
    ("Non-management ISV", 5, ("Labs", "Digital", "Code")),
    ("Optical Networking", 3, ("Photonics", "Fibre", "Optics")),
    ("Service Provider", 6, ("Broadband", "Connect", "Telco")),
    ("Small/Medium Enterprise", 10, ("Trading", "Solutions", "Consulting")),
    ("Storage Equipment", 3, ("Storage", "Arrays")),
    ("Storage Service Provider", 3, ("Backup", "Vault", "Data Centres")),
    ("Systems Integrator", 7, ("Integration", "Systems", "Technologies")),
    ("Wireless Industry", 4, ("Wireless", "Mobile", "5G")),
    ("Healthcare", 4, ("Health", "Diagnostics", "Care")),  # added by the team
    ("Financial Services", 4, ("Capital", "Finance", "Payments")),  # added by the team
    ("Education", 3, ("Academy", "Learning", "College")),  # added by the team
)
PREFIXES = (
    "Arden", "Brightpath", "Cobalt", "Deltaline", "Everest", "Fernhill", "Greystone", "Halcyon", "Indigo", "Jasper",
    "Kite", "Lumen", "Nimbus", "Orion", "Pembroke", "Quill", "Ravenscroft", "Saffron", "Tidewater", "Vantage",
    "Wexford", "Yarrow", "Zenith", "Ashford", "Bluefin", "Cedar", "Driftwood", "Emberline", "Fjord", "Harrow",
    "Ironbridge", "Juno", "Larkspur", "Mosaic", "Northwind", "Oakridge", "Peregrine", "Redwood", "Sterling", "Thistle",
    "Upland", "Verity", "Willow", "Aurora", "Banyan", "Coral", "Dunmore", "Elgin", "Falcon", "Glenmore", "Hawthorn",
    "Iris", "Kingsley", "Lotus", "Marlow", "Neem", "Opal", "Pinnacle", "Quayside", "Rowan",
)
# Legal suffix by country (as typed in the company name).
SUFFIX = {"United Kingdom": ("Ltd", "Ltd", "PLC"), "India": ("Pvt Ltd", "Pvt Ltd", "Ltd"), "Germany": ("GmbH", "AG"),
          "United States": ("Inc", "LLC"), "Netherlands": ("B.V.",), "Sweden": ("AB",), "France": ("SAS",),
          "Australia": ("Pty Ltd",), "United Arab Emirates": ("FZ-LLC", "LLC"), "Ireland": ("Ltd",), "Singapore": ("Pte Ltd",)}
# (country as the team writes it, weight, [(city, state as typed or "")]); a UK/India team selling worldwide.
PLACES = (
    ("United Kingdom", 30, (("London", ""), ("London", "England"), ("Manchester", "England"), ("Birmingham", ""),
                            ("Leeds", "West Yorkshire"), ("Bristol", ""), ("Edinburgh", "Scotland"), ("Glasgow", "Scotland"))),
    ("India", 22, (("Bengaluru", "Karnataka"), ("Bangalore", "Karnataka"), ("Mumbai", "Maharashtra"), ("Pune", "Maharashtra"),
                   ("Chennai", "Tamil Nadu"), ("Hyderabad", "Telangana"), ("New Delhi", "Delhi"))),
    ("United States", 12, (("San Jose", "California"), ("San Francisco", "CA"), ("New York", "New York"), ("Austin", "Texas"),
                           ("Boston", "MA"), ("Chicago", "Illinois"))),
    ("Germany", 6, (("Munich", "Bavaria"), ("Berlin", ""), ("Frankfurt", "Hesse"))),
    ("Ireland", 4, (("Dublin", ""), ("Cork", ""))),
    ("France", 3, (("Paris", ""), ("Lyon", ""))),
    ("Netherlands", 3, (("Amsterdam", ""), ("Rotterdam", ""))),
    ("Sweden", 2, (("Stockholm", ""),)),
    ("Norway", 1, (("Oslo", ""),)),
    ("Denmark", 1, (("Copenhagen", ""),)),
    ("United Arab Emirates", 4, (("Dubai", ""), ("Abu Dhabi", ""))),
    ("Saudi Arabia", 1, (("Riyadh", ""),)),
    ("South Africa", 3, (("Johannesburg", "Gauteng"), ("Cape Town", "Western Cape"))),
    ("Nigeria", 1, (("Lagos", ""),)),
    ("Kenya", 1, (("Nairobi", ""),)),
    ("Singapore", 2, (("Singapore", ""),)),
    ("Australia", 3, (("Sydney", "NSW"), ("Melbourne", "Victoria"))),
    ("Canada", 1, (("Toronto", "Ontario"),)),
)
# How a hand-typed country sometimes reads (Country is a text field in Zoho).
COUNTRY_SPELLINGS = {"United Kingdom": ("UK",), "United States": ("USA", "US"), "United Arab Emirates": ("UAE",)}
UK_AREAS = ("EC1A", "M1", "B2", "LS1", "BS1", "EH1", "G2", "SW1A")
ZIP = {"United Kingdom": lambda r: f"{r.choice(UK_AREAS)} {r.randint(1, 9)}{r.choice('ABDEFG')}{r.choice('HJLNPQ')}",
       "India": lambda r: f"{r.randint(110001, 600099)}", "United States": lambda r: f"{r.randint(10001, 95199):05d}",
       "Germany": lambda r: f"{r.randint(10115, 81929)}"}
SOURCES = (
    ("Advertisement", 7), ("Cold Call", 7), ("Employee Referral", 4), ("External Referral", 5), ("Online Store", 3),
    ("Partner", 8), ("Public Relations", 2), ("Sales Email Alias", 5), ("Seminar Partner", 3), ("Internal Seminar", 4),
    ("Trade Show", 8), ("Web Download", 10), ("Web Research", 8), ("Chat", 9), ("X (Twitter)", 3), ("Facebook", 3),
)
WEB_SOURCES = frozenset({"Web Download", "Web Research", "Chat", "Online Store", "Advertisement", "Facebook", "X (Twitter)"})
STATUSES = (("Not Contacted", 15), ("Attempted to Contact", 15), ("Contact in Future", 8), ("Contacted", 17),
            ("Pre-Qualified", 10), ("Not Qualified", 8), ("Junk Lead", 8), ("Lost Lead", 10))
RATINGS = (("Active", 25), ("Acquired", 8), ("Market Failed", 6), ("Project Cancelled", 6), ("Shut Down", 3), ("", 52))
TITLES = (
    ("CEO", 3), ("Managing Director", 3), ("CTO", 3), ("CIO", 2), ("CFO", 1), ("Founder", 1),
    ("VP Engineering", 2), ("Vice President - IT", 2), ("VP, Procurement", 1),
    ("IT Director", 3), ("Director of Infrastructure", 2), ("Head of IT", 3), ("Head of Procurement", 1),
    ("IT Manager", 5), ("Network Manager", 3), ("Procurement Manager", 2), ("Operations Manager", 2), ("Project Manager", 2),
    ("Network Engineer", 3), ("Systems Administrator", 2), ("Solutions Architect", 2), ("Purchase Executive", 1),
    ("Consultant", 1),
)
FIRST = ("Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Mia", "Priya", "Arjun", "Kavya", "Rohan", "Sneha",
         "Vikram", "Lena", "Felix", "Jonas", "Marie", "Lars", "Ingrid", "Sofie", "Ahmed", "Fatima", "Omar", "Thabo", "Ngozi",
         "Wanjiru", "Wei", "Mei", "Liam", "Chloe", "Noah", "Emily", "Sean", "Niamh", "Pierre", "Camille", "Daan", "Sanne")
LAST = ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walsh", "Murphy", "Sharma", "Patel", "Reddy", "Nair",
        "Kumar", "Gupta", "Iyer", "Müller", "Schmidt", "Fischer", "Andersson", "Hansen", "Jensen", "Al-Farsi", "Haddad",
        "Nkosi", "Adeyemi", "Mwangi", "Tan", "Lim", "Wong", "Dubois", "Martin", "de Vries", "Bakker", "O'Connor")
STREETS = ("High Street", "MG Road", "Main Street", "Station Road")
PAGES = ("/pricing", "/features", "/blog/sd-wan-basics", "/demo", "/contact-us", "/resources/whitepaper", "/")
REFERRERS = ("https://www.google.com/", "https://www.google.co.in/", "https://www.linkedin.com/", "https://www.bing.com/",
             "https://t.co/", "https://www.facebook.com/", "")


def _stamp(moment: datetime) -> str:
    """As Zoho's export writes a date-time: 2027-04-06 14:05:22 (the exporting user's zone, GMT here)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _record_id(rng: random.Random) -> str:
    return f"zcrm_57257670000{rng.randint(10**7, 10**8 - 1)}"


def _employees(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return ""
    band = rng.choices([(1, 9), (10, 99), (100, 999), (1000, 60000)], weights=[8, 36, 36, 20])[0]
    return str(rng.randint(*band))


def _created(rng: random.Random) -> datetime:
    days = rng.choices([rng.uniform(0, 45), rng.uniform(45, 200), rng.uniform(200, 545)], weights=[25, 38, 37])[0]
    return (NOW - timedelta(days=days)).replace(microsecond=0)


def _companies(rng: random.Random) -> list[tuple[str, str, tuple[str, str, str]]]:
    """(company, industry, place), unique names; two pairs share a first word (Meridian, Sterling)."""
    names: dict[str, tuple[str, tuple[str, str, str]]] = {}
    while len(names) < 1150:
        industry = pick(rng, [(label, weight) for label, weight, _ in INDUSTRIES])
        words = next(w for label, _, w in INDUSTRIES if label == industry)
        place = pick_place(rng, PLACES)
        suffix = rng.choice(SUFFIX.get(place[0], ("",)))
        name = f"{rng.choice(PREFIXES)} {rng.choice(words)}" + (f" {suffix}" if suffix and rng.random() < 0.7 else "")
        names.setdefault(name, (industry, place))
    names["Meridian Health Systems Ltd"] = ("Healthcare", ("United Kingdom", "Leeds", "West Yorkshire"))
    names["Meridian Datacom Pvt Ltd"] = ("Data/Telecom OEM", ("India", "Pune", "Maharashtra"))
    ordered = [(name, industry, place) for name, (industry, place) in sorted(names.items())]
    rng.shuffle(ordered)
    return ordered


def _country(rng: random.Random, country: str) -> str:
    spellings = COUNTRY_SPELLINGS.get(country)
    return rng.choice(spellings) if spellings and rng.random() < 0.2 else country


def _salesiq(rng: random.Random, created: datetime, source: str) -> dict[str, str]:
    """The SalesIQ visit fields: filled for most web and chat leads, a few others; blank otherwise."""
    if not (source in WEB_SOURCES and rng.random() < 0.8) and rng.random() > 0.08:
        return {}
    first = created - timedelta(hours=rng.uniform(0.1, 240))
    last = min(created + timedelta(days=(NOW - created).days * rng.random() ** 2.5, minutes=rng.randint(0, 600)),
               NOW - timedelta(minutes=5))
    chats = rng.choices([0, 1, 2, 3, 5], weights=[45, 30, 12, 8, 5])[0] if source != "Chat" else rng.randint(1, 4)
    days = rng.randint(1, 3) + rng.choices([0, 2, 6, 15], weights=[50, 25, 15, 10])[0]
    return {
        "Visitor Score": str(min(400, days * rng.randint(4, 14) + chats * 20 + rng.randint(0, 30))),
        "Days Visited": str(days),
        "Number Of Chats": str(chats),
        "Most Recent Visit": _stamp(max(last, first)),
        "First Visit": _stamp(first),
        "Average Time Spent (Minutes)": f"{rng.uniform(0.4, 14):.2f}",
        "Referrer": rng.choice(REFERRERS),
        "First Page Visited": rng.choice(PAGES),
    }


def _row(rng: random.Random, company: str, industry: str, place, *, status: str | None = None, converted: bool | None = None,
         created: datetime | None = None) -> dict[str, str]:
    country, city, state = place
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = slug(company.split(" ")[0] + company.split(" ")[1]) + rng.choice((".com", ".co.uk", ".in", ".io", ".net"))
    if converted is None:
        converted = rng.random() < 0.1
    status = status or (rng.choice(("Contacted", "Pre-Qualified", "Pre-Qualified")) if converted else pick(rng, STATUSES))
    created = created or _created(rng)
    source = pick(rng, SOURCES) if rng.random() < 0.95 else ""
    age = (NOW - created).total_seconds()
    activity = None
    if status != "Not Contacted" or rng.random() < 0.12:
        if rng.random() < 0.93:
            activity = created + timedelta(seconds=age * rng.random() ** 0.6)
    modified = max(activity or created, created + timedelta(seconds=age * rng.random()))
    owner = pick(rng, OWNERS)
    if status in ("Not Contacted", "Junk Lead") and source in WEB_SOURCES and rng.random() < 0.5:
        owner = QUEUE  # web and chat leads wait with the shared "Web Leads" user until someone takes them
    phone = "" if rng.random() < 0.3 else {
        "India": f"+91 {rng.randint(80, 99)}{rng.randint(100, 999)} {rng.randint(10000, 99999)}",
        "United States": f"+1 ({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}",
    }.get(country, f"+44 {rng.randint(20, 29)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}")
    salesiq = _salesiq(rng, created, source)
    return {
        "Record Id": _record_id(rng),
        "Lead Owner": owner,
        "Company": company,
        "First Name": first,
        "Last Name": last,
        "Title": pick(rng, TITLES) if rng.random() < 0.88 else "",
        "Email": f"{slug(first)}.{slug(last)}@{domain}" if rng.random() < 0.92 else "",
        "Phone": phone,
        "Mobile": "" if rng.random() < 0.7 else f"+{rng.randint(30, 99)} {rng.randint(7000, 9999)} {rng.randint(100000, 999999)}",
        "Website": f"www.{domain}" if rng.random() < 0.6 else "",
        "Lead Source": source,
        "Lead Status": status,
        "Industry": industry if rng.random() < 0.92 else "",
        "No. of Employees": _employees(rng),
        "Annual Revenue": "" if rng.random() < 0.45 else f"{rng.randint(4, 900) * 50_000}",
        "Rating": pick(rng, RATINGS),
        "Email Opt Out": "true" if rng.random() < 0.07 else "false",
        "Created By": QUEUE if source in WEB_SOURCES else rng.choice((owner if owner != QUEUE else "Vikram Rao", "Vikram Rao")),
        "Modified By": owner if owner != QUEUE else "Vikram Rao",
        "Created Time": _stamp(created),
        "Modified Time": _stamp(modified),
        "Last Activity Time": _stamp(activity) if activity else "",
        "Street": "" if rng.random() < 0.5 else f"{rng.randint(1, 220)} {rng.choice(STREETS)}",
        "City": city if rng.random() < 0.96 else "",
        "State": state,
        "Zip Code": ZIP[country](rng) if country in ZIP and rng.random() < 0.7 else "",
        "Country": _country(rng, country),
        "Description": "" if rng.random() < 0.85 else rng.choice(("Asked for a callback after the webinar.",
                                                                   "Evaluating SD-WAN vendors this year.",
                                                                   "Budget approved for Q3.")),
        "Converted": "true" if converted else "false",
        **{h: salesiq.get(h, "") for h in HEADERS[HEADERS.index("Visitor Score"):]},
    }


def build_rows(seed: int = SEED, n: int = N_LEADS) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for company, industry, place in _companies(rng):
        if len(rows) >= n:
            break
        roll = rng.random()
        if company.startswith("Meridian") or roll < 0.04:  # a converted customer with a new open lead
            rows.append(_row(rng, company, industry, place, converted=True, created=NOW - timedelta(days=rng.uniform(240, 500))))
            rows.append(_row(rng, company, industry, place, converted=False,
                             status=rng.choice(("Not Contacted", "Attempted to Contact", "Contacted")),
                             created=NOW - timedelta(days=rng.uniform(1, 40), seconds=rng.randint(0, 86000))))
        elif roll < 0.08:  # two people at one company
            rows.append(_row(rng, company, industry, place))
            rows.append(_row(rng, company, industry, place))
        else:
            rows.append(_row(rng, company, industry, place))
    return rows[:n]


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    write_rows(path, HEADERS, rows, quote_all=True)  # Zoho quotes every field


def main() -> None:
    main_for("nlq_fresh4", write_csv, build_rows)


if __name__ == "__main__":
    main()
