"""The demo dataset: a realistic, deterministic sales team with 180 days of lead history.

`build_demo_dataset` is pure: the same seed and the same `now` give identical data, and every
timestamp is an offset from `now`. The history carries real signal (source, size, industry,
seniority, engagement and rep all move the conversion odds), so scoring has something to learn
and the evals have something to measure. `load_demo_dataset` bulk-inserts it; `seed_demo` is what
`leadpilot seed` calls.

Rows are store-ready column values, except that they refer to each other by natural keys rather
than database ids: a lead names its owner by `owner_email`, an activity its lead by
`lead_external_id` and its rep by `rep_email`, a time-off period its rep by `rep_email`.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy import MetaData, func, insert, select
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.geo import region_of
from leadpilot.memory.models import Activity, Lead, Rep, RepTimeOff
from leadpilot.memory.vocab import CONTACT_KINDS, ActivityKind, Direction, Source, Stage, industry_label

T = TypeVar("T")
DAY = 86_400.0  # seconds
HISTORY_DAYS = 180
REP_DOMAIN = "leadpilot.demo"


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
_FREE_MAIL = ("gmail.com", "gmail.com", "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me")
_FREE_MAIL_LOCAL = {"DE": ("gmx.de", "web.de"), "GB": ("yahoo.co.uk",)}


# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "anglo": (
        ("James", "Olivia", "Liam", "Emma", "Noah", "Ava", "William", "Sophia", "Benjamin", "Charlotte", "Lucas",
         "Amelia", "Henry", "Harper", "Jack", "Grace", "Ethan", "Chloe", "Daniel", "Emily", "Matthew", "Hannah",
         "Samuel", "Abigail", "Ryan", "Madison", "Nathan", "Ella", "Owen", "Lily", "Caleb", "Zoe", "Dylan", "Nora",
         "Isaac", "Claire", "Aaron", "Megan", "Kevin", "Rachel", "Laura", "Michael", "Sarah", "David", "Jessica"),
        ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
         "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
         "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson",
         "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards",
         "Collins", "Stewart", "Morgan", "Cooper", "Reed", "Bailey", "Bell", "Howard", "Ward", "Richardson",
         "Watson", "Brooks", "Bennett", "Gray", "Hughes", "Price", "Foster", "O'Brien", "Sullivan", "Fletcher"),
    ),
    "irish": (
        ("Aoife", "Ciarán", "Niamh", "Seán", "Siobhán", "Conor", "Saoirse", "Cillian", "Orla", "Darragh", "Róisín",
         "Eoin", "Clodagh", "Padraig", "Aisling"),
        ("Murphy", "Kelly", "O'Sullivan", "Walsh", "Byrne", "Ryan", "O'Connor", "Doyle", "McCarthy", "Gallagher",
         "Doherty", "Kennedy", "Lynch", "Quinn", "Brennan", "Fitzgerald"),
    ),
    "hispanic": (
        ("Sofía", "Mateo", "Valentina", "Santiago", "Camila", "Diego", "Lucía", "Alejandro", "Isabella", "Javier",
         "Gabriela", "Carlos", "Mariana", "Andrés", "Daniela", "Miguel", "Paula", "Fernando", "Elena", "Luis",
         "Ana", "Jorge", "Carmen", "Pablo", "Marta", "Ricardo", "Natalia"),
        ("García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez",
         "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Morales", "Ortiz", "Castillo", "Romero", "Vargas", "Ruiz",
         "Navarro", "Jiménez", "Moreno", "Álvarez", "Herrera", "Medina", "Castro", "Delgado", "Vega", "Mendoza"),
    ),
    "portuguese": (
        ("João", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Gabriel", "Larissa", "Rafael", "Camila", "Thiago",
         "Juliana", "Felipe", "Fernanda", "Bruno", "Letícia", "Gustavo", "Carolina", "Rodrigo", "Aline"),
        ("Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
         "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Barbosa", "Araújo", "Rocha", "Cardoso"),
    ),
    "german": (
        ("Lukas", "Anna", "Felix", "Lena", "Jonas", "Laura", "Maximilian", "Sophie", "Leon", "Hannah", "Paul",
         "Julia", "Tim", "Katharina", "Jan", "Marie", "Niklas", "Lea", "Florian", "Sarah", "Tobias", "Johanna",
         "Moritz", "Clara", "Stefan", "Sabine"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
         "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
         "Braun", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Vogel"),
    ),
    "french": (
        ("Camille", "Louis", "Léa", "Hugo", "Manon", "Jules", "Chloé", "Arthur", "Inès", "Gabriel", "Sarah",
         "Nathan", "Juliette", "Théo", "Émilie", "Antoine", "Claire", "Mathieu", "Élodie", "Julien", "Margaux",
         "Nicolas", "Pauline", "Thomas"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
         "Simon", "Laurent", "Lefebvre", "Michel", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
         "Girard", "Mercier", "Dupont", "Lambert", "Bonnet", "Rousseau", "Blanc", "Faure", "Chevalier"),
    ),
    "dutch": (
        ("Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Levi", "Sophie", "Finn", "Tess", "Bram", "Anouk",
         "Thijs", "Fleur", "Ruben", "Lotte", "Jesse", "Sanne"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
         "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen"),
    ),
    "nordic": (
        ("Erik", "Elsa", "Oscar", "Astrid", "Axel", "Maja", "Nils", "Ingrid", "Gustav", "Freja", "Lars", "Sara",
         "Johan", "Linnea", "Anders", "Karin", "Emil", "Sofia"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
         "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindqvist", "Berg", "Bergström", "Holm", "Sandberg"),
    ),
    "japanese": (
        ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Yuto", "Sakura", "Kaito", "Yuna", "Takumi", "Mei", "Riku",
         "Akari", "Kenji", "Naomi", "Hiroshi", "Yuki", "Daiki", "Emi"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato",
         "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori"),
    ),
    "indian": (
        ("Aarav", "Priya", "Rohan", "Ananya", "Arjun", "Diya", "Vikram", "Kavya", "Rahul", "Neha", "Aditya", "Isha",
         "Karan", "Meera", "Siddharth", "Pooja", "Nikhil", "Shreya", "Varun", "Anjali", "Rajesh", "Sneha"),
        ("Sharma", "Patel", "Gupta", "Reddy", "Iyer", "Nair", "Rao", "Singh", "Kumar", "Mehta", "Joshi", "Desai",
         "Menon", "Kapoor", "Bhat", "Chopra", "Malhotra", "Krishnan", "Pillai", "Agarwal"),
    ),
    "chinese": (
        ("Wei", "Mei", "Jun", "Xin", "Hao", "Jia", "Ming", "Yan", "Kai", "Lin", "Hui", "Jie", "Ying", "Zhi",
         "Grace", "Jason", "Vivian", "Kelvin"),
        ("Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Chan", "Koh", "Teo", "Wang", "Zhang", "Liu",
         "Chen", "Huang", "Zhao", "Wu", "Zhou", "Xu"),
    ),
    "korean": (
        ("Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Joon", "Soo-min", "Hyun", "Ji-woo"),
        ("Kim", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang"),
    ),
    "vietnamese": (
        ("Linh", "Minh", "Thao", "Duc", "Anh", "Quang", "Trang", "Huy"),
        ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang"),
    ),
    "african": (
        ("Chinedu", "Amara", "Kwame", "Ngozi", "Tunde", "Adaeze", "Kofi", "Zainab", "Emeka", "Folake", "Jabari",
         "Imani"),
        ("Okafor", "Adeyemi", "Mensah", "Nwosu", "Okonkwo", "Boateng", "Eze", "Balogun", "Owusu", "Osei",
         "Mwangi", "Abiodun"),
    ),
    "arabic": (
        ("Omar", "Fatima", "Ahmed", "Layla", "Khalid", "Aisha", "Yousef", "Mariam", "Hassan", "Noor", "Karim",
         "Sara", "Rashid", "Huda", "Tariq", "Amira"),
        ("Al Mansouri", "Al Hashimi", "Haddad", "Khoury", "Nasser", "Rahman", "Saleh", "Farouk", "Aziz", "Hamdan",
         "Qasim", "Al Suwaidi", "Mahmoud", "Karam"),
    ),
    "polish": (
        ("Jakub", "Zofia", "Piotr", "Katarzyna", "Tomasz", "Agnieszka", "Marek", "Magdalena"),
        ("Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański"),
    ),
    "turkish": (
        ("Emre", "Elif", "Can", "Zeynep", "Mehmet", "Ayşe", "Burak", "Selin"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın", "Arslan"),
    ),
}

# Who lives where: name traditions per country, by share.
_NAME_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "US": (("anglo", 50), ("hispanic", 14), ("indian", 8), ("chinese", 7), ("african", 6), ("irish", 4),
           ("korean", 4), ("vietnamese", 3), ("german", 2), ("polish", 2)),
    "CA": (("anglo", 52), ("french", 12), ("chinese", 12), ("indian", 12), ("korean", 5), ("hispanic", 4),
           ("irish", 3)),
    "GB": (("anglo", 68), ("indian", 12), ("african", 7), ("polish", 6), ("irish", 7)),
    "IE": (("irish", 70), ("anglo", 15), ("polish", 10), ("indian", 5)),
    "DE": (("german", 78), ("turkish", 8), ("polish", 7), ("anglo", 7)),
    "FR": (("french", 82), ("arabic", 8), ("hispanic", 4), ("anglo", 6)),
    "NL": (("dutch", 82), ("turkish", 6), ("anglo", 6), ("indian", 6)),
    "ES": (("hispanic", 88), ("anglo", 6), ("french", 6)),
    "SE": (("nordic", 85), ("arabic", 5), ("anglo", 5), ("polish", 5)),
    "AE": (("arabic", 55), ("indian", 30), ("anglo", 15)),
    "SG": (("chinese", 65), ("indian", 18), ("anglo", 17)),
    "JP": (("japanese", 95), ("anglo", 5)),
    "IN": (("indian", 100),),
    "AU": (("anglo", 63), ("chinese", 12), ("indian", 10), ("vietnamese", 6), ("irish", 9)),
    "BR": (("portuguese", 90), ("japanese", 4), ("hispanic", 6)),
    "MX": (("hispanic", 95), ("anglo", 5)),
}

_C_LEVEL = ("CEO", "CTO", "CFO", "COO", "CIO", "Chief Revenue Officer", "Chief Product Officer", "Founder & CEO",
            "Co-founder & CTO", "Managing Director")
_INDIVIDUAL = ("Software Engineer", "Senior Software Engineer", "Analyst", "Financial Analyst", "Data Analyst",
               "Business Analyst", "Operations Associate", "Accountant", "Solutions Architect", "DevOps Engineer",
               "Procurement Specialist", "Marketing Specialist", "Product Designer")
_FUNCTIONS = ("Engineering", "Finance", "Operations", "Sales", "Marketing", "Product", "IT", "Data", "Procurement",
              "Revenue Operations", "Customer Success", "Security")
_INDUSTRY_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "fintech": ("Payments", "Risk", "Compliance"),
    "banking": ("Risk", "Compliance", "Digital Banking"),
    "insurance": ("Claims", "Underwriting"),
    "healthcare": ("Clinical Operations", "Patient Experience"),
    "biotech": ("R&D", "Clinical Operations"),
    "ecommerce": ("E-commerce", "Growth"),
    "retail": ("Merchandising", "Store Operations"),
    "manufacturing": ("Supply Chain", "Plant Operations"),
    "logistics": ("Supply Chain", "Fleet Operations"),
    "education": ("Academic Technology", "Admissions"),
    "energy": ("Grid Operations", "Sustainability"),
    "media": ("Content", "Audience Development"),
}
SENIORITIES = ("c_level", "vp", "director", "manager", "individual")
_SENIORITY_MIX: dict[str, tuple[float, ...]] = {  # by segment, in SENIORITIES order
    "micro": (45, 10, 15, 15, 15),
    "smb": (22, 15, 22, 22, 19),
    "mid-market": (10, 18, 27, 25, 20),
    "enterprise": (4, 14, 28, 28, 26),
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
# Notes: what each lead needs, in varied wording, for semantic search to find later
# ---------------------------------------------------------------------------------------------

_NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    "fintech": {
        "card-issuing": ("Evaluating card issuing for their expense product", "Looking at card issuing and virtual cards",
                         "Wants to launch virtual cards for employee spend",
                         "Exploring physical and virtual card issuing for a corporate card"),
        "kyc": ("Needs KYC automation", "Manual KYC reviews slow down onboarding; wants automated identity checks",
                "Looking for KYC and AML screening via API"),
        "payouts": ("Needs global payouts to contractors in 40+ countries",
                    "Wants faster marketplace payouts and automatic reconciliation"),
        "fraud": ("Chargebacks are up; evaluating real-time fraud scoring",
                  "Looking for transaction monitoring to cut fraud losses"),
    },
    "banking": {
        "core-modernization": ("Modernizing core banking; wants API access to the ledger",
                               "Replacing a legacy core system over the next 18 months"),
        "digital-onboarding": ("Wants digital account opening in under 5 minutes",
                               "Branch-heavy onboarding today; exploring a mobile onboarding flow"),
        "open-banking": ("Needs open banking APIs for account aggregation",
                         "Looking for PSD2-compliant open banking connectivity"),
    },
    "insurance": {
        "claims": ("Claims processing is manual; evaluating automation",
                   "Wants to cut claims handling time with document extraction"),
        "underwriting": ("Exploring data-driven underwriting for small business policies",
                         "Needs better risk data for underwriting"),
        "embedded": ("Wants to offer embedded insurance at checkout",
                     "Exploring embedded insurance through partner platforms"),
    },
    "healthcare": {
        "hipaa": ("HIPAA compliance is a blocker", "Security review must cover HIPAA and a BAA before any pilot",
                  "Needs a signed BAA; HIPAA is non-negotiable"),
        "scheduling": ("Patient scheduling across 12 clinics is a mess",
                       "Wants online appointment booking integrated with their EHR"),
        "ehr-integration": ("Needs integration with Epic and Cerner",
                            "EHR integration over HL7/FHIR is the main requirement"),
    },
    "biotech": {
        "lims": ("Replacing spreadsheets with a LIMS for sample tracking",
                 "Needs lab data management for a growing R&D team"),
        "clinical-trials": ("Running three clinical trials; needs electronic data capture",
                            "Looking at eClinical tools for patient recruitment"),
        "gxp": ("GxP validation is required for any vendor", "Needs 21 CFR Part 11 compliant audit trails"),
    },
    "saas": {
        "usage-billing": ("Interested in our API product for usage-based billing",
                          "Moving from seat pricing to usage-based billing; needs metering",
                          "Wants metered billing via API for their developer platform"),
        "sso": ("Enterprise customers are asking for SSO and SCIM", "Needs SAML SSO before moving upmarket"),
        "analytics": ("Wants embedded analytics dashboards for their customers",
                      "Looking for product analytics to reduce churn"),
    },
    "cybersecurity": {
        "soc2": ("Preparing for SOC 2 Type II; needs evidence collection",
                 "SOC 2 audit in Q3; evaluating compliance automation"),
        "siem": ("Drowning in alerts; evaluating SIEM consolidation",
                 "Needs log management and threat detection for a hybrid cloud"),
        "zero-trust": ("Rolling out zero-trust access for 2,000 remote staff",
                       "Replacing the VPN with zero-trust network access"),
    },
    "ecommerce": {
        "checkout": ("Cart abandonment is high; wants a faster one-page checkout",
                     "Looking at checkout optimization and wallets like Apple Pay"),
        "cross-border": ("Expanding to the EU; needs multi-currency pricing and local payment methods",
                         "Selling cross-border; needs local currencies and duties at checkout"),
        "subscriptions": ("Wants subscription boxes with recurring billing",
                          "Launching a subscribe-and-save program"),
    },
    "retail": {
        "pos": ("Replacing the point of sale across 80 stores", "Needs a modern POS for 40 locations"),
        "inventory": ("Wants real-time inventory visibility across stores and the warehouse",
                      "Stockouts are hurting sales; needs inventory forecasting"),
        "loyalty": ("Launching a loyalty program next quarter", "Wants a points-based loyalty app"),
    },
    "manufacturing": {
        "predictive-maintenance": ("Needs predictive maintenance for CNC machines",
                                   "Unplanned downtime on the line; exploring IoT sensors and maintenance alerts"),
        "erp": ("ERP migration underway; needs shop-floor integration", "Wants to connect MES data to their ERP"),
        "quality": ("Looking for quality inspection with computer vision",
                    "Scrap rate is too high; wants automated defect detection"),
    },
    "logistics": {
        "fleet-tracking": ("Needs fleet tracking across 300 trucks",
                           "Wants real-time GPS tracking for their delivery fleet",
                           "Tracking 120 vans across three depots is manual today"),
        "route-optimization": ("Route optimization to cut fuel costs",
                               "Last-mile route planning for 2,000 daily deliveries"),
        "customs": ("Customs paperwork is slowing cross-border freight",
                    "Wants automated customs declarations for EU shipments"),
    },
    "education": {
        "lms": ("Replacing their LMS before the fall semester", "Needs an LMS that integrates with Google Classroom"),
        "enrollment": ("Wants to streamline student enrollment and payments",
                       "Online applications and tuition payments in one place"),
        "proctoring": ("Looking at remote exam proctoring", "Needs online proctoring for certification exams"),
    },
    "real-estate": {
        "property-management": ("Managing 4,000 units; needs a tenant portal and rent collection",
                                "Wants online rent payments and maintenance requests"),
        "crm": ("Agents need a CRM for listings and buyer follow-ups",
                "Looking for a CRM to track leasing inquiries"),
        "smart-building": ("Smart building sensors for energy savings across their portfolio",
                           "Wants occupancy data to right-size office space"),
    },
    "media": {
        "streaming": ("Launching a subscription streaming service",
                      "Needs video hosting and a paywall for premium content"),
        "ad-yield": ("Wants better ad yield on their publishing sites",
                     "Programmatic ad revenue is down; exploring header bidding"),
        "rights": ("Tracking content rights and royalties is manual", "Needs royalty reporting for 300 artists"),
    },
    "energy": {
        "grid-monitoring": ("Grid monitoring and outage prediction", "Needs real-time monitoring of 200 substations"),
        "ev-charging": ("Rolling out EV charging; needs billing and station management",
                        "Wants payments for a public EV charging network"),
        "esg": ("ESG reporting requirements; needs emissions data tracking",
                "Scope 3 emissions reporting is due next year"),
    },
    "telecom": {
        "billing": ("Legacy telecom billing system; wants convergent billing",
                    "Needs real-time rating and charging for new 5G plans"),
        "churn": ("Subscriber churn is rising; wants churn prediction",
                  "Looking to reduce churn with proactive retention offers"),
        "field-service": ("Network inventory and field service scheduling",
                          "Wants to dispatch field technicians more efficiently"),
    },
    "hospitality": {
        "direct-booking": ("Direct booking engine to reduce OTA commissions",
                           "Wants to grow direct bookings across 25 hotels"),
        "guest-experience": ("Contactless check-in and guest messaging",
                             "Wants mobile keys and digital check-in"),
        "revenue-management": ("Dynamic pricing for rooms across seasons",
                               "Needs revenue management for a growing portfolio of resorts"),
    },
    "government": {
        "permits": ("Digitizing permit applications for residents",
                    "Paper-based permitting today; wants online forms and payments"),
        "procurement": ("Procurement requires an RFP; FedRAMP preferred", "Any purchase goes through public tender"),
        "citizen-services": ("Wants a 311-style citizen request portal",
                             "Residents need one place to report issues and track them"),
    },
    "nonprofit": {
        "donations": ("Online donations and recurring giving", "Wants to grow monthly donors with recurring donations"),
        "volunteers": ("Volunteer scheduling across 15 chapters", "Needs a volunteer portal with shift sign-ups"),
        "grants": ("Grant reporting takes weeks every quarter", "Wants to automate grant reporting to funders"),
    },
    "professional-services": {
        "time-billing": ("Time tracking and client billing are in spreadsheets",
                         "Needs project time tracking tied to invoicing"),
        "client-portal": ("Wants a secure client portal for document sharing",
                          "Clients email sensitive documents; needs a secure portal"),
        "resource-planning": ("Resource planning across 300 consultants",
                              "Needs utilization reporting and staffing forecasts"),
    },
}
_NEUTRAL_NOTES = (
    "Budget approved for next quarter.", "Currently on a competitor; contract renews in the spring.",
    "Asked for a case study from their industry.", "Wants a follow-up after their board meeting.",
    "Small team, price sensitive.", "Comparing us with two other vendors.", "Procurement takes about six weeks.",
    "Requested pricing for 50 seats.", "Interested, but timing is unclear.", "Prefers email over calls.",
    "Champion is technical; needs an executive sponsor.", "Downloaded the pricing guide.",
    "Asked about data residency in the EU.", "Legal will review the MSA.", "Wants a pilot before committing.",
)
_EVENTS = ("Money20/20", "SaaStr Annual", "Web Summit", "HIMSS", "AWS re:Invent", "London Tech Week", "VivaTech",
           "Slush", "Collision", "Dreamforce")
_PARTNERS = ("Northstar Advisory", "Bluefield Partners", "Summit Integrations", "Keystone Systems Group",
             "Harborview Consulting")


# ---------------------------------------------------------------------------------------------
# Reps
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RepSpec:
    name: str
    team: str
    territories: tuple[str, ...]
    industries: tuple[str, ...]
    segments: tuple[str, ...]
    languages: tuple[str, ...]
    timezone: str
    capacity: int
    daily_cap: int
    routing_weight: float
    tenure_days: int
    skill: float = 0.0  # effect on a lead's conversion log-odds
    role: str = "rep"
    active: bool = True
    # For a rep who has left: they only took leads created at least this many days ago.
    only_leads_older_than_days: float | None = None


_WEST = ("US-CA", "US-WA", "US-OR", "US-CO")
_EAST = ("US-NY", "US-MA", "US-GA", "US-FL", "US-NJ", "CA")
_ALL_SEGMENTS = ("enterprise", "mid-market", "smb")
_ROSTER: tuple[_RepSpec, ...] = (
    _RepSpec("Rachel Adams", "Sales Leadership", ("NA", "EMEA", "APAC", "LATAM"), (), _ALL_SEGMENTS, ("en",),
             "America/New_York", 40, 5, 0.0, 1400, role="manager"),
    _RepSpec("Maya Chen", "NA West", _WEST, ("fintech", "saas", "banking", "cybersecurity"),
             ("enterprise", "mid-market"), ("en", "zh"), "America/Los_Angeles", 150, 20, 1.2, 900, skill=0.35),
    _RepSpec("Diego Ramírez", "NA West", _WEST,
             ("healthcare", "biotech", "ecommerce", "retail", "media", "education", "manufacturing", "logistics"),
             ("enterprise", "mid-market"), ("en", "es"), "America/Los_Angeles", 180, 25, 1.0, 520, skill=-0.05),
    _RepSpec("Marcus Johnson", "NA Central", ("US-TX", "US-IL", "US-MN", "US-MO"),
             ("energy", "manufacturing", "logistics", "telecom"), ("enterprise", "mid-market"), ("en",),
             "America/Chicago", 180, 25, 1.0, 700, skill=0.0),
    _RepSpec("Jordan Brooks", "NA East", _EAST, ("healthcare", "banking", "insurance", "biotech", "fintech"),
             ("enterprise",), ("en",), "America/New_York", 120, 15, 1.3, 1100, skill=0.3),
    _RepSpec("Priya Natarajan", "NA East", _EAST, ("saas", "ecommerce", "media", "professional-services"),
             ("mid-market",), ("en", "hi"), "America/New_York", 180, 25, 1.0, 430, skill=0.1),
    _RepSpec("Tyler Nguyen", "SMB", ("NA",), ("saas", "ecommerce", "retail", "professional-services"), ("smb",),
             ("en", "vi"), "America/Chicago", 250, 40, 1.0, 300, skill=-0.25),
    _RepSpec("Hannah Kim", "SMB", ("NA",), ("saas", "hospitality", "real-estate", "education"), ("smb",),
             ("en", "ko"), "America/New_York", 250, 40, 1.0, 610, skill=-0.05),
    _RepSpec("Lukas Becker", "EMEA DACH", ("DE", "AT", "CH"), ("manufacturing", "fintech", "saas", "energy"),
             _ALL_SEGMENTS, ("de", "en"), "Europe/Berlin", 160, 20, 1.0, 800, skill=0.25),
    _RepSpec("Camille Laurent", "EMEA France", ("FR", "BE", "LU"), ("fintech", "retail", "media", "hospitality"),
             _ALL_SEGMENTS, ("fr", "en"), "Europe/Paris", 160, 20, 1.0, 650, skill=0.1),
    _RepSpec("Oliver Bennett", "EMEA UK&I", ("GB", "IE"), ("fintech", "insurance", "saas", "professional-services"),
             _ALL_SEGMENTS, ("en",), "Europe/London", 200, 25, 1.1, 750, skill=0.0),
    _RepSpec("Sofia Lindqvist", "EMEA North", ("NL", "SE", "DK", "NO", "FI", "AE"),
             ("logistics", "energy", "saas", "telecom"), _ALL_SEGMENTS, ("en", "sv", "nl"), "Europe/Stockholm",
             160, 20, 1.0, 560, skill=0.05),
    _RepSpec("Kenji Watanabe", "APAC", ("JP", "KR"), ("manufacturing", "telecom", "saas"), _ALL_SEGMENTS,
             ("ja", "en"), "Asia/Tokyo", 140, 15, 1.0, 980, skill=0.15),
    _RepSpec("Aisha Rahman", "APAC", ("SG", "AU", "NZ", "IN"), ("fintech", "saas", "ecommerce", "healthcare"),
             _ALL_SEGMENTS, ("en", "ms", "hi"), "Asia/Singapore", 180, 25, 1.0, 480, skill=0.0),
    _RepSpec("Lucía Fernández", "LATAM & Iberia", ("LATAM", "ES", "PT"), ("fintech", "ecommerce", "retail"),
             _ALL_SEGMENTS, ("es", "pt", "en"), "America/Mexico_City", 170, 20, 1.0, 690, skill=0.1),
    _RepSpec("Ben Carter", "NA West", _WEST, ("fintech", "saas", "ecommerce"), ("enterprise", "mid-market"),
             ("en",), "America/Los_Angeles", 150, 20, 1.0, 1200, skill=-0.35, active=False,
             only_leads_older_than_days=150),
)
_WORKING_HOURS = {"start": "09:00", "end": "17:00", "days": [0, 1, 2, 3, 4]}
# (rep name, starts days from now, ends days from now, reason)
_TIME_OFF = (
    ("Oliver Bennett", -2.0, 5.0, "Annual leave"),
    ("Priya Natarajan", 2.0, 9.0, "Vacation"),
    ("Lukas Becker", -41.0, -34.0, "Vacation"),
)


# ---------------------------------------------------------------------------------------------
# The conversion model behind the history (log-odds effects)
# ---------------------------------------------------------------------------------------------

_INTERCEPT = -2.8
_SOURCE_EFFECT = {
    Source.REFERRAL: 1.2, Source.PARTNER: 0.45, Source.ORGANIC: 0.35, Source.WEBINAR: 0.1, Source.PAID: -0.15,
    Source.OUTBOUND: -0.35, Source.EVENT: -0.45, Source.OTHER: -0.55,
}
_SOURCE_WEIGHTS = {
    Source.ORGANIC: 25, Source.PAID: 18, Source.OUTBOUND: 14, Source.REFERRAL: 10, Source.EVENT: 9,
    Source.WEBINAR: 9, Source.PARTNER: 8, Source.OTHER: 7,
}
_SOURCE_INTEREST = {  # how engaged leads from each source tend to be
    Source.REFERRAL: 0.5, Source.WEBINAR: 0.25, Source.PARTNER: 0.2, Source.ORGANIC: 0.15, Source.PAID: 0.0,
    Source.EVENT: -0.1, Source.OTHER: -0.2, Source.OUTBOUND: -0.3,
}
_SEGMENT_EFFECT = {"micro": -0.7, "smb": -0.1, "mid-market": 0.3, "enterprise": 0.2}
_INDUSTRY_EFFECT = {
    "fintech": 0.65, "saas": 0.55, "healthcare": 0.5, "cybersecurity": 0.3, "biotech": 0.1, "ecommerce": 0.1,
    "banking": 0.05, "insurance": 0.0, "logistics": 0.0, "telecom": -0.1, "manufacturing": -0.15,
    "professional-services": -0.15, "energy": -0.2, "media": -0.25, "real-estate": -0.25, "retail": -0.25,
    "hospitality": -0.35, "education": -0.45, "government": -0.6, "nonprofit": -0.65,
}
_SENIORITY_EFFECT = {"c_level": 0.35, "vp": 0.5, "director": 0.35, "manager": 0.0, "individual": -0.5}


# ---------------------------------------------------------------------------------------------
# Public types
# ---------------------------------------------------------------------------------------------


@dataclass
class DemoDataset:
    """Store-ready rows. Cross-references use natural keys (see the module docstring)."""

    seed: int
    now: datetime
    reps: list[dict[str, Any]]
    rep_time_off: list[dict[str, Any]]
    leads: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    # external_id -> need topic in the lead's notes ("fintech/card-issuing"): labels for search evals.
    need_topics: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedSummary:
    leads: int
    reps: int
    activities: int
    industries: int
    cities: int
    countries: int
    converted: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.leads:,} leads ({self.converted:,} converted) across {self.industries} industries, "
            f"{self.cities} cities in {self.countries} countries; {self.reps} reps; {self.activities:,} activities"
        )


class StoreNotEmptyError(RuntimeError):
    """The store already holds data; seeding would mix the demo with it."""

    def __init__(self, *, leads: int, reps: int):
        self.leads, self.reps = leads, reps
        super().__init__(
            f"The store already holds {leads:,} leads and {reps:,} reps; loading the demo data would mix with them. "
            "Pass --reset (seed_demo(..., reset=True)) to delete everything in the store and load the demo data."
        )


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    return rng.choices([item for item, _ in weighted], weights=[w for _, w in weighted])[0]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _poisson(rng: random.Random, mean: float, cap: int) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit and k < cap:
        k += 1
        p *= rng.random()
    return k


_ASCII_EXTRA = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "ł": "l", "đ": "d", "ı": "i"})


def _ascii_slug(text: str) -> str:
    """'Müller' -> 'muller', "O'Brien" -> 'obrien', 'de Jong' -> 'dejong', 'Min-jun' -> 'min-jun'."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_ASCII_EXTRA))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9-]", "", plain)


