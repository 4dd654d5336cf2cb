"""A routing decision as a record: who got the lead, by which rule, every candidate with why they
were excluded or how they scored, and why the winner won; as text, as data and as audit entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from leadpilot.tools.routing.facts import AccountOwner, LeadFacts
from leadpilot.tools.routing.policy import PolicyChange

STRATEGY_LABELS = {
    "round_robin": "round robin",
    "weighted": "weighted round robin",
    "least_loaded": "least loaded",
    "performance_weighted": "performance weighted",
    "fewest_today": "fewest new leads today",
    "weighted_today": "weighted by today's share",
}
ACCOUNT_RULE = "account-match"
FALLBACK_RULE = "fallback"



class Verdict:
    """One candidate of one rule: chosen, eligible but not chosen, or excluded (with why).

    A batch makes one per candidate per lead, so a verdict is one slotted object: its reasons and
    codes lists exist only once it is excluded, and its `facts` (local time, open leads, new leads
    today, the strategy's numbers) are kept as the values seen at decision time and put into words
    only when asked (`to_dict`, the audit)."""

    __slots__ = ("rep", "name", "rule", "status", "note", "_reasons", "_codes", "_seen", "_at", "_open", "_today", "_scored")

    def __init__(self, rep: str, name: str, rule: str, status: str, reasons: list[str] | None = None,
                 codes: list[str] | None = None, note: str | None = None) -> None:
        self.rep, self.name, self.rule, self.status, self.note = rep, name, rule, status, note  # note: how the strategy scored them
        self._reasons, self._codes = tuple(reasons or ()), tuple(codes or ())  # tuples of text: no work for the cyclic GC
        self._seen: Any = None  # the RepFacts seen at `_at`, with their open leads and new leads today
        self._at: datetime | None = None
        self._open = self._today = 0
        self._scored: dict[str, Any] | None = None  # what the strategy weighed (weight, conversion...)

    @property
    def reasons(self) -> list[str]:
        return list(self._reasons)

    @property
    def codes(self) -> list[str]:
        return list(self._codes)

    def exclude(self, codes: list[str], reasons: list[str]) -> None:
        """Excluded, for these (code, reason) pairs, after any already given."""
        self.status = "excluded"
        self._codes += tuple(codes)
        self._reasons += tuple(reasons)

    def saw(self, rep: Any, now: datetime, open_leads: int, new_today: int) -> None:
        """The rep's facts at decision time: their local time (said lazily), open leads and new leads today."""
        self._seen, self._at, self._open, self._today = rep, now, open_leads, new_today

    def scored(self, **facts: Any) -> None:
        """The numbers the pool's strategy weighed for this candidate."""
        self._scored = {**self._scored, **facts} if self._scored else facts

    @property
    def facts(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self._seen is not None:
            found.update(local_time=self._seen.local_text(self._at), open_leads=self._open, new_today=self._today)
        if self._scored:
            found.update(self._scored)
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return (self.to_dict() == other.to_dict())

    __hash__ = None  # type: ignore[assignment]  (mutable, as the dataclass it was)

    def __repr__(self) -> str:
        return f"Verdict({self.rep!r}, {self.status!r}, rule={self.rule!r}, codes={self.codes!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rep": self.rep, "name": self.name, "rule": self.rule, "status": self.status,
            "excluded_because": self.reasons, "codes": self.codes, "scored": self.note, "facts": self.facts,
        }

    def line(self) -> str:
        if self.status == "excluded":
            return f"{self.name}: excluded — {'; '.join(self.reasons)}"
        label = "chosen" if self.status == "chosen" else "not chosen"
        return f"{self.name}: {label}" + (f" — {self.note}" if self.note else "")


class RuleCheck(NamedTuple):  # a tuple of text: the cyclic GC stops tracking it (a batch makes one per rule per lead)
    rule: str
    matched: bool
    detail: str
    outcome: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "matched": self.matched, "detail": self.detail, "outcome": self.outcome}


@dataclass(frozen=True)
class PointerMove:
    pool: str
    position: int
    last_rep_id: int | None


