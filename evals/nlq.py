"""`evals nlq`: does the agent read sales questions right? Exact-set accuracy over the demo data.

Each case in datasets/nlq.yaml (clean questions) and datasets/nlq_messy.yaml (questions as people
type them, written from the data alone) is a question, or a conversation judged on its last turn,
and the answer it should get, written as a filter over the data in a small declarative language:

    expect: {leads: {tier: [hot], industry: [fintech], not_contacted_days: 3}}   (open leads)
    expect: {leads: {industry: [saas], scope: all}, order: score desc, limit: 10}
    expect: {rows: {group_by: source, metric: count, where: {created: this_month}}}
    expect: {lead: {id: 42}}            expect: {lead: {company: Pioneer Systems}}
    expect: {refuse: true}              expect: {refuse: write}
    expect: {call: {name: follow_ups_due, args: {day: today}}}   (the tool call; its data is tested in tests/)
    expect: {parts: [{rows: {where: {created: this_week}}}, {rows: {where: {tier: [hot]}}}]}
    expect: {leads: {industry: [healthcare]}, reads: [healthcare]}
    expect: {asks: [Harbor Freight Partners, Harbor Mutual Insurance]}   (lists the candidates, asks which)
    expect: {owner: {company: Pioneer Systems}}    expect: {unknown: {source: tiktok}}

A dataset asks about the demo data (seeded at the run's clock) unless a `<dataset>.store.yaml`
beside it names another store: a lead CSV imported like `leadpilot import`, its rep roster, the
clock its dates assume and whether rule scores apply (evals/nlq_stores.py; nlq_fresh2, a HubSpot export,
nlq_fresh3, a Salesforce Lead report export, nlq_fresh4, a Zoho CRM Leads export, nlq_fresh5, a
Pipedrive Deals export, and nlq_fresh6, a Freshsales Contacts export, are five).

evals/nlq_truth.py evaluates that language itself, in plain Python over the leads and activities
read from the store, deliberately apart from tools/leads/filter.py's SQL compilation: a compiler
bug shows up as a miss instead of agreeing with itself. The language (every key ANDed):

- `scope`: which leads by lifecycle: open (stage not CUSTOMER or LOST), closed (CUSTOMER or LOST)
  or all. The default is the product's: a list, a lookup by filter, a count or an average score
  reads OPEN leads, unless the filter names `stage`, `converted` or `open` (then those decide, as
  if scope were all; `not_stage` only narrows the default). Conversion rates and the analytics reports' numbers (speed to
  lead, attribution) read history: all leads. "including closed", "all time", "ever" are scope: all.
- categorical, a list means "any of": tier, industry, country, state, city, region (NA, EMEA,
  APAC, LATAM, EUROPE, DACH, NORDICS, BENELUX, ANZ, UKI: memory/geo.py's table; "Europe" is EUROPE), source (the user's own
  value, e.g. website_form), channel (the source's group: paid, organic, referral, event, partner,
  outbound, owned_media, other), stage, seniority (c-level, vp, director, manager, individual,
  from the job title), department, owner (rep email, "unassigned", or "me" = the case's
  `as_user`); each also as `not_<key>` (a missing value counts as "not").
- ranges `{gt, gte, lt, lte}`: employees, score, probability; `segment` = size bands
  (enterprise 1000+, mid-market 100-999, smb 10-99, micro 1-9). Booleans: `open`, `converted`,
  `has_phone`, `has_email`.
- `any_of: [filter, ...]`: at least one of these sub-filters holds (a sub-filter has no any_of or
  scope of its own): "fintech or anything in London" is any_of: [{industry: [fintech]}, {city: [London]}].
- time windows, resolved against the pinned clock (weeks start Monday, days are UTC days): a name
  (today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter,
  this_year, last_year, weekend = the latest Saturday and Sunday) or `{days: N}` (the last N x 24
  hours), `{since: X}`, `{before: X}` (both together for a range), where X is a weekday,
  "october 5" or "october" (the latest one) or an ISO date/time, `{month: october | YYYY-MM}`,
  `{older_than_days: N}`. Keys: `created`, `contacted` (the last contact falls inside the window),
  `not_contacted_days: N` (no contact in the last N days, never contacted included),
  `not_contacted_since: DATE|WEEKDAY` (likewise), `never_contacted: bool`, `won_in: WINDOW` (closed
  won in the window: a customer whose conversion date falls in it; a lost deal has no close date
  in the store, so "lost last month" cannot be expressed).
- `activity: [{kind, page?, window?, absent?}]`: the lead has (or, absent, has not) such an
  activity; `page` matches a path segment that starts with it ("pricing" is /pricing, not
  /blog/usage-based-pricing-guide).
- `company` (exact name, any case), `id` (list of lead ids).

`lead: {id}` is that lead, whatever its stage; `lead: {company}` is the lead a rep would work: the
company's open lead(s), or its closed ones when it has no open lead.

Rows also take the analytics reports' numbers: metrics `median_hours` / `p90_hours` (hours from
creation to the first outbound email, call or meeting, else the last contact; linear
interpolation), group `score_bucket` ("70-79", the top score in "90-100", "unscored"), and
`group_by: channel` with metric `first_touch` (a converted lead's source) or `last_touch` (the
channel of its last inbound touch at or before conversion, see tools/analytics/attribution.py; none = its
source); with another metric, `group_by: channel` is the lead's channel group. A count of 0 is the
same as no row.

A search is compared as the set of lead ids; with `order` ("score desc", ties by id like the
tool) and `limit`/`offset` as the ordered list; aggregate rows as a multiset of (group, number),
rates to 4 decimals and average scores to 1; a total (no group_by) as its single number.
`refuse: true` is an out-of-scope question: no tool call and an answer saying "I don't
understand ..."; `refuse: write` is a request to change data: no tool call and the answer "I can't
change data from the chat ...". `asks`, `owner` and `unknown` judge what the answer says (evals/nlq_said.py): it lists the
candidate companies and asks which (never explains or lists one of them); it names the owner of
the lead a rep would work and no other rep; it names a value no lead has and says it is not in the
data (an empty `leads` truth is the opposite: there, saying the value is not in the data is a miss).
`parts` (a multi-part question, or a comparison "US vs Europe")
judges each expectation against the answer's tool results in order: as many results as parts,
each right. `reads: [word, ...]` (with any kind) also needs the answer to say what it read: a
"Read 'helthcare' as healthcare" sentence naming each word (or a part of it: "Read 'fransisco' as
Francisco" with San Francisco named in the answer; plurals are the same word).

Every case is in a split, `tuning` or `held_out` (never looked at while changing the planner);
the report gives accuracy per dataset, per split and per category, and the threshold applies to
the overall accuracy.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.text import Text

from leadpilot.evals.nlq_cases import Case, DatasetError, default_dataset_paths, load_datasets, sample_cases
from leadpilot.evals.nlq_judge import Verdict, judge
from leadpilot.evals.nlq_stores import StoreSpec, open_store, store_for, store_key
from leadpilot.evals.nlq_truth import Expected, Truth
from leadpilot.evals.tables import accuracy_table

__all__ = ["DEFAULT_MIN_ACCURACY", "EvalSetupError", "Verdict", "judge", "render_nlq", "resolve_now", "run_nlq_eval"]

DEFAULT_NOW = "2026-11-20T12:00:00Z"
DEFAULT_MIN_ACCURACY = 0.95
Backend = Literal["offline", "openai"]


class EvalSetupError(RuntimeError):
    """The eval's store could not be prepared (e.g. the scoring policy does not load)."""