def _fill_digits(rng: random.Random, pattern: str) -> str:
    digits = {"#": (0, 9), "N": (2, 9)}
    return "".join(str(rng.randint(*digits[c])) if c in digits else c for c in pattern)


def _at(now: datetime, days_ago: float) -> datetime:
    """A whole-second offset from `now`."""
    return now - timedelta(seconds=round(days_ago * DAY))


def _rep_email(name: str) -> str:
    first, last = name.split(" ", 1)
    return f"{_ascii_slug(first)}.{_ascii_slug(last)}@{REP_DOMAIN}"


def _check_now(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC), e.g. datetime(2026, 11, 20, tzinfo=timezone.utc)")
    return now.astimezone(timezone.utc)


# ---------------------------------------------------------------------------------------------
# Reps
# ---------------------------------------------------------------------------------------------


def _rep_rows(*, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "email": _rep_email(spec.name),
            "name": spec.name,
            "slack_user_id": f"U0DEMO{number:02d}",
            "team": spec.team,
            "role": spec.role,
            "territories": list(spec.territories),
            "industries": list(spec.industries),
            "segments": list(spec.segments),
            "languages": list(spec.languages),
            "timezone": spec.timezone,
            "working_hours": {**_WORKING_HOURS, "days": list(_WORKING_HOURS["days"])},
            "capacity": spec.capacity,
            "daily_cap": spec.daily_cap,
            "routing_weight": spec.routing_weight,
            "active": spec.active,
            "created_at": _at(now, spec.tenure_days),
        }
        for number, spec in enumerate(_ROSTER, start=1)
    ]


