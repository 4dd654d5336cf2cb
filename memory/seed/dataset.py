"""Building the demo dataset: a realistic, deterministic sales team with 180 days of lead history.

`build_demo_dataset` is pure: the same seed and the same `now` give identical data, and every
timestamp is an offset from `now`. Rows are store-ready column values, except that they refer to
each other by natural keys (see the package docstring).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from leadpilot.memory.seed.companies import _build_companies, _Company
from leadpilot.memory.seed.helpers import HISTORY_DAYS, _check_now, _fill_digits, _pick
from leadpilot.memory.seed.lead_life import _SOURCE_WEIGHTS, _Draft, _play_out
from leadpilot.memory.seed.notes import _notes
from leadpilot.memory.seed.people import _NAME_MIX, _NAMES, _contact_email, _job_title
from leadpilot.memory.seed.reps import _OwnerPicker, _rep_rows, _time_off_rows
from leadpilot.memory.vocab import ActivityKind, Source


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