# ---------------------------------------------------------------------------------------------
# Running the eval
# ---------------------------------------------------------------------------------------------


def resolve_now(value: str | None = None) -> datetime:
    """The eval's clock: `value`, else LEADPILOT_NOW, else DEFAULT_NOW (what the dataset's dates assume)."""
    if value is None:
        from leadpilot.settings import get_settings

        pinned = get_settings().now
        if pinned is not None:
            return pinned
    text = (value or DEFAULT_NOW).strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def rule_policy() -> Any | None:
    """The rule scoring policy, or None when the scoring module is not installed."""
    try:
        from leadpilot.tools.scoring import load_policy
    except ImportError:  # HOOK: the scoring module is optional here; without it every tier is empty
        return None
    try:
        return load_policy()
    except ValueError as error:  # PolicyError names the file, the key and the fix
        raise EvalSetupError(f"cannot score the demo leads: {error}") from None


def apply_rule_scores(db: Any, *, now: datetime, policy: Any | None = None) -> bool:
    """Score every lead with the rule policy (default: the configured one), when the scoring module
    is installed (tier and score cases need scores). Returns whether scores were applied."""
    policy = policy or rule_policy()
    if policy is None:
        return False
    from leadpilot.tools.scoring import rescore_leads

    rescore_leads(db, policy=policy, now=now)
    return True