def _time_off_rows(*, now: datetime) -> list[dict[str, Any]]:
    return [
        {"rep_email": _rep_email(name), "starts_at": _at(now, -start), "ends_at": _at(now, -end), "reason": reason}
        for name, start, end, reason in _TIME_OFF
    ]


class _OwnerPicker:
    """Who worked each historical lead: the most specific territory match (state, country,
    region) for the lead's segment, preferring industry experts, round-robin among equals."""

    def __init__(self) -> None:
        self._turns: dict[tuple[str, ...], int] = {}

    def pick(self, *, country: str, state: str | None, segment: str, industry: str, age_days: float) -> _RepSpec | None:
        rep_segment = "smb" if segment == "micro" else segment
        eligible = [
            spec for spec in _ROSTER
            if spec.role == "rep" and spec.routing_weight > 0 and rep_segment in spec.segments
            and (spec.only_leads_older_than_days is None or age_days >= spec.only_leads_older_than_days)
        ]
        places = [f"{country}-{state}" if state else None, country, region_of(country)]
        for place in places:
            candidates = [spec for spec in eligible if place and place in spec.territories]
            if candidates:
                experts = [spec for spec in candidates if industry in spec.industries]
                return self._next(experts or candidates)
        return None

    def _next(self, candidates: list[_RepSpec]) -> _RepSpec:
        key = tuple(spec.name for spec in candidates)
        turn = self._turns.get(key, 0)
        self._turns[key] = turn + 1
        return candidates[turn % len(candidates)]


