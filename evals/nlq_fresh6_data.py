"""The lead file behind evals/datasets/nlq_fresh6.yaml: a Freshsales (Freshworks CRM) "Contacts" export of a
sixth team, neither the demo's nor fresh2's (HubSpot), fresh3's (Salesforce), fresh4's (Zoho) or fresh5's
(Pipedrive), deterministic and offline.

    python -m leadpilot.evals.nlq_fresh6_data          # rewrites evals/datasets/nlq_fresh6.leads.csv

About 1,000 contacts over the 18 months before the pinned clock of nlq_fresh6.store.yaml, as the Contacts list
view export writes them: Freshsales' own column labels ("First name", "Emails", "Work", "Mobile", "Sales
accounts", "Sales owner", "Lifecycle stage", "Status", "Lead source", "Last contacted time", "Created at"),
the account's "Industry type" (LinkedIn-style options) and "Number of employees" (a range picklist), date-times
in the account's time zone (Asia/Kolkata) as `yyyy-MM-dd HH:mm:ss +0530`, the default lifecycle stages (Lead,
Sales Qualified Lead, Customer) each with the team's contact statuses (Lead: New, Contacted, Interested,
Unqualified; Sales Qualified Lead: Qualified, Demo Done, Negotiation, Lost; Customer: Won), a "Lost reason"
on lost and unqualified contacts, territories, tags, open and won deal amounts in USD.

The team sells HR and payroll software from Bengaluru to companies in India, the UK, the Gulf, Singapore,
Australia and the US; owners are Freshsales users written by full name; a few accounts have two contacts
(a customer with a second, open contact; a lost one tried again with another person).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from leadpilot.evals.fresh_data import main_for, pick, pick_labelled, slug, write_rows

NOW = datetime(2027, 6, 9, 10, 30, tzinfo=timezone.utc)  # a Wednesday, 16:00 in Bengaluru; nlq_fresh6.store.yaml pins it
IST = timezone(timedelta(hours=5, minutes=30))
N_CONTACTS = 1000
SEED = 20270609
HEADERS = (
    "First name", "Last name", "Job title", "Emails", "Work", "Mobile", "Sales accounts", "Industry type",
    "Number of employees", "City", "State", "Zipcode", "Country", "Territory", "Sales owner", "Lifecycle stage",
    "Status", "Lost reason", "Lead source", "Campaign", "Medium", "Keyword", "Lead score", "Subscription status",
    "Last contacted time", "Last contacted mode", "Created at", "Updated at", "Open deals amount", "Won deals amount",
    "Tags", "Time zone",
)
# territory -> (owners with weights, [(country, city, state, zipcode prefix, time zone)])
TERRITORIES: dict[str, tuple[tuple[tuple[str, int], ...], tuple[tuple[str, str, str, str, str], ...]]] = {
    "India - South": ((("Priya Raman", 5), ("Kavya Nair", 4)), (
        ("India", "Bengaluru", "Karnataka", "560", "Chennai"), ("India", "Chennai", "Tamil Nadu", "600", "Chennai"),
        ("India", "Hyderabad", "Telangana", "500", "Chennai"), ("India", "Kochi", "Kerala", "682", "Chennai"))),
    "India - West": ((("Arjun Mehta", 1),), (
        ("India", "Mumbai", "Maharashtra", "400", "Chennai"), ("India", "Pune", "Maharashtra", "411", "Chennai"),
        ("India", "Ahmedabad", "Gujarat", "380", "Chennai"))),
    "India - North": ((("Rohit Bansal", 1),), (
        ("India", "New Delhi", "Delhi", "110", "Chennai"), ("India", "Gurugram", "Haryana", "122", "Chennai"),
        ("India", "Noida", "Uttar Pradesh", "201", "Chennai"))),
    "UK & Ireland": ((("Harriet Cole", 3), ("Tom Brennan", 2)), (
        ("United Kingdom", "London", "England", "EC", "London"), ("United Kingdom", "Manchester", "England", "M", "London"),
        ("United Kingdom", "Edinburgh", "Scotland", "EH", "Edinburgh"), ("Ireland", "Dublin", "Dublin", "D0", "Dublin"))),
    "Middle East": ((("Aisha Rahman", 1),), (
        ("United Arab Emirates", "Dubai", "Dubai", "", "Abu Dhabi"), ("United Arab Emirates", "Abu Dhabi", "Abu Dhabi", "", "Abu Dhabi"),
        ("Saudi Arabia", "Riyadh", "Riyadh Province", "11", "Riyadh"))),
    "APAC": ((("Daniel Tan", 1),), (
        ("Singapore", "Singapore", "", "0", "Singapore"), ("Australia", "Sydney", "New South Wales", "20", "Sydney"),
        ("Australia", "Melbourne", "Victoria", "30", "Melbourne"))),
    "North America": ((("Megan Brooks", 1),), (
        ("United States", "New York", "New York", "100", "Eastern Time (US & Canada)"),
        ("United States", "Austin", "Texas", "787", "Central Time (US & Canada)"),
        ("United States", "San Francisco", "California", "941", "Pacific Time (US & Canada)"))),
}
TERRITORY_WEIGHTS = (("India - South", 30), ("India - West", 14), ("India - North", 13), ("UK & Ireland", 17),
                     ("Middle East", 10), ("APAC", 9), ("North America", 7))
MANAGER = "Vikram Sethi"  # Head of Sales: owns a few big accounts himself
# The account's "Industry type" (Freshsales' LinkedIn-style options) -> (weight, words its companies' names use)
INDUSTRIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "Information Technology and Services": (16, ("Infotech", "Digital", "Systems")),
    "Computer Software": (12, ("Softlabs", "Cloud", "Apps")),
    "Financial Services": (8, ("Finserv", "Capital", "Fintech")),
    "Hospital & Health Care": (9, ("Healthcare", "Hospitals", "Diagnostics")),
    "Retail": (9, ("Retail", "Stores", "Mart")),
    "Logistics and Supply Chain": (8, ("Logistics", "Freight", "Cargo")),
    "Staffing and Recruiting": (7, ("Staffing", "Talent", "Workforce")),
    "Hospitality": (6, ("Hotels", "Hospitality", "Resorts")),
    "Education Management": (6, ("Edu", "Learning", "Academy")),
    "Pharmaceuticals": (5, ("Pharma", "Lifesciences", "Labs")),
    "Construction": (5, ("Infra", "Builders", "Constructions")),
    "Banking": (4, ("Bank", "Credit", "Finance")),
    "Real Estate": (5, ("Realty", "Estates", "Properties")),
}
PREFIXES = (
    "Aarav", "Banyan", "Cauvery", "Deccan", "Ekam", "Falcon", "Ganga", "Himalaya", "Indus", "Jasmine", "Kaveri",
    "Lotus", "Malabar", "Nilgiri", "Orchid", "Peacock", "Quill", "Rangoli", "Saffron", "Tulsi", "Udaan", "Vedanta",
    "Westbrook", "Yamuna", "Zenith", "Amber", "Blue Harbour", "Crescent", "Dhruv", "Everest", "Fernhill", "Granite",
    "Harbourside", "Ivory", "Juniper", "Kestrel", "Larkspur", "Meridian", "Northgate", "Oakridge", "Pinnacle",
    "Quantum", "Riverstone", "Sapphire", "Thistle", "Unity", "Vantage", "Willow", "Oasis", "Pearl Gulf", "Marina",
    "Lion City", "Harbour", "Coral", "Summit", "Redwood",
)
SUFFIX = {"India": ("Pvt Ltd", "Pvt Ltd", "Private Limited", "Ltd"), "United Kingdom": ("Ltd", "Ltd", "plc"), "Ireland": ("Ltd", "DAC"),
          "United Arab Emirates": ("LLC", "FZ-LLC", "FZE"), "Saudi Arabia": ("Co.", "LLC"), "Singapore": ("Pte Ltd",),
          "Australia": ("Pty Ltd",), "United States": ("Inc", "LLC", "Corp")}
EMPLOYEES = (("1-10", 5), ("11-50", 20), ("51-200", 30), ("201-500", 20), ("501-1000", 12), ("1001-5000", 9), ("5000+", 4))
FIRST = ("Aditya", "Ananya", "Deepak", "Divya", "Gaurav", "Ishaan", "Karan", "Lakshmi", "Manish", "Neha", "Pooja", "Rahul",
         "Ritu", "Sanjay", "Shreya", "Suresh", "Tanvi", "Varun", "Yash", "Zoya", "Oliver", "Emily", "James", "Charlotte",
         "George", "Sophie", "Liam", "Grace", "Omar", "Fatima", "Khalid", "Layla", "Wei Ling", "Jun", "Chloe", "Ethan",
         "Hannah", "Jacob", "Mia", "Noah", "Siddharth", "Nandini", "Abhishek", "Meghna", "Farhan", "Rekha", "Sahil", "Aparna")
LAST = ("Sharma", "Iyer", "Reddy", "Menon", "Gupta", "Kapoor", "Joshi", "Patel", "Verma", "Rao", "Chatterjee", "Desai",
        "Hegde", "Malhotra", "Khanna", "Srinivasan", "Smith", "Taylor", "Walsh", "Hughes", "O'Brien", "Murphy", "Evans",
        "Al Mansoori", "Haddad", "Khan", "Lim", "Ng", "Wong", "Miller", "Johnson", "Davis", "Bhat", "Pillay", "Naidu", "Saxena")
# (title, weight): HR and finance buyers of payroll software
TITLES = (("HR Manager", 14), ("Head of HR", 10), ("CHRO", 5), ("HR Director", 6), ("VP - People", 3), ("Payroll Manager", 9),
          ("Sr. Payroll Executive", 5), ("Finance Director", 5), ("CFO", 4), ("Founder & CEO", 6), ("COO", 3),
          ("Talent Acquisition Lead", 5), ("HR Business Partner", 6), ("People Operations Manager", 5), ("Office Manager", 4),
          ("Director - Human Resources", 3), ("Finance Controller", 3), ("", 4))
# Lead source (the team's picklist) -> (weight, [(campaign, medium, keyword)])
SOURCES: dict[str, tuple[int, tuple[tuple[str, str, str], ...]]] = {
    "Web Form": (20, (("", "", ""), ("Demo Request Page", "website", ""))),
    "Organic Search": (12, (("", "organic", "payroll software india"), ("", "organic", "hrms"), ("", "organic", ""))),
    "Paid Search": (13, (("Google Ads - Payroll IN", "cpc", "payroll software"), ("Google Ads - HRMS UK", "cpc", "hr software uk"),
                         ("Google Ads - Brand", "cpc", "rosterly"))),
    "Referral": (9, (("", "", ""),)),
    "Partner": (7, (("Partner - Tally Resellers", "partner", ""), ("Partner - CA Firms", "partner", ""))),
    "Event": (7, (("SHRM India Annual 2026", "event", ""), ("CIPD Festival of Work 2026", "event", ""), ("HR Tech Dubai 2027", "event", ""))),
    "Chat": (8, (("", "chat", ""),)),
    "Email Campaign": (8, (("Payroll Compliance Webinar", "email", ""), ("Q1 Newsletter", "email", ""))),
    "Cold Outreach": (10, (("Outbound - Enterprise IN", "", ""), ("Outbound - GCC", "", ""))),
    "Social Media": (6, (("LinkedIn Lead Gen - CHRO", "social", ""), ("", "social", ""))),
}
# (lifecycle stage, status, weight)
STATUSES = (("Lead", "New", 13), ("Lead", "Contacted", 15), ("Lead", "Interested", 11), ("Lead", "Unqualified", 9),
            ("Sales Qualified Lead", "Qualified", 10), ("Sales Qualified Lead", "Demo Done", 8),
            ("Sales Qualified Lead", "Negotiation", 5), ("Sales Qualified Lead", "Lost", 9), ("Customer", "Won", 20))
LOST_REASONS = (("Budget constraints", 5), ("Went with competitor", 5), ("No response", 6), ("Not a fit", 4), ("Timing - revisit later", 3))
TAGS = ("payroll-migration", "multi-entity", "budget-approved", "webinar-apr", "competitor-keka", "competitor-darwinbox", "gcc-wps")
MODES = (("Email", 5), ("Phone", 4), ("Meeting", 2), ("WhatsApp", 2))


def _stamp(moment: datetime | None) -> str:
    """Freshsales' export date-time in the account's time zone: 2027-05-14 16:42:09 +0530."""
    return "" if moment is None else moment.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S %z")


def _companies(rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(company, industry, territory, place index) for every account, names unique."""
    seen: set[str] = set()
    accounts = []
    while len(accounts) < N_CONTACTS:
        territory = pick(rng, TERRITORY_WEIGHTS)
        places = TERRITORIES[territory][1]
        place = rng.randrange(len(places))
        industry, (_, words) = pick_labelled(rng, [(name, weight, (weight, words)) for name, (weight, words) in INDUSTRIES.items()])
        name = f"{rng.choice(PREFIXES)} {rng.choice(words)} {rng.choice(SUFFIX[places[place][0]])}"
        if name not in seen:
            seen.add(name)
            accounts.append((name, industry, territory, place))
    return accounts


