"""The template summary: the facts worded with the summary template, one bullet per part
(who, the company, why now, the score, similar past accounts, the owner, the next step).
Deterministic and offline.
"""

from __future__ import annotations

from leadpilot.tools.pipeline.summary_facts import SummaryFacts
from leadpilot.tools.pipeline.summary_template import SummaryTemplate

SIMILAR_NAMED = 3  # of the similar closed accounts counted, the closest three are named


def _sentences(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


def _who(f: SummaryFacts, t: SummaryTemplate) -> str:
    c = f.contact
    contact = c.name or c.email or "Unnamed contact"
    level = " in ".join(part for part in (c.seniority, c.department) if part)
    reach = ", ".join(part for part in (c.email, c.phone) if part)
    return _sentences(
        t.say("who", contact=contact, title=c.title) if c.title else t.say("who.no_title", contact=contact),
        t.say("who.level", level=level) if level else None,
        t.say("who.reach", reach=reach) if reach else t.say("who.no_reach"),
    )


def _company_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    c = f.company
    size = None
    if c.employees is not None:
        size = f"{c.employees:,} employees" + (f" ({c.segment})" if c.segment else "")
    profile = ", ".join(part for part in (c.industry, size, c.location, c.website) if part)
    name = c.name or "Unnamed company"
    account = None
    if c.account_lead_id is not None:
        account = t.say("company.customer" if c.existing_customer else "company.account", account_lead_id=c.account_lead_id)
    return _sentences(
        t.say("company", company=name, profile=profile) if profile else t.say("company.bare", company=name),
        t.say("company.description", description=c.description) if c.description else None,
        account,
    )


def _why_now_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    w = f.why_now
    activity = None
    if w.recent_activity:
        parts = []
        for key, count in w.recent_activity.items():
            forms = f" ({', '.join(w.form_names)})" if key == "form_submit" and w.form_names else ""
            parts.append(t.count(key, count) + forms)
        last = w.latest_activity
        latest = f"{t.singular(last.kind)}{f' ({last.detail})' if last.detail else ''} {last.when}" if last else ""
        activity = t.say("why_now.activity", days=w.window_days, activity=", ".join(parts), latest=latest)
    return _sentences(
        t.say("why_now", source=w.source, created=w.created),
        activity or t.say("why_now.quiet", days=w.window_days),
        t.say("why_now.contacted", contacted=w.last_contacted) if w.last_contacted else t.say("why_now.never_contacted"),
        t.say("why_now.notes", notes=w.notes) if w.notes else None,
    )


def _score_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    s = f.score
    if s.score is None:
        return t.say("score.unscored")
    if s.axes is not None:  # fit × engagement: the grid cell picked the tier
        head = t.say("score.grid", score=s.score, cap=s.cap, tier=s.tier or "no tier", axes=s.axes)
    elif s.hot_from is None or s.warm_from is None:  # a score from outside the policy (e.g. imported)
        head = t.say("score.no_tiers", score=s.score, cap=s.cap, tier=s.tier or "no tier")
    else:
        head = t.say("score", score=s.score, cap=s.cap, tier=s.tier, hot=s.hot_from, warm=s.warm_from)
    return _sentences(
        head,
        t.say("score.reasons", reasons="; ".join(s.top_reasons)) if s.top_reasons else None,
        t.say("score.story", story=s.story[0].upper() + s.story[1:]) if s.story else None,
    )


def _similar_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    s = f.similar_accounts
    if s.status == "unavailable":
        return t.say("similar.unavailable", why=s.why or "the semantic index is unavailable")
    if s.status == "none":
        return t.say("similar.none", indexed=f"{s.indexed:,}")
    named = ", ".join(list(dict.fromkeys(f"{a.company} {a.outcome}" for a in s.accounts))[:SIMILAR_NAMED])
    return t.say("similar", won=s.won, total=s.won + s.lost, accounts=named)


def _owner_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    o = f.owner
    if o.status == "routed":
        return t.say("owner", owner=f"{o.name} ({o.email})", rule=o.rule, at=o.routed_at, reason=o.reason)
    if o.status == "queue":
        return t.say("owner.queue", queue=o.queue, rule=o.rule, at=o.routed_at, reason=o.reason)
    if o.status == "manual":
        return t.say("owner.manual", owner=f"{o.name} ({o.email})")
    return t.say("owner.unassigned")


def _next_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    n = f.next_step
    contact = f.contact.name or "them"
    if n.tier == "hot":
        if n.time_zone is None:
            step = t.say("next.hot.no_zone", contact=contact)
        elif n.in_business_hours:
            step = t.say("next.hot.in_hours", contact=contact, local_time=n.local_time, zone=n.time_zone)
        else:
            step = t.say("next.hot.after_hours", contact=contact, next_open=n.next_business_open, zone=n.time_zone,
                         local_time=n.local_time)
        step = _sentences(step, None if n.has_phone else t.say("next.hot.no_phone"))
    elif n.tier == "warm":
        step = t.say("next.warm", contact=contact, hook=n.hook)
    elif n.tier == "cold":
        step = t.say("next.cold", contact=contact)
    else:
        step = t.say("next.unscored")
    c = n.conversion
    return _sentences(step, t.say("next.probability", model=c.model, probability=c.probability, priority=c.priority,
                                  confidence=c.confidence) if c else None)


def render_template(facts: SummaryFacts, *, template: SummaryTemplate) -> list[str]:
    """The deterministic summary: one bullet per part (7 bullets)."""
    parts = (_who, _company_bullet, _why_now_bullet, _score_bullet, _similar_bullet, _owner_bullet, _next_bullet)
    return [part(facts, template) for part in parts]