# ---------------------------------------------------------------------------------------------
# Companies and contacts
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


def _job_title(rng: random.Random, *, industry: str, segment: str) -> tuple[str, str]:
    seniority = rng.choices(SENIORITIES, weights=_SENIORITY_MIX[segment])[0]
    function = rng.choice(_FUNCTIONS + _INDUSTRY_FUNCTIONS.get(industry, ()) * 2)
    if seniority == "c_level":
        return rng.choice(_C_LEVEL), seniority
    if seniority == "individual":
        return rng.choice(_INDIVIDUAL), seniority
    if seniority == "vp":
        template = rng.choice(("VP of {}", "VP of {}", "Vice President, {}", "SVP {}"))
    elif seniority == "director":
        template = rng.choice(("Head of {}", "Director of {}", "Head of {}", "Senior Director, {}"))
    else:
        template = rng.choice(("{} Manager", "{} Manager", "Senior {} Manager"))
    return template.format(function), seniority


def _contact_email(
    rng: random.Random, *, first: str, last: str, company: _Company, used: set[str]
) -> str:
    first_slug, last_slug = _ascii_slug(first), _ascii_slug(last)
    if rng.random() < 0.08:
        domain = rng.choice(_FREE_MAIL + _FREE_MAIL_LOCAL.get(company.city.country, ()))
        local = rng.choice((f"{first_slug}.{last_slug}", f"{first_slug}{last_slug}", f"{first_slug[0]}{last_slug}"))
        email = f"{local}{rng.randint(1, 99)}@{domain}"
    else:
        local = f"{first_slug}.{last_slug}"
        email = f"{local}@{company.domain}"
    number = 2
    while email in used:  # namesakes: jane.doe2@...
        email = f"{local}{number}@{email.partition('@')[2]}"
        number += 1
    used.add(email)
    return email


