"""Offline enrichers: email, phone, domain, company name, job title, industry, place, size."""

from __future__ import annotations

import pytest

from leadpilot.tools.enrichment.company import normalise_company
from leadpilot.tools.enrichment.domain import normalise_domain
from leadpilot.tools.enrichment.email import check_email
from leadpilot.tools.enrichment.industry import classify_industry
from leadpilot.memory.job_titles import classify_title
from leadpilot.tools.enrichment.offline import enrich_lead_offline
from leadpilot.tools.enrichment.phone import parse_phone
from leadpilot.tools.enrichment.size import size_band


def test_free_mail_disposable_and_role_addresses_are_flagged() -> None:
    free = check_email(email="Jane.Doe@GMAIL.com")
    assert (free.valid_syntax, free.free_mail, free.corporate_domain) == (True, True, None)
    assert check_email(email="x@mailinator.com").disposable
    assert check_email(email="sales+eu@acme.com").role_address
    work = check_email(email="jane@acme.co.uk")
    assert (work.free_mail, work.role_address, work.corporate_domain) == (False, False, "acme.co.uk")
    assert not check_email(email="jane@@acme").valid_syntax


def test_national_phone_comes_out_e164_with_its_country() -> None:
    uk = parse_phone(phone="020 7946 0958", country="GB")
    assert (uk.e164, uk.country, uk.line_type, uk.time_zones) == ("+442079460958", "GB", "fixed_line", ("Europe/London",))
    us = parse_phone(phone="(415) 555-2671", country="US")
    assert (us.e164, us.country) == ("+14155552671", "US")
    assert parse_phone(phone="020 7946 0958") is None  # national format needs a country
    assert parse_phone(phone="not a phone", country="GB") is None


def test_domains_normalise_to_the_registrable_domain_offline() -> None:
    info = normalise_domain(text="HTTPS://www.Shop.Acme.co.uk/about")
    assert (info.domain, info.suffix, info.country) == ("acme.co.uk", "co.uk", "GB")
    assert normalise_domain(text="stripe.com").domain == "stripe.com"
    assert normalise_domain(text="jane@sub.example.io").country is None  # .io is used generically
    assert normalise_domain(text="localhost") is None


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [("ACME, INC.", "Acme", "acme"), ("Acme Incorporated", "Acme", "acme"), ("Müller GmbH & Co. KG", "Müller", "muller"), ("IBM", "IBM", "ibm")],
)
def test_company_names_normalise(raw: str, display: str, key: str) -> None:
    name = normalise_company(name=raw)
    assert (name.display, name.key) == (display, key)


@pytest.mark.parametrize(
    ("title", "seniority", "department"),
    [
        ("VP of Engineering", "vp", "engineering"),
        ("Vice President, Sales", "vp", "sales"),
        ("Chief Financial Officer", "c-level", "finance"),
        ("Co-Founder & CEO", "c-level", "executive"),
        ("Head of Marketing", "director", "marketing"),
        ("Director of IT", "director", "it"),
        ("Customer Success Manager", "manager", "customer success"),
        ("Senior Software Engineer", "individual", "engineering"),
    ],
)
def test_job_titles_map_to_seniority_and_department(title: str, seniority: str, department: str) -> None:
    facts = classify_title(title=title)
    assert (facts.seniority, facts.department) == (seniority, department)


def test_industry_from_a_description_explains_its_words() -> None:
    guess = classify_industry(text="We build payment APIs and checkout for online businesses.")
    assert guess.industry == "fintech" and "payment" in guess.words
    assert classify_industry(text="A family-run business.") is None


def test_size_bands() -> None:
    assert [size_band(employees=n) for n in (1, 11, 200, 201, 10001)] == ["1-10", "11-50", "51-200", "201-500", "10001+"]


def test_enrich_lead_offline_names_the_source_of_every_field() -> None:
    result = enrich_lead_offline({
        "email": "jane@gmail.com", "phone": "020 7946 0958", "country": "UK", "job_title": "VP of Engineering",
        "company": "ACME, Inc.", "company_size": "250", "description": "hospital software for patients and clinics",
    })
    fields = result.fields
    assert fields["email_free_mail"].value is True and fields["email_free_mail"].source == "offline:email"
    assert (fields["phone_e164"].value, fields["phone_country"].value) == ("+442079460958", "GB")
    assert (fields["seniority"].value, fields["department"].value) == ("vp", "engineering")
    assert fields["industry"].source == "offline:industry" and fields["industry"].value == "healthcare"
    assert (fields["time_zone"].value, fields["time_zone"].source) == ("Europe/London", "offline:location")
    assert (fields["size_band"].value, fields["segment"].value) == ("201-500", "mid-market")
    assert "domain" not in fields  # a free-mail address says nothing about the company


def test_country_and_time_zone_are_inferred_when_absent() -> None:
    from_city = enrich_lead_offline({"company": "Acme", "city": "Berlin"})
    assert (from_city.value("country"), from_city.value("time_zone")) == ("DE", "Europe/Berlin")
    from_phone = enrich_lead_offline({"email": "bob@acme.com", "phone": "+1 415 555 2671"})
    assert from_phone.value("country") == "US" and from_phone.fields["country"].why == "from the phone"
    from_domain = enrich_lead_offline({"email": "bob@firma.de"})
    assert from_domain.value("country") == "DE" and from_domain.fields["country"].confidence < 0.9
