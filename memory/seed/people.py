"""Demo contacts: names by country, job titles by seniority and function, and email addresses."""

from __future__ import annotations

import random

from leadpilot.memory.seed.companies import _Company
from leadpilot.memory.seed.helpers import _ascii_slug


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


_FREE_MAIL = ("gmail.com", "gmail.com", "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me")
_FREE_MAIL_LOCAL = {"DE": ("gmx.de", "web.de"), "GB": ("yahoo.co.uk",)}


# ---------------------------------------------------------------------------------------------
# Titles and email addresses
# ---------------------------------------------------------------------------------------------


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
