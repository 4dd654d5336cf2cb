"""Providers over real HTTP against loopback fakes of each vendor, and the waterfall around them."""

from __future__ import annotations

import pytest

from leadpilot.memory.enrichment_cache import EnrichmentCacheEntry
from leadpilot.tools.enrichment.providers.apollo import ApolloProvider
from leadpilot.tools.enrichment.providers.base import HttpPolicy, LookupQuery, ProviderFailure
from leadpilot.tools.enrichment.providers.clearbit import ClearbitProvider
from leadpilot.tools.enrichment.providers.companies_house import CompaniesHouseProvider
from leadpilot.tools.enrichment.providers.hunter import HunterProvider
from leadpilot.tools.enrichment.providers.waterfall import CircuitBreaker, CreditBudget, Waterfall

from conftest import NOW
from vendor_stub import (
    Reply, VendorStub, apollo_organization, apollo_person, clearbit_company, companies_house_search, hunter_finder, hunter_verifier,
)

STRIPE = LookupQuery(domain="stripe.com", company="Stripe")


def _policy(sleeps: list[float] | None = None, timeout_s: float = 0.3) -> HttpPolicy:
    return HttpPolicy(timeout_s=timeout_s, retries=2, backoff_s=0.01, sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_two_providers_first_times_out_second_answers_within_budget_and_cache_serves_repeat(sqlite_db) -> None:
    slow = VendorStub({("GET", "/v2/companies/find"): lambda r: Reply(200, clearbit_company(), delay_s=1.0)})
    apollo = VendorStub({("GET", "/api/v1/organizations/enrich"): lambda r: Reply(200, apollo_organization())})
    with slow, apollo:
        waterfall = Waterfall(providers={
            "clearbit": ClearbitProvider(api_key="cb", company_url=slow.url, policy=_policy()),
            "apollo": ApolloProvider(api_key="ap", base_url=apollo.url, policy=_policy()),
        }, order={"company": ("clearbit", "apollo")})
        budget = CreditBudget(cap=2.0)
        with sqlite_db.transaction() as session:
            plan = waterfall.estimate(session, kind="company", query=STRIPE, now=NOW)
            assert [(s.provider, s.cost, s.cached) for s in plan] == [("clearbit", 1.0, False), ("apollo", 1.0, False)]
            result = waterfall.lookup(session, kind="company", query=STRIPE, budget=budget, now=NOW)
        assert result.fields["company_name"].value == "Stripe" and result.fields["company_name"].source == "provider:apollo"
        assert [a["outcome"] for a in result.attempts] == ["timeout", "hit"]
        assert budget.spent == 1.0 <= budget.cap  # the timed-out call is not charged
        assert apollo.requests[0]["headers"]["X-Api-Key"] == "ap"

        with sqlite_db.transaction() as session:
            again = waterfall.lookup(session, kind="company", query=STRIPE, budget=budget, now=NOW)
            assert all(s.cost == 0 for s in waterfall.estimate(session, kind="company", query=STRIPE, now=NOW) if s.provider == "apollo")
        assert again.fields["company_name"].source == "provider:apollo"
        assert [a["outcome"] for a in again.attempts] == ["timeout", "cache_hit"]
        assert apollo.count("/api/v1/organizations/enrich") == 1 and budget.spent == 1.0


def test_429_retry_after_is_honoured(sqlite_db) -> None:
    calls = []

    def route(request):
        calls.append(request)
        return Reply(429, {"errors": [{"id": "too_many_requests", "code": 429}]}, headers={"Retry-After": "2"}) if len(calls) == 1 else Reply(200, hunter_verifier("jane@stripe.com"))

    sleeps: list[float] = []
    with VendorStub({("GET", "/v2/email-verifier"): route}) as hunter:
        provider = HunterProvider(api_key="hk", base_url=hunter.url, policy=_policy(sleeps))
        answer = provider.lookup("email_verify", LookupQuery(email="jane@stripe.com"))
    assert answer.fields["email_status"] == "valid" and sleeps == [2.0] and len(calls) == 2
    assert calls[1]["query"]["api_key"] == "hk"


@pytest.mark.parametrize(
    ("reply", "failure"),
    [
        (Reply(503, {"error": "unavailable"}), "server_error"),
        (Reply(200, "<html>oops</html>"), "malformed"),
        (Reply(200, {"unexpected": True}), "malformed"),
        (Reply(401, {"errors": [{"id": "authentication_failed"}]}), "auth"),
        (Reply(429, {}, headers={"Retry-After": "3600"}), "rate_limited"),
    ],
)
def test_vendor_misbehaviour_becomes_a_typed_failure(reply: Reply, failure: str) -> None:
    with VendorStub({("GET", "/v2/email-verifier"): lambda r: reply}) as hunter:
        provider = HunterProvider(api_key="hk", base_url=hunter.url, policy=_policy())
        with pytest.raises(ProviderFailure) as caught:
            provider.lookup("email_verify", LookupQuery(email="jane@stripe.com"))
    assert caught.value.kind == failure


def test_empty_matches_are_misses_not_failures_and_are_cached(sqlite_db) -> None:
    routes = {
        ("GET", "/v2/companies/find"): lambda r: Reply(404, {"error": {"type": "unknown_record", "message": "Unknown domain"}}),
        ("POST", "/api/v1/people/match"): lambda r: Reply(200, {"person": None}),
        ("GET", "/v2/email-finder"): lambda r: Reply(200, hunter_finder(None)),
        ("GET", "/search/companies"): lambda r: Reply(200, companies_house_search("SOMETHING ELSE LTD")),
    }
    with VendorStub(routes) as stub:
        q = LookupQuery(domain="nobody.example", company="Nobody", email="x@nobody.example", first_name="X", last_name="Y")
        assert ClearbitProvider(api_key="k", company_url=stub.url, policy=_policy()).lookup("company", q) is None
        assert ApolloProvider(api_key="k", base_url=stub.url, policy=_policy()).lookup("person", q) is None
        assert HunterProvider(api_key="k", base_url=stub.url, policy=_policy()).lookup("email_find", q) is None
        assert CompaniesHouseProvider(api_key="k", base_url=stub.url, policy=_policy()).lookup("company", q) is None
        waterfall = Waterfall(providers={"clearbit": ClearbitProvider(api_key="k", company_url=stub.url, policy=_policy())}, order={"company": ("clearbit",)})
        with sqlite_db.transaction() as session:
            waterfall.lookup(session, kind="company", query=q, budget=CreditBudget(cap=1), now=NOW)
            again = waterfall.lookup(session, kind="company", query=q, budget=CreditBudget(cap=1), now=NOW)
            assert [a["outcome"] for a in again.attempts] == ["cache_miss"]
            assert session.query(EnrichmentCacheEntry).one().found is False
    assert stub.count("/v2/companies/find") == 2  # one direct, one through the waterfall


def test_vendor_formats_parse_into_our_fields() -> None:
    routes = {
        ("GET", "/v2/companies/find"): lambda r: Reply(200, clearbit_company()),
        ("POST", "/api/v1/people/match"): lambda r: Reply(200, apollo_person()),
        ("GET", "/v2/email-finder"): lambda r: Reply(200, hunter_finder("jane@stripe.com")),
        ("GET", "/search/companies"): lambda r: Reply(200, companies_house_search()),
    }
    with VendorStub(routes) as stub:
        q = LookupQuery(domain="stripe.com", company="Stripe Payments UK Limited", email="jane@stripe.com", first_name="Jane", last_name="Doe")
        company = ClearbitProvider(api_key="k", company_url=stub.url, policy=_policy()).lookup("company", q).fields
        assert (company["company_size"], company["country"], company["time_zone"]) == (7000, "US", "America/Los_Angeles")
        person = ApolloProvider(api_key="k", base_url=stub.url, policy=_policy()).lookup("person", q).fields
        assert (person["job_title"], person["seniority"], person["department"]) == ("VP of Engineering", "vp", "engineering")
        assert HunterProvider(api_key="k", base_url=stub.url, policy=_policy()).lookup("email_find", q).fields["email"] == "jane@stripe.com"
        uk = CompaniesHouseProvider(api_key="k", base_url=stub.url, policy=_policy()).lookup("company", q).fields
        assert (uk["company_number"], uk["city"]) == ("08480524", "London")
    assert stub.requests[0]["headers"]["Authorization"] == "Bearer k"
    assert stub.requests[1]["json"]["email"] == "jane@stripe.com"
    assert stub.requests[3]["headers"]["Authorization"].startswith("Basic ")  # Companies House: key as basic-auth user


def test_budget_cap_stops_spending_and_breaker_opens_after_repeated_failures(sqlite_db) -> None:
    with VendorStub({("GET", "/v2/companies/find"): lambda r: Reply(500, {})}) as stub:
        clearbit = ClearbitProvider(api_key="k", company_url=stub.url, policy=HttpPolicy(timeout_s=0.5, retries=0, sleep=lambda s: None))
        ticks = [0.0]
        waterfall = Waterfall(providers={"clearbit": clearbit}, order={"company": ("clearbit",)},
                              breakers={"clearbit": CircuitBreaker(threshold=2, cooldown_s=60, clock=lambda: ticks[0])})
        with sqlite_db.transaction() as session:
            skipped = waterfall.lookup(session, kind="company", query=STRIPE, budget=CreditBudget(cap=0.5), now=NOW)
            assert skipped.attempts[0]["outcome"] == "skipped_budget" and stub.requests == []
            outcomes = [waterfall.lookup(session, kind="company", query=LookupQuery(domain=f"d{i}.com"), budget=CreditBudget(cap=5), now=NOW).attempts[0]["outcome"] for i in range(3)]
            assert outcomes == ["server_error", "server_error", "circuit_open"]
            ticks[0] = 61.0  # cooldown over: one trial call goes through
            assert waterfall.lookup(session, kind="company", query=LookupQuery(domain="d9.com"), budget=CreditBudget(cap=5), now=NOW).attempts[0]["outcome"] == "server_error"
    assert len(stub.requests) == 3