_TRUTHS: dict[tuple[Any, ...], Truth] = {}  # store_key -> the truth over that (read-only) build


def prepared_store(spec: StoreSpec, *, clock: datetime, workdir: Path) -> tuple[Any, Truth, bool]:
    """A copy of the spec's store at `clock`, rule-scored unless the spec says `scores: none`, its
    truth, and whether it was scored as asked. Built, scored and read once per process."""
    policy = rule_policy() if spec.scores else None
    version = policy.version if policy is not None else None
    prepare = None if policy is None else (lambda db: apply_rule_scores(db, now=clock, policy=policy))
    db = open_store(spec, now=clock, workdir=workdir, prepare=prepare, prepared=version)
    key = store_key(spec, now=clock, prepared=version)
    if key not in _TRUTHS:
        try:
            _TRUTHS[key] = Truth.from_store(db, now=clock)
        except BaseException:
            db.dispose()
            raise
    return db, _TRUTHS[key], policy is not None or not spec.scores


@dataclass
class CaseResult:
    case: Case
    expected: Expected
    verdict: Verdict
    tool_calls: list[dict[str, Any]]
    answer: str
    seconds: float
    usage: dict[str, Any] | None = None  # model calls, tokens, latency (evals/llm_backend_run.py)
    error: str | None = None  # the backend error that made this case a miss

    def row(self) -> dict[str, Any]:
        return {"id": self.case.id, "correct": self.verdict.correct, "error": self.error, **(self.usage or {})}

    def miss(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "dataset": self.case.dataset,
            "split": self.case.split,
            "category": self.case.category,
            "turns": list(self.case.turns),
            "as_user": self.case.as_user,
            "tool_calls": self.tool_calls,
            "why": self.verdict.why,
            "expected_count": self.expected.size,
            "expected_scope": self.expected.scope,
            "got_count": self.verdict.got_size,
            "expected_not_got": self.verdict.missing,
            "got_not_expected": self.verdict.extra,
            "answer": self.answer.splitlines()[0][:200] if self.answer else "",
            "error": self.error,
        }


def _run_case(case: Case, expected: Expected, *, db: Any, settings: Any, now: datetime) -> CaseResult:
    """Ask the case's turns in one conversation, as its user; judge the last answer."""
    from leadpilot.agent.deps import AgentDeps
    from leadpilot.evals.llm_backend_run import ask_case, error_verdict
    from leadpilot.interfaces.deps_factory import viewer_for

    viewer = viewer_for(db, email=case.as_user)
    deps = AgentDeps(db=db, settings=settings, now=now, viewer=viewer, conversation_id=f"nlq:{case.id}", channel="evals")
    started = time.perf_counter()
    last, usage, error = ask_case(case.turns, deps)  # an AgentError is this case's miss, with its reason
    if last is None:
        return CaseResult(case, expected, error_verdict(error or "no answer"), [], "", time.perf_counter() - started, usage, error)
    return CaseResult(case, expected, judge(expected, last), last.tool_calls, last.answer, time.perf_counter() - started, usage)