def _notes(
    rng: random.Random, *, industry: str, source: Source, other_company: str
) -> tuple[str, str | None]:
    """Free-text notes and the need topic they express (None for neutral notes only)."""
    sentences: list[str] = []
    topic: str | None = None
    if rng.random() < 0.88:
        key = rng.choice(list(_NEEDS[industry]))
        topic = f"{industry}/{key}"
        sentences.append(rng.choice(_NEEDS[industry][key]) + ".")
    if source == Source.REFERRAL:
        sentences.append(f"Referred by {other_company}.")
    elif source == Source.EVENT:
        sentences.append(f"Met at {rng.choice(_EVENTS)}.")
    elif source == Source.PARTNER:
        sentences.append(f"Introduced by {rng.choice(_PARTNERS)}.")
    if not sentences or rng.random() < 0.45:
        sentences.append(rng.choice(_NEUTRAL_NOTES))
    return " ".join(sentences), topic


# ---------------------------------------------------------------------------------------------
# A lead's life: engagement, outcome, activities
# ---------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    company: _Company
    contact_name: str
    email: str
    phone: str
    job_title: str
    seniority: str
    source: Source
    age_days: float
    notes: str
    topic: str | None
    owner: _RepSpec | None = None


# Where an event sits in a lead's life. Its outcome decides how long that life is, and the outcome
# depends on the engagement, so events are planned at relative positions first and timed after.
_CREATED = "created"  # `delay` days after the lead was created
_LIFE = "life"  # at `position` (0..1) of the way from creation to the decision, plus `delay`
_OUTREACH = "outreach"  # at `position` of the way from the first touch to the decision, plus `delay`


