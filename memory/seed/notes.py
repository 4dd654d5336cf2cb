"""Lead notes: what each lead needs, in varied wording, for semantic search to find later.

`_notes` also returns the need topic ("fintech/card-issuing"), the label the search evals grade by.
"""

from __future__ import annotations

import random

from leadpilot.memory.vocab import Source

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
