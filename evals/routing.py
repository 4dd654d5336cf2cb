"""`evals routing`: does the routing engine give each lead the owner a person would, by the policy?

Each case in datasets/routing.yaml was labelled by hand from datasets/routing_policy.md (the demo
team's policy in plain language): a lead, the state of the roster as changes to the demo roster
(who is out, loads, the clock, round-robin pointers, owned accounts), the expected owner and the
labeller's one-line rationale. A case may be a sequence of leads routed one after another (the
earlier assignments count for the later leads); it is right only if every step is.

The labels hold for the demo data seeded at the pinned clock the labeller used (DEFAULT_NOW, a
Friday noon UTC; cases set their own clock as absolute times), so the eval always seeds at that
clock, whatever LEADPILOT_NOW says. The cases run against one throwaway SQLite store.
Each case applies its roster changes inside a transaction that is rolled back afterwards, so the
cases are independent and the store is seeded once.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.markup import escape

from leadpilot.evals.dataset_files import read_case_list
from leadpilot.evals.tables import accuracy_table


DEFAULT_NOW = "2026-11-20T12:00:00Z"
DEFAULT_MIN_ACCURACY = 0.98
REP_DOMAIN = "leadpilot.demo"
Backend = Literal["offline", "openai"]
LEAD_KEYS = frozenset({"company", "domain", "email", "website", "job_title", "country", "state", "city", "industry", "employees", "source",
                       "score", "tier", "language", "created", "extra"})
ROSTER_KEYS = frozenset({"clock", "out", "back", "inactive", "open_leads", "new_today", "last_lead", "pointers", "accounts", "attributes",
                         "imported"})
# Each shipped dataset and the policy its labels were written from (datasets/<name>_policy.md in words).
# The third is the Tallyrail policy on its own roster (routing_policy3.roster.csv), written and labelled
# by someone who had not read the engine; its `split` marks the 40% held out before the first run.
# The fourth (Peoplewise, routing_policy4.roster.csv) likewise; its literal translation needed
# `when_owner_unavailable` and `weights: capacity`. The session-10 constructs (backups, ties, an account's own
# when_team_unavailable, email/website/job_title in a case) are labelled in routing_constructs10.yaml. The sixth (Tendwell,
# routing_policy6.roster.csv): 150/150 on its first run; its `# GAP:` lines are what the format could not say.
SUITES = (("routing.yaml", None), ("routing_constructs.yaml", "routing_constructs_policy.yaml"),
          ("routing_policy3.yaml", "routing_policy3_policy.yaml"), ("routing_policy4.yaml", "routing_policy4_policy.yaml"),
          ("routing_policy5.yaml", "routing_policy5_policy.yaml"), ("routing_constructs10.yaml", "routing_constructs10_policy.yaml"),
          ("routing_policy6.yaml", "routing_policy6_policy.yaml"))
CASE_KEYS = frozenset({"id", "lead", "sequence", "roster", "expect", "expect_owner_any_of", "rule", "why", "split"})
SPLITS = ("tuning", "heldout")


class DatasetError(ValueError):
    """The dataset file is malformed; the message names the case and the key."""


# ---------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    id: str
    leads: tuple[dict[str, Any], ...]
    expect: tuple[str, ...]  # rep handles ("maya.chen") or "queue:<name>", one per lead (the first of any-of)
    rule: str  # the rule the labeller expects to decide (account-match, fallback, or a rule name)
    why: str
    roster: dict[str, Any] = field(default_factory=dict)
    split: str | None = None  # tuning / heldout, for datasets that keep a held-out part
    # Per lead, every owner the policy allows (`expect_owner_any_of`: "round robin between Maya and Ben"
    # may truthfully go to either); empty when each lead has exactly one expected owner.
    any_of: tuple[tuple[str, ...], ...] = ()

    def accepts(self, index: int, got: str) -> bool:
        return got in self.any_of[index] if self.any_of else got == self.expect[index]

    def labelled(self, index: int, got: str) -> str:
        """The expected owner to show against `got`: `got` itself when the labels allow it."""
        return got if self.any_of and got in self.any_of[index] else self.expect[index]

    @property
    def is_sequence(self) -> bool:
        return len(self.leads) > 1


def default_dataset_path() -> Path:
    return Path(str(files("leadpilot.evals").joinpath("datasets/routing.yaml")))


def parse_now(value: str | None) -> datetime:
    text = (value or DEFAULT_NOW).strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def load_cases(path: Path | None = None) -> list[Case]:
    return read_case_list(Path(path or default_dataset_path()), make_case=_case, error=DatasetError)


def _case(item: Any, index: int, path: Path) -> Case:
    where = f"{path}: case #{index + 1}"
    if not isinstance(item, dict):
        raise DatasetError(f"{where}: a case is a mapping with id, lead (or sequence), expect, rule and why")
    where = f"{path}: case {item.get('id', f'#{index + 1}')!r}"
    if unknown := set(item) - CASE_KEYS:
        raise DatasetError(f"{where}: unknown keys {sorted(unknown)}")
    if ("lead" in item) == ("sequence" in item):
        raise DatasetError(f"{where}: give either `lead` or `sequence`")
    leads = [item["lead"]] if "lead" in item else item["sequence"]
    any_of = _any_of(item, where) if "expect_owner_any_of" in item else ()
    expect = [options[0] for options in any_of] if any_of else [item.get("expect")] if "lead" in item else item.get("expect")
    if not isinstance(leads, list) or not leads or not all(isinstance(lead, dict) for lead in leads):
        raise DatasetError(f"{where}: `lead` is a mapping; `sequence` a list of them")
    for lead in leads:
        if unknown := set(lead) - LEAD_KEYS:
            raise DatasetError(f"{where}: unknown lead keys {sorted(unknown)} (known: {', '.join(sorted(LEAD_KEYS))})")
        if booleans := [key for key, value in lead.items() if isinstance(value, bool)]:
            raise DatasetError(f"{where}: YAML read {', '.join(booleans)} as true/false — quote the value, e.g. state: \"ON\"")
    if not isinstance(expect, list) or len(expect) != len(leads) or not all(isinstance(e, str) and e for e in expect):
        raise DatasetError(f"{where}: `expect` needs one owner (rep handle or queue:<name>) per lead")
    roster = item.get("roster") or {}
    if not isinstance(roster, dict) or (unknown := set(roster) - ROSTER_KEYS):
        raise DatasetError(f"{where}: `roster` keys must be among {', '.join(sorted(ROSTER_KEYS))}")
    for key in ("id", "rule", "why"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise DatasetError(f"{where}: `{key}` is required text")
    if item.get("split") not in (None, *SPLITS):
        raise DatasetError(f"{where}: `split` is one of {', '.join(SPLITS)} (or left out)")
    return Case(item["id"], tuple(leads), tuple(expect), item["rule"], item["why"].strip(), roster, item.get("split"), any_of)


def _any_of(item: dict[str, Any], where: str) -> tuple[tuple[str, ...], ...]:
    """`expect_owner_any_of: [maya.chen, ben.ortiz]` (one lead), or for a sequence one entry per lead,
    each an owner or a list of owners; it replaces `expect`."""
    if "expect" in item:
        raise DatasetError(f"{where}: give `expect` (one owner) or `expect_owner_any_of` (every owner the policy allows), not both")
    raw = item["expect_owner_any_of"]
    per_lead = [raw] if "lead" in item else raw
    if not isinstance(per_lead, list) or len(per_lead) != len(item.get("sequence") or [None]):
        raise DatasetError(f"{where}: `expect_owner_any_of` is a list of owners, e.g. [maya.chen, ben.ortiz]; for a sequence, one entry per lead")
    options = [tuple(entry) if isinstance(entry, list) else (entry,) for entry in per_lead]
    if not all(opts and all(isinstance(o, str) and o.strip() for o in opts) for opts in options):
        raise DatasetError(f"{where}: `expect_owner_any_of` entries are rep handles or queue:<name>, e.g. [maya.chen, queue:triage]")
    return tuple(tuple(o.strip() for o in opts) for opts in options)


def rep_email(handle: str) -> str:
    return handle.lower() if "@" in handle else f"{handle.lower()}@{REP_DOMAIN}"


def owner_label(decision: Any) -> str:
    """How the dataset names an outcome: the rep's handle, or queue:<name>."""
    if decision.owner:
        return decision.owner.split("@")[0] if decision.owner.endswith("@" + REP_DOMAIN) else decision.owner
    return f"queue:{decision.queue}"