@dataclass(frozen=True)
class _Event:
    anchor: str
    position: float
    delay: float
    kind: ActivityKind
    direction: Direction
    by_rep: bool
    detail: str | None = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Timeline:
    life: float  # days from creation to the decision (won or lost)
    first_touch: float  # days from creation to the first outbound email

    def offset(self, event: _Event) -> float:
        if event.anchor == _CREATED:
            base = 0.0
        elif event.anchor == _LIFE:
            base = event.position * self.life
        else:
            base = self.first_touch + event.position * (0.95 * self.life - self.first_touch)
        return min(base + event.delay, self.life)


_SUBJECTS = ("Quick intro", "Following up", "An idea for {company}", "How {industry} teams use us",
             "Worth a call?", "Checking in", "Pricing for {company}", "Closing the loop")
_PAGES = (("/", 3.0), ("/product", 3.0), ("/docs", 1.5), ("/docs/api", 1.5), ("/blog/usage-based-pricing-guide", 1.0),
          ("/blog/revenue-operations-playbook", 1.0), ("/blog/2026-benchmark-report", 1.0), ("/customers", 1.5),
          ("/integrations", 1.2), ("/security", 1.0), ("/careers", 0.8), ("/about", 0.8), ("/solutions", 2.0))
_API_HEAVY = frozenset({"saas", "fintech", "cybersecurity", "ecommerce"})
_SECURITY_HEAVY = frozenset({"healthcare", "banking", "insurance", "cybersecurity", "government"})
_MEETINGS = ("Discovery call", "Product demo", "Technical deep dive", "Security review", "Pricing review",
             "Contract walkthrough")
_ENTRY_FORMS = {Source.ORGANIC: "/contact-sales", Source.PAID: "/lp/demo", Source.WEBINAR: "/webinar-registration"}
_RESPONSIVE_SOURCES = frozenset({Source.ORGANIC, Source.PAID, Source.WEBINAR, Source.REFERRAL, Source.PARTNER})
_LOST_REASONS = ("No budget this year", "Chose a competitor", "Not a fit: missing a required integration",
                 "Timing: revisit next quarter", "Went quiet after the demo", "Decided to build in-house")
_FOLLOW_UPS = ("Sent follow-up deck and pricing", "Shared our security questionnaire",
               "Looped in a solutions engineer", "Agreed on a pilot scope")


def _page_path(rng: random.Random, *, industry: str, interest: float) -> str:
    if rng.random() < _sigmoid(1.2 * interest - 1.6):
        return "/pricing"
    weights = []
    for path, weight in _PAGES:
        if path == "/docs/api" and industry in _API_HEAVY:
            weight *= 2.5
        elif path == "/security" and industry in _SECURITY_HEAVY:
            weight *= 2.5
        weights.append((path, weight))
    path = _pick(rng, weights)
    return f"/solutions/{industry}" if path == "/solutions" else path


