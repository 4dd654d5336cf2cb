"""The routing decision itself: pure functions over plain facts, no database, no clock.

`decide` takes a lead, its account owner (if any), a snapshot of the roster and its workload, the
policy and `now`, and returns a `RoutingDecision` that explains itself: the rule that matched,
every candidate with why it was excluded or how it scored, and why the winner won. Nothing here
mutates the snapshot; `RoutingSnapshot.record` applies a decision when routing a batch.

Order of a decision: account match (sticky owner) -> the first rule that matches the lead and has
an available candidate -> the fallback. Within a rule, hard constraints exclude candidates, then
preferences narrow the rest (each only when someone meets it), then the pool's strategy chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from leadpilot.memory.vocab import industry_label
from leadpilot.tools.routing.backups import nobody_text, ordinal
from leadpilot.tools.routing.decision import (
    ACCOUNT_RULE,
    FALLBACK_RULE,
    PointerMove,
    RoutingDecision,
    RuleCheck,
    Verdict,
)
from leadpilot.tools.routing.facts import AccountOwner, LeadFacts, RepFacts, RoutingSnapshot, TimeOff, Workload
from leadpilot.tools.routing.policy import PolicyChange, RoutingPolicy
from leadpilot.tools.routing.fairness import fairness, gini  # noqa: F401 (re-exported)
from leadpilot.tools.routing.matching import match_rule
from leadpilot.tools.routing.policy_outcomes import FALLBACK
from leadpilot.tools.routing.policy_sections import Constraints, Performance, Pool, Rule
from leadpilot.tools.routing.pool_members import (  # noqa: F401 (integer_weights, weighted_cycle re-exported)
    integer_weights,
    match_memo,
    rotation,
    rule_members,
    weighted_cycle,
)
from leadpilot.tools.routing.sticky import account_owners
from leadpilot.tools.routing.ties import rank_least_loaded, tie_text
from leadpilot.tools.routing.today import TODAY_STRATEGIES, choose_today


# ---------------------------------------------------------------------------------------------
# Candidates and constraints


@lru_cache(maxsize=256)
def _lang(code: str) -> str:
    try:
        import pycountry

        found = pycountry.languages.get(alpha_2=code)
        return found.name if found else code
    except Exception:  # a name is nicer, the code will do
        return code


def _time_off_text(period: TimeOff, rep: RepFacts) -> str:
    ends = rep.local(period.ends_at)
    why = f"{period.reason}; " if period.reason else ""
    return f"out of office until {ends.strftime('%a %d %b %H:%M')} {rep.timezone} ({why}{period.origin})"


def _hours_text(rep: RepFacts, now: datetime) -> str:
    hours = rep.working_hours
    origin = "" if hours is None or hours.origin == "roster" else f"; {hours.origin}"
    return f"off shift: {rep.local_text(now)} (works {hours.describe() if hours else 'any time'}{origin})"


def hard_blocks(rep: RepFacts, *, lead: LeadFacts, constraints: Constraints, workload: Workload, now: datetime,
                barred: Mapping[int, str] | None = None, counts: tuple[int, int] | None = None) -> list[tuple[str, str]]:
    """(code, reason) for each constraint that rules the rep out now. `counts`: the rep's open leads
    and new leads today, when the caller has them already."""
    blocks: list[tuple[str, str]] = []
    if barred and rep.id in barred:
        blocks.append(("sla_missed", barred[rep.id]))
    if not rep.active:
        blocks.append(("inactive", "inactive rep"))
    period = rep.out_of_office(now) if rep.time_off else None
    if period is not None:
        blocks.append(("out_of_office", _time_off_text(period, rep)))
    if constraints.capacity:
        open_count = counts[0] if counts is not None else workload.open(rep.id)
        if open_count >= rep.max_open_leads:
            blocks.append(("at_capacity", f"at capacity: {open_count} open leads, max {rep.max_open_leads} ({rep.origins.get('max_open_leads', 'roster')})"))
    if constraints.daily_cap:
        today = counts[1] if counts is not None else workload.today(rep, now)
        if today >= rep.max_new_per_day:
            blocks.append(("daily_cap", f"daily cap reached: {today} new leads today, max {rep.max_new_per_day} ({rep.origins.get('max_new_per_day', 'roster')})"))
    if constraints.language == "required" and lead.language and lead.language not in rep.languages:
        blocks.append(("language", f"does not speak {_lang(lead.language)} (language required)"))
    if constraints.working_hours == "required" and not rep.on_shift(now):
        blocks.append(("after_hours", _hours_text(rep, now) + " — this rule needs someone on shift"))
    return blocks


@dataclass(slots=True)
class _Candidate:
    rep: RepFacts
    weight: float
    index: int  # position in the pool's member list
    verdict: Verdict


def _prefer(
    eligible: list[_Candidate], *, keep: Callable[[_Candidate], bool], code: str, reason: Callable[[_Candidate], str],
    waived: str, notes: list[str],
) -> list[_Candidate]:
    """Narrow to the candidates meeting a preference, when at least one does; else note it was waived."""
    kept = [c for c in eligible if keep(c)]
    if not kept:
        if len(eligible) > 1:
            notes.append(waived)
        return eligible
    kept_ids = {id(c) for c in kept}
    for candidate in eligible:
        if id(candidate) not in kept_ids:
            candidate.verdict.exclude([code], [reason(candidate)])
    return kept


@dataclass
class _Choice:
    candidate: _Candidate
    reason: str
    pointer: PointerMove | None = None


def _fmt_pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _choose(
    strategy: str | None, pool_name: str | None, pool: Pool | None, eligible: list[_Candidate], *,
    lead: LeadFacts, snapshot: RoutingSnapshot, now: datetime, members: list[RepFacts | None],
) -> _Choice:
    workload = snapshot.workload
    if strategy is None:  # a rule naming one rep
        only = eligible[0]
        return _Choice(only, f"the rule sends these leads to {only.rep.name}, who is available "
                              f"({workload.open(only.rep.id)} of {only.rep.max_open_leads} open leads, {only.rep.local_text(now)})")
    open_count = workload.open_leads.get
    for candidate in eligible:
        candidate.verdict.scored(open_leads=open_count(candidate.rep.id, 0), weight=candidate.weight)
    if strategy in TODAY_STRATEGIES:
        return _Choice(*choose_today(strategy, pool_name, pool, eligible, members=members, snapshot=snapshot, now=now))
    if strategy == "least_loaded":
        for c in eligible:
            c.verdict.note = f"{open_count(c.rep.id, 0)} open leads"
        ties = pool.ties if pool else None
        ranked = rank_least_loaded(eligible, rep=lambda c: c.rep, order=lambda c: c.index, snapshot=snapshot, now=now, ties=ties)
        best = ranked[0]
        others = ", ".join(f"{c.rep.name} {open_count(c.rep.id, 0)}" for c in ranked[1:])
        first = "first on the roster" if pool is None or not pool.members else f"listed first in pool {pool_name}"
        tied = tie_text([c.rep for c in ranked], snapshot=snapshot, now=now, first=first, ties=ties)
        return _Choice(best, f"fewest open leads: {best.rep.name} has {workload.open(best.rep.id)}"
                             + (f" (others: {others})" if others else "") + tied)
    if strategy == "performance_weighted":
        settings = pool.performance if pool and pool.performance else Performance()
        scores = {}
        for c in eligible:
            conversion = snapshot.performance.conversion(c.rep.id, lead, settings, now)
            scores[c.rep.id] = conversion
            c.verdict.note = f"{_fmt_pct(conversion.score)} expected conversion on {conversion.similar} ({conversion.won} won of {conversion.closed} closed)"
            c.verdict.scored(conversion=round(conversion.score, 4), won=conversion.won, closed=conversion.closed)
        ranked = sorted(eligible, key=lambda c: (-round(scores[c.rep.id].score, 6), workload.open(c.rep.id), c.index))
        best = ranked[0]
        best_conv = scores[best.rep.id]
        runner = f"; next {ranked[1].rep.name} {_fmt_pct(scores[ranked[1].rep.id].score)}" if len(ranked) > 1 else ""
        return _Choice(best, f"best conversion on similar leads ({best_conv.similar}): {best.rep.name} "
                             f"{_fmt_pct(best_conv.score)} ({best_conv.won} won of {best_conv.closed}, blended with the team's "
                             f"{_fmt_pct(best_conv.team_rate)} over {settings.prior_strength} leads){runner}")
    assert pool_name is not None and pool is not None
    pointer = snapshot.pointer(pool_name)
    eligible_ids = {c.rep.id: c for c in eligible}
    ids, weights, cycle, shares = rotation(pool, members, snapshot)
    if strategy == "round_robin":
        start = ids.index(pointer.last_rep_id) + 1 if pointer.last_rep_id in ids else pointer.position
        order = [(start + step) % len(ids) for step in range(len(ids))]
        for c in eligible:
            c.verdict.note = f"turn {order.index(c.index) + 1} in the rotation"
        chosen_index = next(i for i in order if ids[i] in eligible_ids)
        best = eligible_ids[ids[chosen_index]]
        skipped = [members[i].name for i in order[: order.index(chosen_index)] if members[i] is not None]
        last = snapshot.by_id.get(pointer.last_rep_id) if pointer.last_rep_id is not None else None
        lead_in = f"{last.name} had the last lead, so " if last and pointer.last_rep_id in ids else ""
        skip_text = f" ({', '.join(skipped)} skipped: not available)" if skipped else ""
        reason = f"round robin in pool {pool_name}: {lead_in}it is {best.rep.name}'s turn{skip_text}"
        return _Choice(best, reason, PointerMove(pool_name, (chosen_index + 1) % len(ids), best.rep.id))
    # weighted: a smooth weighted round robin over a fixed cycle, with a persistent position
    if not cycle:
        best = eligible[0]
        return _Choice(best, f"every weight in pool {pool_name} is 0; took the first available member")
    position = pointer.position % len(cycle)
    walk = [(position + step) % len(cycle) for step in range(len(cycle))]
    turns: dict[int, int] = {}  # member index -> how many steps until its first turn
    for n, slot in enumerate(walk):
        turns.setdefault(cycle[slot], n)
    for c in eligible:
        first = turns.get(c.index)
        c.verdict.note = f"weight {c.weight:g}" + (f", next turn in {first + 1}" if first is not None else ", no turn (weight 0)")
    slot = next((s for s in walk if members[cycle[s]] is not None and members[cycle[s]].id in eligible_ids), None)
    if slot is None:
        best = min(eligible, key=lambda c: c.index)
        return _Choice(best, f"no available member has a turn in pool {pool_name}; took the first available member")
    best = eligible_ids[members[cycle[slot]].id]
    skipped = [members[cycle[s]].name for s in walk[: walk.index(slot)] if members[cycle[s]] is not None]
    skip_text = f" ({', '.join(dict.fromkeys(skipped))} skipped: not available)" if skipped else ""
    reason = (f"weighted round robin in pool {pool_name} (weights{' from capacity:' if pool.weights else ''} {shares}): position {position + 1} of a "
              f"{len(cycle)}-lead cycle is {best.rep.name}'s turn{skip_text}")
    return _Choice(best, reason, PointerMove(pool_name, (slot + 1) % len(cycle), best.rep.id))


def _try_rule(
    rule: Rule, *, lead: LeadFacts, snapshot: RoutingSnapshot, policy: RoutingPolicy, now: datetime,
    verdicts: list[Verdict], notes: list[str],
) -> tuple[_Choice | None, str, Pool | None, str]:
    """Run one matching rule: (the choice or None, outcome text, pool, the rule's notes)."""
    constraints = policy.rule_constraints(rule)
    pool, members, emails, weights, unmatched, pool_note = rule_members(rule, snapshot=snapshot, policy=policy)
    if pool_note:
        notes.append(pool_note)
    candidates: list[_Candidate] = []
    workload = snapshot.workload
    open_leads, barred, name = workload.open_leads, snapshot.barred, rule.name
    for index, rep in enumerate(members):
        if rep is None:
            email = emails[index]
            verdicts.append(Verdict(email, email, name, "excluded", [f"{email} is not in the roster — fix the policy or add the rep"], ["unknown_rep"]))
            continue
        verdict = Verdict(rep.email, rep.name, name, "eligible")
        verdicts.append(verdict)
        weight = weights[index]
        counts = (open_leads.get(rep.id, 0), workload.today(rep, now))
        blocks = hard_blocks(rep, lead=lead, constraints=constraints, workload=workload, now=now, barred=barred, counts=counts)
        if unmatched[index]:
            blocks.append(("where", f"pool {rule.route_to.pool} takes only reps with {unmatched[index]}"))
        if pool is not None and weight <= 0:
            blocks.append(("weight_zero", f"{'capacity' if pool.weights else 'routing weight'} 0 in pool {rule.route_to.pool}: takes no pool leads"))
        verdict.saw(rep, now, *counts)
        if blocks:
            verdict.exclude([code for code, _ in blocks], [text for _, text in blocks])
        else:
            candidates.append(_Candidate(rep, weight, index, verdict))
    if not candidates:
        return None, "nobody available", pool, ""
    rule_notes: list[str] = []
    if constraints.language == "preferred" and lead.language:
        candidates = _prefer(
            candidates, keep=lambda c: lead.language in c.rep.languages, code="language",
            reason=lambda c: f"does not speak {_lang(lead.language)} (a {_lang(lead.language)} speaker is available)",
            waived=f"no available candidate speaks {_lang(lead.language)}: language preference waived", notes=rule_notes,
        )
    if pool is not None and pool.prefer_expertise and lead.industry:
        candidates = _prefer(
            candidates, keep=lambda c: lead.industry in c.rep.industries, code="expertise",
            reason=lambda c: f"not a {industry_label(lead.industry)} specialist (a specialist is available)",
            waived=f"no available {industry_label(lead.industry)} specialist: expertise preference waived", notes=rule_notes,
        )
    if constraints.working_hours == "preferred":
        candidates = _prefer(
            candidates, keep=lambda c: c.rep.on_shift(now), code="after_hours",
            reason=lambda c: _hours_text(c.rep, now) + " — someone is on shift",
            waived="nobody available is on shift now: off-shift reps considered", notes=rule_notes,
        )
    choice = _choose(pool and pool.strategy, rule.route_to.pool, pool, candidates, lead=lead, snapshot=snapshot, now=now, members=members)
    choice.candidate.verdict.status = "chosen"
    notes += rule_notes
    return choice, f"chose {choice.candidate.rep.name}", pool, "; ".join(rule_notes)


def _account_blocks(rep: RepFacts, *, lead: LeadFacts, policy: RoutingPolicy, snapshot: RoutingSnapshot, now: datetime) -> list[tuple[str, str]]:
    watched = set(policy.account_matching.owner_unavailable_when) | {"sla_missed"}
    all_checks = Constraints(capacity=True, daily_cap=True, working_hours="required", language="ignored")
    blocks = hard_blocks(rep, lead=lead, constraints=all_checks, workload=snapshot.workload, now=now, barred=snapshot.barred)
    return [(code, text) for code, text in blocks if code in watched]


def _team_pick(account: AccountOwner, owner: RepFacts, *, lead: LeadFacts, snapshot: RoutingSnapshot, now: datetime,
               verdicts: list[Verdict], policy: RoutingPolicy) -> tuple[RepFacts, str] | None:
    """The account's team member with the fewest open leads who can take it (a declared account's
    team), ties broken as least_loaded pools break them; and how a tie was broken."""
    team, workload = (account.team or "").lower(), snapshot.workload
    checks = Constraints(capacity=True, daily_cap=True, working_hours="ignored", language="ignored")
    ties = policy.account_matching.ties
    mates = rank_least_loaded([r for r in snapshot.reps.values() if r.team and r.team.lower() == team and r.id != owner.id and r.role == "rep"],
                              rep=lambda r: r, order=lambda r: r.id, snapshot=snapshot, now=now, ties=ties, every_group=True)  # roster order last
    free = []
    for rep in mates:
        blocks = hard_blocks(rep, lead=lead, constraints=checks, workload=workload, now=now, barred=snapshot.barred)
        if not free:
            verdicts.append(Verdict(rep.email, rep.name, ACCOUNT_RULE, "excluded" if blocks else "chosen", [t for _, t in blocks],
                                    [c for c, _ in blocks], note=f"team {account.team}: {workload.open(rep.id)} open leads"))
        if not blocks:
            free.append(rep)
    return (free[0], tie_text(free, snapshot=snapshot, now=now, first="first on the roster", ties=ties)) if free else None


def decide(
    *, lead: LeadFacts, account: AccountOwner | None, snapshot: RoutingSnapshot, policy: RoutingPolicy, now: datetime
) -> RoutingDecision:
    """Route one lead: account owner first (declared accounts, then owned leads), then the first
    matching rule with someone available (or its `when_unavailable`), then the fallback. Pure:
    reads the snapshot, changes nothing."""
    verdicts: list[Verdict] = []
    checks: list[RuleCheck] = []
    notes: list[str] = []
    open_ended: list[int] = []  # checks of rules with nobody available, said once we know what came next
    away: list[str] = []  # the unavailable account owner, said in the Why

    def done(rep: RepFacts | None, *, rule: str, reason: str, pool: str | None = None, strategy: str | None = None,
             pointer: PointerMove | None = None, queue: str | None = None) -> RoutingDecision:
        for index in open_ended:
            later = any(c.matched for c in checks[index + 1:])
            ending = " — tried the next matching rule" if later else (" — no matching rule left" if rule == FALLBACK_RULE else "")
            checks[index] = RuleCheck(checks[index].rule, True, checks[index].detail, checks[index].outcome + ending)
        found = policy.rule(rule)
        decision = RoutingDecision(
            lead=lead, owner=rep.email if rep else None, owner_name=rep.name if rep else None, owner_id=rep.id if rep else None,
            queue=queue, rule=rule, pool=pool, strategy=strategy, reason=("; ".join(away) + "; " if away else "") + reason,
            candidates=verdicts, rules_checked=checks, policy_version=policy.version, decided_at=now, account=account,
            notes=notes, pointer=pointer, rule_description=found.description if found else None,
            pool_description=policy.pools[pool].description if pool in policy.pools else None,
        )
        decision.policy_changes = relevant_changes(decision, policy)
        return decision

    def to_queue(name: str, *, rule: str, reason: str) -> RoutingDecision:
        queue = policy.queues.get(name)
        holder = snapshot.reps.get(queue.owner) if queue is not None and queue.owner else None
        if holder is not None:
            verdicts.append(Verdict(holder.email, holder.name, rule, "chosen", note=f"owner of the {name} queue (always available)"))
            return done(holder, rule=rule, queue=name, reason=f"{reason}; the queue's owner {holder.name} holds it")
        if queue is not None and queue.owner:
            notes.append(f"the {name} queue's owner {queue.owner} is not in the roster")
        return done(None, rule=rule, queue=name, reason=f"{reason}; it waits in the {name} queue")

    matching = policy.account_matching
    owners = account_owners(lead, account, snapshot=snapshot, matching=matching) if matching.enabled and (account or snapshot.accounts) else ()
    account = owners[0] if owners else None  # declared, then the owner of the company's open lead (sticky.py)

    def accounts_step() -> RoutingDecision | None:
        """The account owner (declared, then the owner of the company's open lead); None: on to the rules."""
        nonlocal account
        for step, account in enumerate(owners):
            then = " — the owner of the company's open lead is tried next" if step + 1 < len(owners) else " — routed by the rules instead"
            owner = snapshot.by_id.get(account.rep_id)
            where = account.where()
            if owner is not None:
                blocks = _account_blocks(owner, lead=lead, policy=policy, snapshot=snapshot, now=now)
                verdict = Verdict(owner.email, owner.name, ACCOUNT_RULE, "excluded" if blocks else "chosen",
                                  [t for _, t in blocks], [c for c, _ in blocks], note=f"owns the account: {where}")
                verdicts.append(verdict)
                if not blocks:
                    return done(owner, rule=ACCOUNT_RULE, reason=f"account match: {owner.name} owns the account — {where}; "
                                                                     "leads from an owned account go to its owner")
                unavailable = f"the account owner {owner.name} ({where}) is unavailable: {'; '.join(verdict.reasons)}"
                choice = (account.when_unavailable or matching.when_owner_unavailable or "team") if account.lead_id is None else "team"
                if queue := policy.owner_unavailable_queue(choice):
                    said = "the account's" if account.when_unavailable else "account_matching's"
                    return to_queue(queue, rule=ACCOUNT_RULE, reason=f"{unavailable}; then the account's leads go to the {queue} queue "
                                                                     f"({said} when_owner_unavailable)")
                if choice == "rules":
                    away.append(unavailable + " — routed by the rules (when_owner_unavailable: rules)")
                    break
                if account.team and (picked := _team_pick(account, owner, lead=lead, snapshot=snapshot, now=now, verdicts=verdicts, policy=policy)):
                    mate, tie = picked
                    return done(mate, rule=ACCOUNT_RULE, reason=f"{unavailable}, so the account's team {account.team} takes it: "
                                                                    f"{mate.name} has the fewest open leads ({snapshot.workload.open(mate.id)}){tie}")
                team_choice = account.when_team_unavailable or matching.when_team_unavailable
                if account.lead_id is None and (queue := policy.owner_unavailable_queue(team_choice)):
                    team = f"nobody on the account's team {account.team} can take it either" if account.team else "the account has no team"
                    said = "the account's" if account.when_team_unavailable else "account_matching's"
                    return to_queue(queue, rule=ACCOUNT_RULE, reason=f"{unavailable}; {team}; then the account's leads go to the {queue} queue "
                                                                     f"({said} when_team_unavailable)")
                away.append(unavailable + then)
            else:
                notes.append(f"the account owner of {where} is not in the roster" + then)
        return None

    stopped: str | None = None
    memo = match_memo(snapshot, policy)
    accounts_done = False  # the account step sits after the rules marked `before_accounts` (listed first)
    for rule in policy.rules:
        if not accounts_done and not rule.before_accounts:
            accounts_done = True
            if (decision := accounts_step()) is not None:
                return decision
        matched, detail = match_rule(rule, lead, policy, now, memo)
        if not matched:
            checks.append(RuleCheck(rule.name, False, detail))
            continue
        if rule.route_to.queue is not None:
            checks.append(RuleCheck(rule.name, True, detail, f"to the {rule.route_to.queue} queue"))
            return to_queue(rule.route_to.queue, rule=rule.name, reason=f"rule '{rule.name}' sends these leads to the {rule.route_to.queue} queue")
        start, step, skipped = len(verdicts), rule, []  # the ordered backup: each step said with who could not, and why
        choice, outcome, pool, rule_notes = _try_rule(rule, lead=lead, snapshot=snapshot, policy=policy, now=now, verdicts=verdicts, notes=notes)
        for number, backup in enumerate(rule.backup_steps() if choice is None else (), 1):
            skipped.append(nobody_text(step, verdicts[start:]))
            if (queue := backup.route_to.queue) is not None:
                checks.append(RuleCheck(rule.name, True, detail, f"{'; '.join(skipped)} — backup {number}: the {queue} queue"))
                return to_queue(queue, rule=rule.name, reason=f"rule '{rule.name}': {'; '.join(skipped)}; its {ordinal(number)} backup "
                                                             f"is the {queue} queue")
            step, start = backup, len(verdicts)
            choice, outcome, pool, rule_notes = _try_rule(backup, lead=lead, snapshot=snapshot, policy=policy, now=now, verdicts=verdicts, notes=notes)
            if choice is not None:
                outcome = f"{'; '.join(skipped)} — backup {number}: {outcome}"
                name, lead_in = choice.candidate.rep.name, f"the rule sends these leads to {choice.candidate.rep.name}, who is available "
                why = choice.reason.removeprefix(lead_in) if backup.route_to.rep else f"— {choice.reason}"
                choice.reason = f"{'; '.join(skipped)}; {name} took it as the {ordinal(number)} backup {why}"
                break
        if choice is None:
            excluded = [v for v in verdicts if v.rule == rule.name]
            why = "; ".join(f"{v.name}: {', '.join(v.codes)}" for v in excluded) or "no members"
            queue = policy.unavailable_queue(rule)
            if queue is not None:
                checks.append(RuleCheck(rule.name, True, detail, f"nobody available ({why}) — this rule then sends leads to the {queue} queue"))
                return to_queue(queue, rule=rule.name, reason=f"rule '{rule.name}' matched but nobody in it can take the lead ({why}); "
                                                             f"when nobody can, the rule sends leads to the {queue} queue")
            if rule.when_unavailable == FALLBACK:
                checks.append(RuleCheck(rule.name, True, detail, f"nobody available ({why}) — this rule then sends leads to the fallback"))
                stopped = rule.name
                break
            open_ended.append(len(checks))
            checks.append(RuleCheck(rule.name, True, detail, f"nobody available ({why})"))
            continue
        checks.append(RuleCheck(rule.name, True, detail, outcome))
        earlier = [c for c in checks if c.matched and c.rule != rule.name]
        fell_through = f" (after {', '.join(repr(c.rule) for c in earlier)} had nobody available)" if earlier else ""
        return done(choice.candidate.rep, rule=rule.name, reason=choice.reason + fell_through, pool=step.route_to.pool,
                    strategy=pool.strategy if pool else None, pointer=choice.pointer)

    if not accounts_done and stopped is None and (decision := accounts_step()) is not None:
        return decision
    tried = [c.rule for c in checks if c.matched]
    if stopped is not None:
        context = f"rule '{stopped}' had nobody available and sends such leads to the fallback"
    else:
        context = (f"the matching rules ({', '.join(repr(r) for r in tried)}) had nobody available" if tried
                   else "no rule matched this lead")
    fallback = policy.fallback
    rep = snapshot.reps.get(fallback.rep) if fallback.rep else None
    # The fallback owner is spared the daily cap, hours and language, not absence or a full book.
    fallback_checks = Constraints(capacity=True, daily_cap=False, working_hours="ignored", language="ignored")
    blocks = hard_blocks(rep, lead=lead, constraints=fallback_checks, workload=snapshot.workload, now=now, barred=snapshot.barred) if rep else []
    if rep is not None and not blocks:
        verdicts.append(Verdict(rep.email, rep.name, FALLBACK_RULE, "chosen", note="the policy's fallback owner"))
        return done(rep, rule=FALLBACK_RULE, reason=f"{context}; the fallback owner {rep.name} takes it")
    if fallback.rep:
        if rep is None:
            verdicts.append(Verdict(fallback.rep, fallback.rep, FALLBACK_RULE, "excluded", ["not in the roster"], ["unknown_rep"]))
        else:
            verdicts.append(Verdict(rep.email, rep.name, FALLBACK_RULE, "excluded", [t for _, t in blocks], [c for c, _ in blocks]))
        why = "is not in the roster" if rep is None else "cannot take it: " + "; ".join(t for _, t in blocks)
        notes.append(f"the fallback owner {rep.name if rep else fallback.rep} {why}")
    return to_queue(fallback.queue or "unassigned", rule=FALLBACK_RULE, reason=context)


def relevant_changes(decision: RoutingDecision, policy: RoutingPolicy) -> list[PolicyChange]:
    """The policy's recent changes that touch what this decision looked at."""
    if not policy.changes:
        return []
    prefixes = {"rules order", "constraints", "account_matching"}
    for check in decision.rules_checked:
        prefixes.add(f"rules[{check.rule}]")
        rule = policy.rule(check.rule)
        if rule is not None:
            prefixes |= {f"territories[{t}]" for t in rule.when.territories()}
            prefixes |= {f"pools[{step.route_to.pool}]" for step in (rule, *rule.backup_steps()) if step.route_to.pool}
    prefixes |= {f"reps[{v.rep}]" for v in decision.candidates}
    if decision.rule == FALLBACK_RULE:
        prefixes.add("fallback")
    return [c for c in policy.changes if any(c.key == p or c.key.startswith(p + ".") or c.key.startswith(p + "[") for p in prefixes)]