@dataclass
class RoutingDecision:
    lead: LeadFacts
    owner: str | None  # rep email; None when the lead goes to a queue
    owner_name: str | None
    owner_id: int | None
    queue: str | None
    rule: str  # "account-match", a rule name, or "fallback"
    pool: str | None
    strategy: str | None
    reason: str  # why the winner won
    candidates: list[Verdict]
    rules_checked: list[RuleCheck]
    policy_version: str
    decided_at: datetime
    account: AccountOwner | None = None
    notes: list[str] = field(default_factory=list)
    policy_changes: list[PolicyChange] = field(default_factory=list)
    pointer: PointerMove | None = None
    dry_run: bool = True
    rule_description: str | None = None  # the deciding rule's `description` in the policy
    pool_description: str | None = None

    @property
    def lead_id(self) -> int | None:
        return self.lead.id

    @property
    def assignee(self) -> str:
        return self.owner_name or f"queue {self.queue}"

    def headline(self) -> str:
        via = f"rule '{self.rule}'" if self.rule not in (ACCOUNT_RULE, FALLBACK_RULE) else self.rule.replace("-", " ")
        pool = f", pool {self.pool} ({STRATEGY_LABELS[self.strategy]})" if self.pool and self.strategy else ""
        return f"{self.lead.label()} → {self.assignee}, by {via}{pool}"

    def explanation(self) -> str:
        lines = [self.headline() + f" [policy {self.policy_version}]", f"Lead: {self.lead.summary()}.", f"Why: {self.reason}"]
        if self.rule_description:
            lines.append(f"Rule '{self.rule}': {self.rule_description}")
        if self.pool_description:
            lines.append(f"Pool {self.pool}: {self.pool_description}")
        matched = [c for c in self.rules_checked if c.matched]
        skipped = [c for c in self.rules_checked if not c.matched]
        for check in matched:
            lines.append(f"Rule '{check.rule}' matched ({check.detail})" + (f": {check.outcome}" if check.outcome else ""))
        if skipped:
            lines.append(f"{len(skipped)} rule(s) did not match: " + "; ".join(f"'{c.rule}' ({c.detail})" for c in skipped[:6])
                         + (f"; +{len(skipped) - 6} more" if len(skipped) > 6 else ""))
        if self.candidates:
            lines.append("Candidates:")
            lines += [f"  - [{v.rule}] {v.line()}" for v in self.candidates]
        lines += [f"Note: {note}" for note in self.notes]
        if self.policy_changes:
            lines.append("Policy changes behind this decision: " + "; ".join(str(c) for c in self.policy_changes))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead.id,
            "company": self.lead.company,
            "owner": self.owner,
            "owner_name": self.owner_name,
            "queue": self.queue,
            "rule": self.rule,
            "rule_description": self.rule_description,
            "pool": self.pool,
            "pool_description": self.pool_description,
            "strategy": self.strategy,
            "reason": self.reason,
            "candidates": [v.to_dict() for v in self.candidates],
            "rules_checked": [c.to_dict() for c in self.rules_checked],
            "account": None if self.account is None else {
                "rep_id": self.account.rep_id, "matched_on": self.account.matched_on, "value": self.account.value,
                "lead_id": self.account.lead_id, "company": self.account.company, "stage": self.account.stage,
                "origin": self.account.origin, "team": self.account.team,
            },
            "notes": self.notes,
            "policy_version": self.policy_version,
            "policy_changes": [str(c) for c in self.policy_changes],
            "decided_at": self.decided_at.isoformat(),
            "dry_run": self.dry_run,
            "explanation": self.explanation(),
        }

    def audit_reason(self) -> str:
        """The Assignment's reason: why the winner won, with the policy version."""
        return f"{self.reason} [policy {self.policy_version}]"

    def audit_candidates(self) -> list[dict[str, Any]]:
        """The Assignment's candidates: a decision summary, then every candidate verdict."""
        summary = {
            "kind": "decision", "rule": self.rule, "pool": self.pool, "strategy": self.strategy,
            "rule_description": self.rule_description, "pool_description": self.pool_description,
            "queue": self.queue, "policy_version": self.policy_version, "notes": self.notes,
            "rules_matched": [c.to_dict() for c in self.rules_checked if c.matched],
            "policy_changes": [str(c) for c in self.policy_changes],
            "lead": self.lead.summary(),
        }
        return [summary, *({"kind": "candidate", **v.to_dict()} for v in self.candidates)]