def _first_touch_days(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.6:
        return min(rng.expovariate(4.0), 2.0)  # same day, mostly
    if roll < 0.9:
        return rng.uniform(1.0, 4.0)
    return rng.uniform(4.0, 12.0)


def _plan_inbound(rng: random.Random, draft: _Draft, *, interest: float) -> list[_Event]:
    """What the lead does on its own: the form it came in through, page views, a demo request."""
    events: list[_Event] = []
    if entry_form := _ENTRY_FORMS.get(draft.source):
        events.append(_Event(_CREATED, 0.0, 0.0, ActivityKind.FORM_SUBMIT, Direction.INBOUND, False, entry_form))
    for _ in range(_poisson(rng, math.exp(0.5 + 0.6 * interest), cap=14)):
        path = _page_path(rng, industry=draft.company.industry, interest=interest)
        events.append(_Event(_LIFE, rng.random(), 0.0, ActivityKind.PAGE_VIEW, Direction.INBOUND, False, path))
    if rng.random() < _sigmoid(interest - 1.2):
        events.append(_Event(_LIFE, rng.uniform(0.05, 0.6), 0.0, ActivityKind.FORM_SUBMIT, Direction.INBOUND,
                             False, "/demo-request"))
    return events


def _plan_outreach(rng: random.Random, draft: _Draft, *, interest: float) -> list[_Event]:
    """What the rep does and how the lead responds: emails (opened, clicked) and calls."""
    events: list[_Event] = []
    company, industry = draft.company.name, industry_label(draft.company.industry)
    sends = rng.randint(2, 7)
    positions = [0.0] + sorted(rng.random() for _ in range(sends - 1))
    for step, position in enumerate(positions):
        subject = _SUBJECTS[min(step, len(_SUBJECTS) - 1)].format(company=company, industry=industry)
        events.append(_Event(_OUTREACH, position, 0.0, ActivityKind.EMAIL_SENT, Direction.OUTBOUND, True, subject,
                             {"step": step + 1}))
        if rng.random() < _sigmoid(0.2 + 0.8 * interest):
            opened = min(rng.expovariate(4.0), 3.0)
            events.append(_Event(_OUTREACH, position, opened, ActivityKind.EMAIL_OPENED, Direction.INBOUND, False,
                                 subject))
            if rng.random() < _sigmoid(-1.3 + 0.8 * interest):
                link = "/pricing" if rng.random() < _sigmoid(interest - 1.0) else rng.choice(
                    ("/customers", "/docs", f"/solutions/{draft.company.industry}", "/blog/2026-benchmark-report"))
                events.append(_Event(_OUTREACH, position, opened + rng.uniform(0.001, 0.1),
                                     ActivityKind.EMAIL_CLICKED, Direction.INBOUND, False, link))
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        inbound = rng.random() < 0.1
        connected = inbound or rng.random() < 0.35 + 0.1 * interest
        events.append(_Event(
            _OUTREACH, rng.uniform(0.02, 0.9), 0.0, ActivityKind.CALL,
            Direction.INBOUND if inbound else Direction.OUTBOUND, True,
            "Inbound call" if inbound else ("Connected" if connected else "Left voicemail"),
            {"outcome": "connected" if connected else rng.choice(("voicemail", "no answer")),
             "duration_minutes": rng.randint(5, 35) if connected else 1},
        ))
    return events


def _plan_meetings(rng: random.Random, *, count: int) -> list[_Event]:
    events: list[_Event] = []
    for index, position in enumerate(sorted(rng.uniform(0.15, 1.0) for _ in range(count))):
        meta = {"duration_minutes": rng.choice((30, 30, 45, 60))}
        detail = _MEETINGS[min(index, len(_MEETINGS) - 1)]
        events.append(_Event(_OUTREACH, position, 0.0, ActivityKind.MEETING, Direction.OUTBOUND, True, detail, meta))
        if index == 0 and rng.random() < 0.5:
            events.append(_Event(_OUTREACH, position, 0.05, ActivityKind.NOTE, Direction.OUTBOUND, True,
                                 rng.choice(_FOLLOW_UPS)))
    return events


def _conversion_log_odds(draft: _Draft, *, events: Sequence[_Event], meetings: int, interest: float) -> float:
    pricing = any(e.detail == "/pricing" for e in events if e.kind == ActivityKind.PAGE_VIEW)
    clicks = sum(1 for e in events if e.kind == ActivityKind.EMAIL_CLICKED)
    demo_request = any(e.detail == "/demo-request" for e in events if e.kind == ActivityKind.FORM_SUBMIT)
    return (
        _INTERCEPT
        + _SOURCE_EFFECT[draft.source]
        + _SEGMENT_EFFECT[draft.company.segment]
        + _INDUSTRY_EFFECT[draft.company.industry]
        + _SENIORITY_EFFECT[draft.seniority]
        + 0.8 * pricing
        + 0.15 * min(clicks, 4)
        + 0.45 * min(meetings, 3)
        + 0.5 * demo_request
        + 0.3 * interest
        + draft.company.fit
        + (draft.owner.skill if draft.owner else 0.0)
    )


def _decision_days(rng: random.Random, draft: _Draft, *, converts: bool, neglected: bool) -> float:
    """How long after creation the lead is won or lost."""
    if neglected:
        return rng.uniform(20.0, 60.0)
    if not converts:
        return rng.triangular(7.0, 80.0, 30.0)
    days = rng.triangular(10.0, 90.0, 35.0)
    if draft.source == Source.REFERRAL:
        days *= 0.7
    if draft.company.segment == "enterprise":
        days *= 1.35
    elif draft.company.segment in ("smb", "micro"):
        days *= 0.8
    return max(10.0, min(90.0, days))


def _close_note(rng: random.Random, *, converts: bool, neglected: bool) -> _Event:
    if converts:
        detail = rng.choice(("Closed won: signed a 12-month contract", "Closed won: annual plan",
                             "Closed won after a successful pilot"))
    elif neglected:
        detail = rng.choice(("Closed lost: no response", "Disqualified: not a fit"))
    else:
        detail = f"Closed lost: {rng.choice(_LOST_REASONS)}"
    return _Event(_LIFE, 1.0, 0.0, ActivityKind.NOTE, Direction.OUTBOUND, True, detail)


def _open_stage(draft: _Draft, events: Sequence[_Event]) -> Stage:
    kinds = [e.kind for e in events]
    meetings = kinds.count(ActivityKind.MEETING)
    hot = any(e.detail in ("/pricing", "/demo-request") for e in events)
    connected = any(e.kind == ActivityKind.CALL and (e.meta or {}).get("outcome") == "connected" for e in events)
    responded = any(e.direction == Direction.INBOUND for e in events)
    if meetings and (meetings >= 2 or hot):
        return Stage.OPPORTUNITY
    if meetings or connected or ActivityKind.EMAIL_CLICKED in kinds:
        return Stage.PROSPECT
    if draft.source not in _RESPONSIVE_SOURCES and not responded:
        return Stage.DISCOVERY
    return Stage.LEAD


def _play_out(rng: random.Random, draft: _Draft, *, now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Simulate one lead from creation to its decision, keep what happened up to `now`,
    and return its row and activities."""
    interest = rng.gauss(0.0, 1.0) + _SOURCE_INTEREST[draft.source] + (0.3 if draft.company.industry == "fintech" else 0.0)
    neglected = draft.owner is None or rng.random() < 0.06  # nobody ever reaches out
    events = _plan_inbound(rng, draft, interest=interest)
    meetings = 0
    if not neglected:
        events += _plan_outreach(rng, draft, interest=interest)
        meetings = _poisson(rng, math.exp(-0.5 + 0.7 * interest), cap=4)
    log_odds = _conversion_log_odds(draft, events=events, meetings=meetings, interest=interest)
    converts = not neglected and rng.random() < _sigmoid(log_odds)
    # Larger accounts never sign without meeting us; small ones often buy self-serve.
    if converts and (draft.company.size >= 100 or rng.random() < 0.45):
        meetings = max(meetings, 1)
    events += _plan_meetings(rng, count=meetings)

    life = _decision_days(rng, draft, converts=converts, neglected=neglected)
    timeline = _Timeline(life=life, first_touch=min(_first_touch_days(rng), 0.3 * life))
    closed = life <= draft.age_days
    if closed:
        events.append(_close_note(rng, converts=converts, neglected=neglected))
    timed = sorted(((timeline.offset(e), e) for e in events), key=lambda pair: (pair[0], pair[1].kind.value))
    if not closed:
        timed = [(offset, e) for offset, e in timed if offset <= draft.age_days]

    created_at = _at(now, draft.age_days)
    activities = [_activity_row(draft, e, at=created_at + timedelta(seconds=round(o * DAY))) for o, e in timed]
    contacts = [a["occurred_at"] for a in activities if _is_contact(a)]
    close_at = created_at + timedelta(seconds=round(life * DAY)) if closed else None
    stage = (Stage.CUSTOMER if converts else Stage.LOST) if closed else _open_stage(draft, [e for _, e in timed])
    row = _lead_row(draft, created_at=created_at, stage=stage, last_contacted_at=max(contacts, default=None))
    row["converted"] = converts if closed else None
    row["converted_at"] = close_at if converts and closed else None
    row["updated_at"] = max([created_at, *(a["occurred_at"] for a in activities), *([close_at] if close_at else [])])
    return row, activities


def _is_contact(activity: dict[str, Any]) -> bool:
    return activity["direction"] == Direction.OUTBOUND.value and activity["kind"] in _CONTACT_KIND_VALUES


_CONTACT_KIND_VALUES = frozenset(kind.value for kind in CONTACT_KINDS)


def _activity_row(draft: _Draft, event: _Event, *, at: datetime) -> dict[str, Any]:
    return {
        "lead_external_id": None,  # set once the lead is numbered
        "kind": event.kind.value,
        "direction": event.direction.value,
        "occurred_at": at,
        "rep_email": _rep_email(draft.owner.name) if event.by_rep and draft.owner else None,
        "detail": event.detail,
        "meta": event.meta,
    }


def _lead_row(draft: _Draft, *, created_at: datetime, stage: Stage, last_contacted_at: datetime | None) -> dict[str, Any]:
    company = draft.company
    return {
        "external_id": None,  # set once the lead is numbered
        "company": company.name,
        "website": company.website,
        "domain": company.domain,
        "contact_name": draft.contact_name,
        "email": draft.email,
        "phone": draft.phone,
        "job_title": draft.job_title,
        "industry": company.industry,
        "company_size": company.size,
        "country": company.city.country,
        "state": company.city.state,
        "city": company.city.name,
        "language": company.city.language,
        "source": draft.source.value,
        "stage": stage.value,
        "owner_email": _rep_email(draft.owner.name) if draft.owner else None,
        "created_at": created_at,
        "updated_at": created_at,
        "last_contacted_at": last_contacted_at,
        "notes": draft.notes,
        "converted": None,
        "converted_at": None,
    }


# ---------------------------------------------------------------------------------------------
# Building the dataset
# ---------------------------------------------------------------------------------------------


def _draft_leads(rng: random.Random, companies: list[_Company]) -> list[_Draft]:
    used_emails: set[str] = set()
    sources = list(_SOURCE_WEIGHTS.items())
    drafts: list[_Draft] = []
    for index, company in enumerate(companies):
        cultures = _NAME_MIX[company.city.country]
        for _ in range(company.contacts):
            firsts, lasts = _NAMES[_pick(rng, cultures)]
            first, last = rng.choice(firsts), rng.choice(lasts)
            title, seniority = _job_title(rng, industry=company.industry, segment=company.segment)
            source = _pick(rng, sources)
            other = rng.choice(companies)
            if other is company and len(companies) > 1:
                other = companies[(index + 1) % len(companies)]
            notes, topic = _notes(rng, industry=company.industry, source=source, other_company=other.name)
            drafts.append(_Draft(
                company=company,
                contact_name=f"{first} {last}",
                email=_contact_email(rng, first=first, last=last, company=company, used=used_emails),
                phone=_fill_digits(rng, rng.choice(company.city.phones)),
                job_title=title,
                seniority=seniority,
                source=source,
                age_days=rng.uniform(0.02, HISTORY_DAYS),
                notes=notes,
                topic=topic,
            ))
    return drafts


def _assign_owners(rng: random.Random, drafts: list[_Draft]) -> None:
    """Oldest first, so round-robin turns follow arrival order. Some fresh leads await routing."""
    picker = _OwnerPicker()
    for draft in drafts:
        if draft.age_days < 14 and rng.random() < 0.2:
            continue
        company = draft.company
        draft.owner = picker.pick(country=company.city.country, state=company.city.state,
                                  segment=company.segment, industry=company.industry, age_days=draft.age_days)


# Which channel brought a returning visitor to the site (a utm source), for last-touch attribution.
_VISIT_CHANNELS = ((Source.ORGANIC, 40.0), (Source.PAID, 20.0), (Source.WEBINAR, 10.0), (Source.OUTBOUND, 10.0),
                   (Source.REFERRAL, 8.0), (Source.PARTNER, 7.0), (Source.EVENT, 5.0))


def _tag_visit_channels(rng: random.Random, source: Source, activities: list[dict[str, Any]]) -> None:
    """Record on each page view the channel it came through: half the time the lead's own source."""
    for activity in activities:
        if activity["kind"] == ActivityKind.PAGE_VIEW.value:
            channel = source if rng.random() < 0.5 else _pick(rng, _VISIT_CHANNELS)
            activity["meta"] = {**(activity["meta"] or {}), "channel": channel.value}


def build_demo_dataset(*, seed: int = 7, now: datetime, n_leads: int = 2400) -> DemoDataset:
    """The demo sales team and its lead history up to `now`.

    Pure: the same seed and `now` give identical data, and every timestamp is an offset from
    `now`, so a later `now` shifts the same history forward.
    """
    if n_leads < 1:
        raise ValueError("n_leads must be at least 1")
    now = _check_now(now)
    rng = random.Random(seed)
    companies = _build_companies(rng, n_leads=n_leads)
    drafts = _draft_leads(rng, companies)
    drafts.sort(key=lambda d: -d.age_days)  # oldest first
    _assign_owners(rng, drafts)

    leads: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    need_topics: dict[str, str] = {}
    visits_rng = random.Random(f"visit-channels-{seed}")  # its own stream: the rest of the data stays as it was
    for number, draft in enumerate(drafts, start=1):
        external_id = f"DEMO-{number:06d}"
        row, lead_activities = _play_out(rng, draft, now=now)
        _tag_visit_channels(visits_rng, draft.source, lead_activities)
        row["external_id"] = external_id
        for activity in lead_activities:
            activity["lead_external_id"] = external_id
        leads.append(row)
        activities.extend(lead_activities)
        if draft.topic:
            need_topics[external_id] = draft.topic
    return DemoDataset(
        seed=seed, now=now, reps=_rep_rows(now=now), rep_time_off=_time_off_rows(now=now), leads=leads,
        activities=activities, need_topics=need_topics,
    )


def summarize_dataset(dataset: DemoDataset) -> SeedSummary:
    leads = dataset.leads
    return SeedSummary(
        leads=len(leads),
        reps=len(dataset.reps),
        activities=len(dataset.activities),
        industries=len({lead["industry"] for lead in leads}),
        cities=len({(lead["city"], lead["country"]) for lead in leads}),
        countries=len({lead["country"] for lead in leads}),
        converted=sum(1 for lead in leads if lead["converted"]),
    )


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


# Core table inserts, not ORM bulk inserts: the ORM drops None values row by row, which splits
# rows with different None patterns into many small batches (thousands of round trips).


def _insert_returning_ids(session: Session, model: type, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _insert_activities(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    # A None bound to a JSON column is stored as JSON 'null'; leaving `meta` out stores SQL NULL.
    with_meta: list[dict[str, Any]] = []
    without_meta: list[dict[str, Any]] = []
    for row in rows:
        if row["meta"] is None:
            without_meta.append({k: v for k, v in row.items() if k != "meta"})
        else:
            with_meta.append(row)
    for batch in (with_meta, without_meta):
        if batch:
            session.execute(insert(Activity.__table__), batch)


def _load(session: Session, dataset: DemoDataset) -> None:
    rep_ids = dict(zip((r["email"] for r in dataset.reps), _insert_returning_ids(session, Rep, dataset.reps)))
    time_off = [
        {"rep_id": rep_ids[p["rep_email"]], "starts_at": p["starts_at"], "ends_at": p["ends_at"], "reason": p["reason"]}
        for p in dataset.rep_time_off
    ]
    if time_off:
        session.execute(insert(RepTimeOff.__table__), time_off)

    lead_rows = []
    for lead in dataset.leads:
        row = {k: v for k, v in lead.items() if k != "owner_email"}
        row["owner_id"] = rep_ids[lead["owner_email"]] if lead["owner_email"] else None
        lead_rows.append(row)
    new_ids = _insert_returning_ids(session, Lead, lead_rows)
    lead_ids = dict(zip((lead["external_id"] for lead in dataset.leads), new_ids))

    _insert_activities(
        session,
        (
            {
                "lead_id": lead_ids[a["lead_external_id"]],
                "rep_id": rep_ids[a["rep_email"]] if a["rep_email"] else None,
                "kind": a["kind"],
                "direction": a["direction"],
                "occurred_at": a["occurred_at"],
                "detail": a["detail"],
                "meta": a["meta"],
            }
            for a in dataset.activities
        ),
    )


def load_demo_dataset(db: Database, *, dataset: DemoDataset) -> SeedSummary:
    """Insert the dataset in bulk, in one transaction. Does not check what is already stored."""
    with db.transaction() as session:
        _load(session, dataset)
    return summarize_dataset(dataset)


def _delete_all_rows(session: Session) -> None:
    """Empty every table of the store (children first), whichever module defined it."""
    tables = MetaData()
    tables.reflect(bind=session.connection())
    for table in reversed(tables.sorted_tables):
        if table.name != "alembic_version":
            session.execute(table.delete())


def seed_demo(db: Database, *, now: datetime, seed: int = 7, n_leads: int = 2400, reset: bool = False) -> SeedSummary:
    """Load the demo dataset into an empty store, or, with reset=True, into a store emptied first.

    Raises StoreNotEmptyError when the store holds leads or reps and reset is False.
    """
    dataset = build_demo_dataset(seed=seed, now=now, n_leads=n_leads)
    with db.transaction() as session:
        leads = session.scalar(select(func.count()).select_from(Lead)) or 0
        reps = session.scalar(select(func.count()).select_from(Rep)) or 0
        if leads or reps:
            if not reset:
                raise StoreNotEmptyError(leads=leads, reps=reps)
            _delete_all_rows(session)
        _load(session, dataset)
    return summarize_dataset(dataset)