# ---------------------------------------------------------------------------------------------
# Applying a case's roster state (inside a transaction that is rolled back)


def _moment(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return parse_now(str(value))


class _Roster:
    """Demo rep ids by handle, read once."""

    def __init__(self, session: Any):
        from sqlalchemy import select

        from leadpilot.memory.models import Rep

        self.ids = {email: rep_id for rep_id, email in session.execute(select(Rep.id, Rep.email))}

    def id(self, handle: str, case: Case) -> int:
        email = rep_email(handle)
        if email not in self.ids:
            raise DatasetError(f"case {case.id!r}: no rep {handle!r} in the roster")
        return self.ids[email]


def _apply_roster(session: Any, case: Case, *, now: datetime, roster: _Roster) -> None:
    from sqlalchemy import delete, func, select, update

    from leadpilot.memory.models import Assignment, Lead, Rep, RepTimeOff, RoutingPointer
    from leadpilot.memory.vocab import OPEN_STAGES

    state = case.roster
    for handle in state.get("back", []):
        session.execute(delete(RepTimeOff).where(RepTimeOff.rep_id == roster.id(handle, case)))
    for entry in state.get("out", []):
        if isinstance(entry, str):
            entry = {"rep": entry}
        starts = _moment(entry.get("from"), now - timedelta(days=1))
        ends = _moment(entry.get("to"), now + timedelta(days=1))
        session.add(RepTimeOff(rep_id=roster.id(entry["rep"], case), starts_at=starts, ends_at=ends, reason="eval case"))
    for handle in state.get("inactive", []):
        session.execute(update(Rep).where(Rep.id == roster.id(handle, case)).values(active=False))
    open_stages = [s.value for s in OPEN_STAGES]
    for handle, target in (state.get("open_leads") or {}).items():
        rep_id = roster.id(handle, case)
        current = session.scalar(select(func.count()).select_from(Lead).where(Lead.owner_id == rep_id, Lead.stage.in_(open_stages))) or 0
        if target < current:
            raise DatasetError(f"case {case.id!r}: open_leads can only raise a load ({handle} has {current}, asked {target})")
        session.add_all(
            Lead(owner_id=rep_id, stage="LEAD", source="other", created_at=now - timedelta(days=3), updated_at=now - timedelta(days=3))
            for _ in range(target - current)
        )
    any_lead = session.scalar(select(Lead.id).order_by(Lead.id).limit(1))
    last_lead = state.get("last_lead") or {}  # when a rep's latest earlier lead came (default: a minute ago)
    for handle in {**(state.get("new_today") or {}), **last_lead}:
        rep_id, count = roster.id(handle, case), (state.get("new_today") or {}).get(handle, 0)
        latest = _moment(last_lead[handle], now) if handle in last_lead else now - timedelta(minutes=1)
        session.add_all(
            Assignment(lead_id=any_lead, rep_id=rep_id, assigned_at=latest - timedelta(minutes=i), rule="eval", reason="earlier lead", candidates=[])
            for i in range(max(count, 1 if handle in last_lead else 0))
        )
    for pool, spec in (state.get("pointers") or {}).items():
        last = roster.id(spec["last"], case) if "last" in spec else None
        position = int(spec.get("next_slot", 1)) - 1
        session.merge(RoutingPointer(pool=pool, position=position, last_rep_id=last, updated_at=now))
    for handle, attributes in (state.get("attributes") or {}).items():
        session.execute(update(Rep).where(Rep.id == roster.id(handle, case)).values(attributes=attributes))
    for entry in state.get("imported", []):
        from leadpilot.memory.company_names import company_key
        from leadpilot.memory.routing_state import RoutingAccount

        session.add(RoutingAccount(domain=entry.get("domain"), company=entry.get("company"), company_key=company_key(entry.get("company")),
                                   owner_email=rep_email(entry["owner"]), team=entry.get("team"), source="eval case", updated_at=now))
    for account in state.get("accounts", []):
        created = _moment(account.get("created"), now - timedelta(days=10))
        session.add(Lead(
            company=account.get("company"), domain=account.get("domain"), owner_id=roster.id(account["owner"], case),
            stage=account.get("stage", "PROSPECT"), source="other", created_at=created, updated_at=created,
        ))
    session.flush()


def _insert_lead(session: Any, fields: dict[str, Any], *, now: datetime, index: int) -> Any:
    from leadpilot.memory.geo import country_code, state_code
    from leadpilot.memory.lead_record import domain_of
    from leadpilot.memory.models import Lead
    from leadpilot.memory.vocab import industry_slug

    country = country_code(fields.get("country")) if fields.get("country") else None
    lead = Lead(
        external_id=f"EVAL-{index}",
        company=fields.get("company"),
        # As the import reads a row: the domain given, else the website's, else a work email's (not web mail).
        domain=fields.get("domain") or domain_of(fields.get("website"), fields.get("email")),
        email=fields.get("email"),
        website=fields.get("website"),
        job_title=fields.get("job_title"),
        country=country,
        state=state_code(fields.get("state"), country) if fields.get("state") else None,
        city=fields.get("city"),
        industry=industry_slug(fields["industry"]) if fields.get("industry") else None,
        company_size=fields.get("employees"),
        source=fields.get("source") or "other",
        score=fields.get("score"),
        tier=fields.get("tier"),
        language=fields.get("language"),
        stage="LEAD",
        created_at=_moment(fields.get("created"), now),
        updated_at=now,
        extra=fields.get("extra"),
    )
    session.add(lead)
    session.flush()
    return lead


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class CaseResult:
    case: Case
    got: list[str]
    decisions: list[Any]
    seconds: float

    @property
    def correct(self) -> bool:
        return len(self.got) == len(self.case.expect) and all(self.case.accepts(i, g) for i, g in enumerate(self.got))

    def miss(self) -> dict[str, Any]:
        wrong = next(i for i, g in enumerate(self.got) if not self.case.accepts(i, g))
        decision = self.decisions[wrong]
        return {
            "id": self.case.id,
            "split": self.case.split,
            "rule_expected": self.case.rule,
            "rule_got": decision.rule,
            "step": wrong + 1 if self.case.is_sequence else None,
            "expected": list(self.case.expect),
            **({"expected_any_of": [list(options) for options in self.case.any_of]} if self.case.any_of else {}),
            "got": self.got,
            "labeller_why": self.case.why,
            "engine_explanation": decision.explanation(),
        }


def run_case(db: Any, case: Case, *, policy: Any, roster: _Roster, default_now: datetime) -> CaseResult:
    """Apply the case's roster state, route its lead(s), compare, and roll everything back."""
    from sqlalchemy.orm import Session

    from leadpilot.tools.routing import route_lead

    now = _moment(case.roster.get("clock"), default_now)
    started = time.perf_counter()
    with db.engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, expire_on_commit=False)
        try:
            _apply_roster(session, case, now=now, roster=roster)
            decisions = []
            for index, fields in enumerate(case.leads):
                lead = _insert_lead(session, fields, now=now, index=index)
                # A sequence records each assignment, so pointers, loads and accounts move on.
                decisions.append(route_lead(session, lead=lead, policy=policy, now=now, dry_run=not case.is_sequence))
        finally:
            session.close()
            transaction.rollback()
    return CaseResult(case, [owner_label(d) for d in decisions], decisions, time.perf_counter() - started)