def _contact(rng: random.Random, names: set[tuple[str, str]], account: tuple[str, str, str, int], *, status=None,
             created: datetime | None = None) -> dict[str, str]:
    company, industry, territory, place = account
    owners, places = TERRITORIES[territory]
    country, city, state, zip_prefix, zone = places[place]
    stage, status = status or pick_labelled(rng, [(s, w, stage) for stage, s, w in STATUSES])[::-1]
    while True:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if (first, last) not in names:
            names.add((first, last))
            break
    if created is None:
        days = {"New": rng.uniform(0, 21), "Contacted": rng.uniform(3, 120), "Interested": rng.uniform(7, 200),
                "Won": rng.uniform(120, 540)}.get(status, rng.uniform(20, 540))
        created = NOW - timedelta(days=days, seconds=rng.randint(0, 86000))
    created = created.replace(microsecond=0)
    owner = pick(rng, owners) if rng.random() > 0.04 else ""
    if owner and rng.random() < 0.03:
        owner = MANAGER
    if status == "New":
        contacted = created + timedelta(hours=rng.uniform(1, 60)) if rng.random() < 0.25 else None
    elif status in ("Lost", "Unqualified", "Won"):
        contacted = created + timedelta(days=rng.uniform(3, max(4.0, (NOW - created).days * 0.6)))
    else:
        contacted = NOW - timedelta(days=rng.uniform(0, min(75.0, (NOW - created).days + 0.5)))
    if contacted is not None:
        contacted = min(contacted, NOW - timedelta(minutes=20)).replace(microsecond=0)
    source, (_, variants) = pick_labelled(rng, [(name, weight, (weight, v)) for name, (weight, v) in SOURCES.items()])
    campaign, medium, keyword = rng.choice(variants)
    domain = slug(company.split()[0]) + slug(company.split()[1]) + (".in" if country == "India" else ".com")
    free_mail = rng.random() < 0.06
    email = f"{slug(first)}.{slug(last)}@{'gmail.com' if free_mail else domain}"
    dial = {"India": "+91", "United Kingdom": "+44", "Ireland": "+353", "United Arab Emirates": "+971", "Saudi Arabia": "+966",
            "Singapore": "+65", "Australia": "+61", "United States": "+1"}[country]
    work = f"{dial} {rng.randint(20, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}" if rng.random() < 0.45 else ""
    mobile = f"{dial} {rng.randint(70000, 99999)} {rng.randint(10000, 99999)}" if rng.random() < 0.55 else ""
    open_amount = won_amount = ""
    if status in ("Qualified", "Demo Done", "Negotiation") and rng.random() < 0.8:
        open_amount = str(rng.randrange(1500, 60000, 250))
    if status == "Won":
        won_amount = str(rng.randrange(3000, 90000, 500))
    tags = sorted(set(rng.sample(TAGS, k=rng.choice((0, 0, 0, 1, 1, 2)))))
    if country not in ("United Arab Emirates", "Saudi Arabia"):
        tags = [t for t in tags if t != "gcc-wps"]
    updated = max(created, contacted or created) + timedelta(hours=rng.uniform(0, 30))
    return {
        "First name": first, "Last name": last, "Job title": pick(rng, TITLES), "Emails": email, "Work": work, "Mobile": mobile,
        "Sales accounts": company, "Industry type": industry if rng.random() < 0.93 else "",
        "Number of employees": pick(rng, EMPLOYEES) if rng.random() < 0.9 else "",
        "City": city, "State": state, "Zipcode": f"{zip_prefix}{rng.randint(100, 999)}" if zip_prefix else "", "Country": country,
        "Territory": territory, "Sales owner": owner, "Lifecycle stage": stage, "Status": status,
        "Lost reason": pick(rng, LOST_REASONS) if status in ("Lost", "Unqualified") else "",
        "Lead source": source, "Campaign": campaign, "Medium": medium, "Keyword": keyword,
        "Lead score": str(rng.randint(0, 100)), "Subscription status": pick(rng, (("Subscribed", 6), ("Unsubscribed", 1), ("Not subscribed", 3))),
        "Last contacted time": _stamp(contacted), "Last contacted mode": pick(rng, MODES) if contacted else "",
        "Created at": _stamp(created), "Updated at": _stamp(min(updated, NOW)), "Open deals amount": open_amount,
        "Won deals amount": won_amount, "Tags": ", ".join(tags), "Time zone": zone,
    }


def build_rows(seed: int = SEED, n: int = N_CONTACTS) -> list[dict[str, str]]:
    """The contacts in export order (by "Created at"); a few accounts have a second contact."""
    rng = random.Random(seed)
    names: set[tuple[str, str]] = set()
    rows: list[dict[str, str]] = []
    for account in _companies(rng):
        if len(rows) >= n:
            break
        first = _contact(rng, names, account)
        rows.append(first)
        if first["Status"] in ("Won", "Lost") and rng.random() < 0.12 and len(rows) < n:
            again = NOW - timedelta(days=rng.uniform(2, 60), seconds=rng.randint(0, 86000))
            rows.append(_contact(rng, names, account, status=("Lead", rng.choice(("New", "Contacted", "Interested"))), created=again))
    return sorted(rows, key=lambda row: (row["Created at"], row["Emails"]))


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """As Freshsales writes its export: every value quoted."""
    write_rows(path, HEADERS, rows, quote_all=True)


if __name__ == "__main__":
    main_for("nlq_fresh6", write_csv, build_rows)