def _select(cases: list[Case], case_ids: Sequence[str] | None, every: int) -> list[Case]:
    if case_ids:
        unknown = set(case_ids) - {c.id for c in cases}
        if unknown:
            raise DatasetError(f"no such case ids: {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.id in set(case_ids)]
    return sample_cases(cases, every)


@dataclass
class _Run:
    """What one run asked so far, across its stores."""

    results: list[CaseResult]
    scored: bool = True
    model: str = "offline planner"
    stores: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False


def _ask_all(
    cases: Sequence[Case], *, backend: Backend, now: datetime, progress: Callable[[int, int], None] | None,
    case_timeout_s: float | None = None, stores: dict[str, StoreSpec] | None = None,
) -> _Run:
    """For each store the cases' datasets name (the demo unless a `<dataset>.store.yaml` says
    otherwise): build it in a throwaway SQLite file at its clock, score it, check every expectation,
    then ask its cases. Results come back in the cases' order."""
    from leadpilot.evals.llm_backend_run import case_settings
    from leadpilot.settings import load_settings

    groups: dict[StoreSpec, list[int]] = defaultdict(list)
    for index, case in enumerate(cases):
        groups[(stores or {}).get(case.dataset, StoreSpec())].append(index)
    run = _Run(results=[])
    by_index: dict[int, CaseResult] = {}
    for spec, indexes in groups.items():
        clock = spec.clock(now)
        with tempfile.TemporaryDirectory(prefix="leadpilot-nlq-") as tmp:
            started = time.perf_counter()
            db, truth, scored = prepared_store(spec, clock=clock, workdir=Path(tmp))
            try:
                run.scored &= scored
                mine = [cases[i] for i in indexes]
                expectations = dict(zip(indexes, truth.check(mine)))
                run.stores.append({"store": spec.name, "datasets": sorted({c.dataset for c in mine}), "now": clock.isoformat(),
                                   "setup_seconds": round(time.perf_counter() - started, 2)})
                # No row cap: result sets compare in full.
                settings = load_settings(now=clock, llm_backend=backend, query_row_cap=100_000, data_dir=Path(tmp),
                                         **case_settings(backend, case_timeout_s))
                run.model = settings.model if backend == "openai" else "offline planner"
                try:
                    for i in indexes:
                        by_index[i] = _run_case(cases[i], expectations[i], db=db, settings=settings, now=clock)
                        if progress:
                            progress(len(by_index), len(cases))
                except KeyboardInterrupt:  # Ctrl-C: report the cases asked so far
                    run.interrupted = True
            finally:
                db.dispose()
        if run.interrupted:
            break
    run.results = [by_index[i] for i in sorted(by_index)]
    return run


def _summary(results: Sequence[CaseResult], key: Callable[[Case], str]) -> dict[str, dict[str, Any]]:
    """Cases, correct and accuracy per group of cases (`key` names a case's group)."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        groups[key(result.case)].append(result.verdict.correct)
    return {
        name: {"cases": len(marks), "correct": sum(marks), "accuracy": round(sum(marks) / len(marks), 4)}
        for name, marks in sorted(groups.items())
    }


def _breakdowns(results: Sequence[CaseResult]) -> dict[str, dict[str, dict[str, Any]]]:
    """Accuracy per dataset, per split, per dataset and split, per category, per dataset and category."""
    return {
        "by_dataset": _summary(results, lambda c: c.dataset),
        "by_split": _summary(results, lambda c: c.split),
        "by_dataset_split": _summary(results, lambda c: f"{c.dataset}/{c.split}"),
        "by_category": _summary(results, lambda c: c.category),
        "by_dataset_category": _summary(results, lambda c: f"{c.dataset}/{c.category}"),
    }


def run_nlq_eval(
    *,
    backend: Backend = "offline",
    now: datetime | None = None,
    datasets: Sequence[Path] | None = None,
    case_ids: Sequence[str] | None = None,
    every: int = 1,
    min_accuracy: float = DEFAULT_MIN_ACCURACY,
    progress: Callable[[int, int], None] | None = None,
    case_timeout_s: float | None = None,
) -> dict[str, Any]:
    """Seed a throwaway store at `now`, ask every case of `datasets` (default: nlq.yaml and every
    other shipped nlq_*.yaml: nlq_messy, nlq_fresh) or only `case_ids`, or every `every`-th case of
    each category, and report exact-set accuracy overall (the threshold), per dataset, split and category, and every miss.

    Raises DatasetError for a malformed dataset, EvalSetupError when the store cannot be prepared
    (a backend error is that case's miss, with its reason; Ctrl-C reports the cases asked so far).
    """
    from leadpilot.evals.llm_backend_run import usage_summary

    started = time.perf_counter()
    now = now or resolve_now()
    paths = [Path(p) for p in datasets] if datasets else default_dataset_paths()
    cases = _select(load_datasets(paths), case_ids, every)
    run = _ask_all(cases, backend=backend, now=now, progress=progress, case_timeout_s=case_timeout_s,
                   stores={p.stem: store_for(p) for p in paths})
    results, scored, model = run.results, run.scored, run.model
    correct = sum(r.verdict.correct for r in results)
    accuracy = round(correct / len(results), 4) if results else 0.0
    turns = sum(len(r.case.turns) for r in results)
    return {
        "eval": "nlq",
        "backend": backend,
        "model": model,
        "now": now.isoformat(),
        "datasets": [str(p) for p in paths],
        "stores": run.stores,
        "scores_applied": scored,
        "cases": len(results),
        "correct": correct,
        "accuracy": accuracy,
        "min_accuracy": min_accuracy,
        "passed": accuracy >= min_accuracy,
        **_breakdowns(results),
        "empty_expectations": [r.case.id for r in results if r.expected.kind in ("set", "ordered") and not r.expected.ids],
        "misses": [r.miss() for r in results if not r.verdict.correct],
        "interrupted": run.interrupted,
        "per_case": [r.row() for r in results],
        "usage": usage_summary([r.row() for r in results]),
        "seconds_per_question": round(sum(r.seconds for r in results) / max(1, turns), 4),
        "seconds_total": round(time.perf_counter() - started, 2),
    }


# ---------------------------------------------------------------------------------------------
# For people
# ---------------------------------------------------------------------------------------------


def render_nlq(report: dict[str, Any], console: Console) -> None:
    from leadpilot.evals.llm_backend_run import usage_line

    verdict = "[green]pass[/green]" if report["passed"] else "[red]FAIL[/red]"
    console.print(
        f"[bold]NLQ eval[/bold] — {report['cases']} cases, backend {report['backend']} ({report['model']}), "
        f"clock {report['now']}: exact-set accuracy [bold]{report['accuracy']:.1%}[/bold] "
        f"({report['correct']}/{report['cases']}), threshold {report['min_accuracy']:.0%}: {verdict}"
    )
    for store in report.get("stores") or []:
        if store["store"] != "demo":
            console.print(f"store {store['store']} for {', '.join(store['datasets'])}: imported at {store['now']} "
                          f"in {store['setup_seconds']:.1f} s")
    several = len(report["by_dataset"]) > 1
    if several:
        console.print(accuracy_table("By dataset", group="dataset", rows=report["by_dataset"]))
    console.print(accuracy_table("By split", group="dataset/split" if several else "split",
                                 rows=report["by_dataset_split"] if several else report["by_split"]))
    console.print(accuracy_table("By category", group="dataset/category" if several else "category",
                                 rows=report["by_dataset_category"] if several else report["by_category"]))
    for miss in report["misses"]:
        turns = " → ".join(repr(t) for t in miss["turns"])
        who = f" (as {miss['as_user']})" if miss["as_user"] else ""
        scope = f" {miss['expected_scope']}" if miss.get("expected_scope") else ""
        lines = [f"{miss['id']} [{miss['dataset']}/{miss['category']}, {miss['split']}]{who}: {turns}",
                 f"  {miss['why']}; expected {miss['expected_count']}{scope}, got {miss['got_count']}"]
        lines += [f"  call {call['name']} {call['args']}" for call in miss["tool_calls"]]
        if miss["expected_not_got"] or miss["got_not_expected"]:
            lines.append(f"  expected, not got: {miss['expected_not_got']}; got, not expected: {miss['got_not_expected']}")
        if not miss["tool_calls"]:
            lines.append(f"  answer: {miss['answer']}")
        console.print(Text("miss ", style="red") + Text("\n".join(lines)), highlight=False)
    if not report["scores_applied"]:
        console.print("[yellow]warning:[/yellow] no scoring module: leads are unscored, tier and score cases cannot pass")
    if report["empty_expectations"]:
        console.print(f"[yellow]note:[/yellow] cases expecting no leads (weak checks): {', '.join(report['empty_expectations'])}")
    console.print(f"{report['seconds_per_question'] * 1000:.0f} ms per question, {report['seconds_total']:.1f} s in all")
    if report["backend"] == "openai" or report.get("interrupted"):
        console.print(usage_line(report))