def _by_rule(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    marks: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        marks[result.case.rule].append(result.correct)
    return {
        rule: {"cases": len(m), "correct": sum(m), "accuracy": round(sum(m) / len(m), 4)}
        for rule, m in sorted(marks.items())
    }


def _by_split(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """Accuracy on each split (tuning / held-out) of the datasets that keep one."""
    marks: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        if result.case.split:
            marks[result.case.split].append(result.correct)
    return {split: {"cases": len(m), "correct": sum(m), "accuracy": round(sum(m) / len(m), 4)} for split, m in sorted(marks.items())}


def _confusion(results: Sequence[CaseResult]) -> dict[str, Any]:
    pairs = Counter((r.case.labelled(i, g), g) for r in results for i, g in enumerate(r.got))
    labels = sorted({label for pair in pairs for label in pair}, key=lambda label: (label.startswith("queue:"), label))
    matrix = [[pairs.get((e, g), 0) for g in labels] for e in labels]
    return {"labels": labels, "matrix": matrix}


def run_routing_eval(
    *,
    now: datetime | None = None,
    dataset: Path | None = None,
    policy_path: Path | None = None,
    case_ids: Sequence[str] | None = None,
    min_accuracy: float = DEFAULT_MIN_ACCURACY,
    backend: Backend | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Seed a throwaway store at `now`, run every case, and report accuracy, a per-rule breakdown,
    a confusion table and each miss with the engine's explanation. With `backend`, also ask the
    agent "who should take this lead?" (see `check_agent_answers`).

    Raises DatasetError for a malformed dataset and RoutingPolicyError for a broken policy.
    """
    from leadpilot.evals.routing_store import open_suite_store, roster_file
    from leadpilot.tools.routing import load_policy, roster_problems

    started = time.perf_counter()
    now = now or parse_now(None)
    path = dataset or default_dataset_path()
    suites = [(path, load_cases(path), load_policy(policy_path))]
    if dataset is None:  # the shipped datasets: each with the policy its labels were written from
        folder = default_dataset_path().parent
        suites += [(folder / name, load_cases(folder / name), load_policy(folder / own)) for name, own in SUITES[1:]]
    if case_ids:
        unknown = set(case_ids) - {c.id for _, cases, _ in suites for c in cases}
        if unknown:
            raise DatasetError(f"no such case ids: {', '.join(sorted(unknown))}")
        suites = [(where, [c for c in cases if c.id in set(case_ids)], rules) for where, cases, rules in suites]
    policy = suites[0][2]
    total = sum(len(cases) for _, cases, _ in suites)
    agent: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="leadpilot-routing-") as tmp:
        stores: dict[Path | None, Any] = {}  # the demo store, and one per dataset with its own roster
        try:
            results: list[CaseResult] = []
            routing_seconds = 0.0
            for where, cases, rules in suites:
                own = roster_file(where)
                if own not in stores:
                    stores[own] = open_suite_store(Path(tmp), own, now=now, error=DatasetError)
                db = stores[own]
                seeded = time.perf_counter()
                with db.session() as session:
                    roster = _Roster(session)
                    if problems := roster_problems(session, rules):  # a `where:` key no rep has matches nobody: refused
                        raise DatasetError(f"{rules.path} does not fit the roster of {where.name}: " + "; ".join(problems))
                for case in cases:
                    results.append(run_case(db, case, policy=rules, roster=roster, default_now=now))
                    if progress:
                        progress(len(results), total)
                routing_seconds += time.perf_counter() - seeded
            if backend is not None:  # the agent routes by the configured policy: the first suite's
                agent = check_agent_answers(stores[roster_file(suites[0][0])], suites[0][1], backend=backend, default_now=now, data_dir=Path(tmp))
        finally:
            for db in stores.values():
                db.dispose()
    by_suite = [{"dataset": str(where), "policy": str(rules.path), "policy_version": rules.version, "cases": len(cases),
                 "correct": sum(r.correct for r in results if r.case in cases)} for where, cases, rules in suites]
    correct = sum(r.correct for r in results)
    decisions = sum(len(r.got) for r in results)
    accuracy = round(correct / len(results), 4) if results else 0.0
    return {
        "eval": "routing",
        "now": now.isoformat(),
        "dataset": str(path),
        "policy": str(policy.path),
        "policy_version": policy.version,
        "suites": by_suite,
        "cases": len(results),
        "decisions": decisions,
        "correct": correct,
        "accuracy": accuracy,
        "decision_accuracy": round(sum(r.case.accepts(i, g) for r in results for i, g in enumerate(r.got)) / decisions, 4) if decisions else 0.0,
        "min_accuracy": min_accuracy,
        "passed": accuracy >= min_accuracy,
        "by_rule": _by_rule(results),
        "by_split": _by_split(results),
        "confusion": _confusion(results),
        "misses": [r.miss() for r in results if not r.correct],
        "agent": agent,
        "ms_per_case": round(1000 * routing_seconds / max(1, len(results)), 2),
        "seconds_total": round(time.perf_counter() - started, 2),
    }


# ---------------------------------------------------------------------------------------------
# AGENT CHECK — what the agent answers to "who should take this lead?"
#
# Needs an agent tool named AGENT_ROUTING_TOOL (a dry run of tools.routing.suggest_owner). Until
# the agent has it, the check reports "agent wiring pending" instead of failing.


AGENT_ROUTING_TOOL = "suggest_owner"
AGENT_QUESTION = "Who should take {company}'s lead and why?"


def _names_by_label(db: Any) -> dict[str, str]:
    from sqlalchemy import select

    from leadpilot.memory.models import Rep

    with db.session() as session:
        return {email.split("@")[0]: name for email, name in session.execute(select(Rep.email, Rep.name))}


def check_agent_answers(db: Any, cases: Sequence[Case], *, backend: Backend, default_now: datetime, data_dir: Path) -> dict[str, Any]:
    """Ask the agent about each single-lead case whose roster state is the demo's own (only the
    clock may differ), and judge whether its answer names the expected owner.

    The leads are committed to the throwaway store, unowned, so the agent's own (read-only)
    sessions see them; nothing else changes. Returns {"status": "agent wiring pending"} while the
    agent has no routing tool.
    """
    from leadpilot.agent.toolbox import tool_names

    if AGENT_ROUTING_TOOL not in tool_names():
        return {
            "status": "agent wiring pending",
            "backend": backend,
            "detail": f"the agent has no {AGENT_ROUTING_TOOL!r} tool yet (wire tools.routing.suggest_owner into agent/toolbox/routing.py)",
        }
    from leadpilot.agent.deps import AgentDeps
    from leadpilot.agent.runner import run_agent
    from leadpilot.settings import load_settings
    from leadpilot.tools.leads import Viewer

    names = _names_by_label(db)
    eligible = [c for c in cases if not c.is_sequence and set(c.roster) <= {"clock"} and c.leads[0].get("company")]
    results = []
    for index, case in enumerate(eligible):
        now = _moment(case.roster.get("clock"), default_now)
        with db.transaction() as session:
            _insert_lead(session, case.leads[0], now=now, index=100_000 + index)
        settings = load_settings(now=now, llm_backend=backend, data_dir=data_dir)
        deps = AgentDeps(db=db, settings=settings, now=now, viewer=Viewer(role="admin"), conversation_id=f"routing:{case.id}", channel="evals")
        answer = run_agent(AGENT_QUESTION.format(company=case.leads[0]["company"]), deps=deps)
        expected = case.expect[0]
        wanted = "triage" if expected.startswith("queue:") else names.get(expected, expected)
        results.append({
            "id": case.id, "expected": expected, "correct": wanted.lower() in answer.answer.lower(),
            "tool_calls": answer.tool_calls, "answer": answer.answer[:300],
        })
    correct = sum(r["correct"] for r in results)
    return {
        "status": "checked",
        "backend": backend,
        "question": AGENT_QUESTION,
        "cases": len(results),
        "correct": correct,
        "accuracy": round(correct / len(results), 4) if results else 0.0,
        "misses": [r for r in results if not r["correct"]],
    }


# ---------------------------------------------------------------------------------------------
# For people


def short_codes(labels: Sequence[str]) -> dict[str, str]:
    """Short unique column codes for owner labels: maya.chen -> may, marcus.johnson -> mar."""
    names = {label: label.split(":")[-1].split(".")[0] for label in labels}
    codes: dict[str, str] = {}
    for label, name in names.items():
        size = 3
        while size < 4 and size < len(name) and sum(1 for other in names.values() if other[:size] == name[:size]) > 1:
            size += 1
        codes[label] = name[:size]
    return codes


def render_routing(report: dict[str, Any], console: Console) -> None:
    verdict = "[green]pass[/green]" if report["passed"] else "[red]FAIL[/red]"
    console.print(
        f"[bold]Routing eval[/bold] — {report['cases']} hand-labelled cases ({report['decisions']} decisions), "
        f"policy {report['policy_version']}, clock {report['now']}: accuracy [bold]{report['accuracy']:.1%}[/bold] "
        f"({report['correct']}/{report['cases']}), threshold {report['min_accuracy']:.0%}: {verdict}"
    )
    for suite in report.get("suites") or []:
        console.print(f"  {escape(Path(suite['dataset']).name)} with {escape(Path(suite['policy']).name)} "
                      f"({suite['policy_version']}): {suite['correct']}/{suite['cases']}", highlight=False)
    for split, row in (report.get("by_split") or {}).items():
        console.print(f"  {split}: {row['correct']}/{row['cases']} ({row['accuracy']:.1%})", highlight=False)
    console.print(accuracy_table("By rule (the rule the labeller expected)", group="rule", rows=report["by_rule"]))

    confusion = report["confusion"]
    labels = confusion["labels"]
    codes = short_codes(labels)
    # Plain fixed-width text: 17 owners fit in 80 columns, a rich table does not.
    console.print("[bold]Confusion[/bold] (rows: expected owner, columns: the engine's owner)")
    console.print("     " + "".join(f"{codes[label]:>4}" for label in labels), highlight=False)
    for label, row in zip(labels, confusion["matrix"]):
        cells = "".join(
            (f"[green]{n:>4}[/green]" if labels[j] == label else f"[red]{n:>4}[/red]") if n else f"{'·':>4}"
            for j, n in enumerate(row)
        )
        console.print(f"{codes[label]:<5}{cells}", highlight=False)
    console.print("  " + ", ".join(f"{codes[label]} = {escape(label)}" for label in labels), highlight=False)

    for miss in report["misses"]:
        step = (f" step {miss['step']}" if miss["step"] else "") + (f" [{miss['split']}]" if miss.get("split") else "")
        console.print(
            f"[red]miss[/red] {escape(miss['id'])}{step}: expected {escape(', '.join(' or '.join(o) for o in miss.get('expected_any_of') or [[e] for e in miss['expected']]))} by "
            f"{escape(miss['rule_expected'])}, got {escape(', '.join(miss['got']))} by {escape(miss['rule_got'])}", highlight=False,
        )
        console.print(f"  labeller: {escape(miss['labeller_why'])}", highlight=False)
        for line in miss["engine_explanation"].splitlines():
            console.print(f"  engine: {escape(line)}", highlight=False)
    agent = report.get("agent")
    if agent:
        if agent["status"] == "checked":
            console.print(f"agent ({agent['backend']}): {agent['correct']}/{agent['cases']} answers name the expected owner ({agent['accuracy']:.0%})")
        else:
            console.print(f"[yellow]agent ({agent['backend']}): {agent['status']}[/yellow] — {escape(agent['detail'])}")
    console.print(f"{report['ms_per_case']:.1f} ms per case, {report['seconds_total']:.1f} s in all")
