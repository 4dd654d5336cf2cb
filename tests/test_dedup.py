"""Dedup and lead-to-account matching on both databases; import with company spelling variants."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from leadpilot.memory.leads import count_leads, set_stage
from leadpilot.memory.models import Activity, AuditEvent, Lead
from leadpilot.tools.leads.dedup import find_duplicates, match_account, merge_leads
from leadpilot.tools.enrichment.lookup import enrich_target, find_duplicates_of
from leadpilot.tools.leads.importer import import_leads_csv

from conftest import NOW


def _import(db, tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return import_leads_csv(db, path=path, now=NOW)


def test_same_people_under_different_company_spellings_are_not_duplicated(db, tmp_path: Path) -> None:
    _import(db, tmp_path, "a.csv", "company,contact_name,email,phone\nAcme Inc,Jane Doe,,+1 415 555 2671\nGlobex Corporation,Gil Bates,gil@globex.com,\nStark Industries,Tony Stark,,\n")
    report = _import(db, tmp_path, "b.csv", "company,contact_name,email,job_title\n\"ACME, Inc.\",jane doe,,CTO\nGlobex Corp,Gil Bates,GIL@globex.com,CFO\nThe Stark Industries Company,Tony  Stark,,CEO\n")
    assert (report.inserted, report.updated) == (0, 3)
    with db.transaction() as session:
        assert count_leads(session) == 3
        jane = session.scalars(select(Lead).where(Lead.phone.is_not(None))).one()
        assert (jane.job_title, jane.phone) == ("CTO", "+1 415 555 2671")


def test_fuzzy_and_exact_matches_say_which_fields_matched(db, tmp_path: Path) -> None:
    _import(db, tmp_path, "a.csv", "company,contact_name,email,phone,website,country\n"
            "Acme Inc,Jane Doe,jane@acme.com,020 7946 0958,acme.com,GB\n"
            "Acme Incorporated,Jane Doe,jane.doe@acme.com,+44 20 7946 0958,,GB\n"
            "Acmee Ltd,Bob Roe,bob@gmail.com,,,\n"
            "Initech,Peter Gibbons,peter@initech.com,,,\n")
    with db.transaction() as session:
        first = session.scalars(select(Lead).where(Lead.email == "jane@acme.com")).one()
        matches = find_duplicates(session, lead_id=first.id)
        assert [m.email for m in matches][:2] == ["jane.doe@acme.com", "bob@gmail.com"]
        same_person = matches[0]
        assert same_person.relation == "same_person" and {"phone", "company", "domain", "contact_at_company"} <= set(same_person.matched)
        assert same_person.confidence > 0.95
        assert matches[1].matched == ["company_fuzzy"] and matches[1].relation == "same_account"
        assert find_duplicates(session, email="JANE@acme.com")[0].matched[0] == "email"
        assert not [m for m in find_duplicates(session, company="Initech") if m.company != "Initech"]


def test_known_company_domain_maps_to_its_account_and_customers_are_recognised(db, tmp_path: Path) -> None:
    _import(db, tmp_path, "a.csv", "company,contact_name,email,website,stage\nStripe,Pat Lee,pat@stripe.com,https://www.stripe.com,Customer\nHooli,Gavin B,gavin@hooli.com,,Lead\n")
    with db.transaction() as session:
        account = match_account(session, domain="stripe.com")
        assert account.is_customer and account.company == "Stripe" and "domain" in account.matched
        assert match_account(session, email="newperson@hooli.com").is_customer is False
        assert match_account(session, domain="unknown.example") is None
    enriched = enrich_target(db, target="stripe.com", now=NOW)
    assert enriched["fields"]["existing_customer"]["value"] is True
    assert enriched["fields"]["account_lead_id"]["source"] == "store:account"
    assert find_duplicates_of(db, query="Stripe Inc")["matches"][0]["is_customer"] is True


def test_merge_dry_run_proposes_then_merge_moves_history(db, tmp_path: Path) -> None:
    _import(db, tmp_path, "a.csv", "external_id,company,contact_name,email,phone,job_title\nA-1,Acme,Jane Doe,jane@acme.com,,CTO\nB-1,Acme Inc,Jane Doe,,+1 415 555 2671,Chief Technology Officer\n")
    with db.transaction() as session:
        keep, other = session.scalars(select(Lead).order_by(Lead.id)).all()
        session.add(Activity(lead_id=other.id, kind="call", direction="outbound", occurred_at=NOW))
        keep_id, other_id = keep.id, other.id
    with db.transaction() as session:
        proposal = merge_leads(session, keep_id=keep_id, merge_id=other_id, now=NOW)  # dry run by default
        assert not proposal.applied and proposal.fills == {"phone": "+1 415 555 2671"}
        assert proposal.conflicts["job_title"] == ("CTO", "Chief Technology Officer") and proposal.moved == {"activities": 1}
        assert count_leads(session) == 2
    with db.transaction() as session:
        assert merge_leads(session, keep_id=keep_id, merge_id=other_id, now=NOW, dry_run=False).applied
    with db.transaction() as session:
        kept = session.get(Lead, keep_id)
        assert count_leads(session) == 1 and kept.phone == "+1 415 555 2671" and len(kept.activities) == 1
        assert kept.extra["merged_from"][0]["discarded"]["job_title"] == "Chief Technology Officer"
        assert session.scalars(select(AuditEvent.field).where(AuditEvent.lead_id == keep_id)).all() == ["merged"]


def test_a_crowded_domain_gives_the_same_matches_as_reading_every_candidate(db, tmp_path: Path, monkeypatch) -> None:
    """300 leads share a domain and look-alike names: the capped candidate set (dedup.CANDIDATE_CAP)
    must rank exactly like scoring all of them, the customer and the same person included."""
    from leadpilot.tools.leads import dedup

    rows = [f"Bigco {i} Labs,Alex Worker{i},a{i}@bigco.com,{'CUSTOMER' if i == 250 else 'LEAD'}" for i in range(300)]
    rows[280] = "Bigco 280 Labs,Pat Probe,pat.old@bigco.com,LEAD"
    _import(db, tmp_path, "crowd.csv", "company,contact_name,email,stage\n" + "\n".join(rows) + "\n")
    probe = dedup.probe_for(company="Bigco 7 Labs", email="pat@bigco.com", contact_name="Pat Probe")
    with db.session() as session:
        capped = [m.as_dict() for m in dedup.find_matches(session, probe=probe, limit=20)]
        account = match_account(session, domain="bigco.com")
        monkeypatch.setattr(dedup, "CANDIDATE_CAP", 10_000)
        assert capped == [m.as_dict() for m in dedup.find_matches(session, probe=probe, limit=20)]
        assert account == match_account(session, domain="bigco.com")
    assert len(capped) == 20 and capped[0]["contact_name"] == "Pat Probe" and "contact_at_company" in capped[0]["matched"]
    assert capped[1]["company"] == "Bigco 7 Labs"
    assert account.is_customer and len(account.customer_lead_ids) == 1
