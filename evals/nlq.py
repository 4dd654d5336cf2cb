"""`evals nlq`: does the agent read sales questions right? Exact-set accuracy over the demo data.

Each case in datasets/nlq.yaml is a question (or a conversation, judged on its last turn) and the
answer it should get, written as a filter over the data in a small declarative language:

    expect: {leads: {tier: [hot], industry: [fintech], not_contacted_days: 3}}
    expect: {leads: {industry: [saas]}, order: score desc, limit: 10}
    expect: {rows: {group_by: source, metric: count, where: {created: this_month}}}
    expect: {lead: {id: 42}}            expect: {lead: {company: Pioneer Systems}}
    expect: {refuse: true}
    expect: {call: {name: follow_ups_due, args: {day: today}}}   (the tool call; its data is tested in tests/)

evals/nlq_truth.py evaluates that language itself, in plain Python over the leads and activities
read from the store, deliberately apart from tools/leads/filter.py's SQL compilation: a compiler
bug shows up as a miss instead of agreeing with itself. The language (every key ANDed):

- categorical, a list means "any of": tier, industry, country, state, city, region, source, stage,
  owner (rep email, "unassigned", or "me" = the case's `as_user`); each also as `not_<key>`
  (a missing value counts as "not").
- ranges `{gt, gte, lt, lte}`: employees, score, probability; `segment` = size bands
  (enterprise 1000+, mid-market 100-999, smb 10-99, micro 1-9). `open`, `converted`: booleans.
- time windows, resolved against the pinned clock (weeks start Monday, days are UTC days): a name
  (today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter,
  this_year, last_year, weekend = the latest Saturday and Sunday) or `{days: N}` (the last N x 24
  hours), `{since: X}`, `{before: X}` where X is a weekday, "october 5" or "october" (the latest
  one) or an ISO date/time, `{month: october | YYYY-MM}`, `{older_than_days: N}`.
  Keys: `created`, `contacted` (the last contact falls inside the window), `not_contacted_days: N`
  (no contact in the last N days, never contacted included), `not_contacted_since: DATE|WEEKDAY`
  (likewise), `never_contacted: bool`.
- `activity: [{kind, page?, window?, absent?}]`: the lead has (or, absent, has not) such an
  activity; `page` matches a path segment that starts with it ("pricing" is /pricing, not
  /blog/usage-based-pricing-guide).
- `company` (exact name, any case), `id` (list of lead ids).

Rows also take the analytics reports' numbers: metrics `median_hours` / `p90_hours` (hours from
creation to the first outbound email, call or meeting, else the last contact; linear
interpolation), group `score_bucket` ("70-79", the top score in "90-100", "unscored"), and
`group_by: channel` with metric `first_touch` (a converted lead's source) or `last_touch` (the
channel of its last inbound touch at or before conversion, see tools/analytics/attribution.py; none = its
source). A count of 0 is the same as no row.

A search is compared as the set of lead ids; with `order` ("score desc", ties by id like the
tool) and `limit`/`offset` as the ordered list; aggregate rows as a multiset of (group, number),
rates to 4 decimals and average scores to 1; a total (no group_by) as its single number.
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

from leadpilot.evals.nlq_cases import Case, DatasetError, default_dataset_path, load_cases, sample_cases
from leadpilot.evals.nlq_truth import Expected, Truth
from leadpilot.evals.tables import accuracy_table

DEFAULT_NOW = "2026-11-20T12:00:00Z"
DEFAULT_MIN_ACCURACY = 0.95
Backend = Literal["offline", "openai"]
REFUSAL_PHRASE = "i don't understand"


class EvalSetupError(RuntimeError):
    """The eval's store could not be prepared (e.g. the scoring policy does not load)."""


# ---------------------------------------------------------------------------------------------
# Judging an answer
# ---------------------------------------------------------------------------------------------

_ROUNDING = {"count": 0, "conversion_rate": 4, "avg_score": 1, "median_hours": 1, "p90_hours": 1, "first_touch": 0, "last_touch": 0}



@dataclass
class Verdict:
    correct: bool
    got_size: int
    why: str = ""
    missing: list[Any] = field(default_factory=list)  # expected, not got (a few)
    extra: list[Any] = field(default_factory=list)  # got, not expected (a few)


def _close(a: float | None, b: float | None, digits: int) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 0.5 * 10**-digits + 1e-9


def _refused(answer: Any) -> bool:
    return not answer.tool_calls and REFUSAL_PHRASE in answer.answer.lower().replace("’", "'")


def judge(expected: Expected, answer: Any, *, sample: int = 5) -> Verdict:
    """Compare what the agent answered (an AgentAnswer) with what it should have."""
    if expected.kind == "refuse":
        ok = _refused(answer)
        return Verdict(ok, len(answer.leads) + len(answer.rows), "" if ok else "answered instead of refusing")
    if not answer.tool_calls:
        return Verdict(False, 0, "no tool call (refused or asked back)")
    if expected.kind == "call":
        want = {"name": expected.call[0], "args": expected.call[1]}
        ok = answer.tool_calls == [want]
        return Verdict(ok, len(answer.tool_calls), "" if ok else "different tool call", [want], answer.tool_calls[:sample])
    if expected.kind in ("rows", "total"):
        return _judge_rows(expected, answer.rows, sample=sample)
    got = [lead["id"] for lead in answer.leads]
    if expected.kind == "ordered":
        ok = got == list(expected.ids)
        first_diff = next((i for i, (a, b) in enumerate(zip(got, expected.ids)) if a != b), min(len(got), len(expected.ids)))
        return Verdict(ok, len(got), "" if ok else f"order differs from position {first_diff + 1}",
                       missing=list(expected.ids[first_diff : first_diff + sample]), extra=got[first_diff : first_diff + sample])
    missing = sorted(set(expected.ids) - set(got))
    extra = sorted(set(got) - set(expected.ids))
    ok = not missing and not extra and len(got) == len(set(got))
    return Verdict(ok, len(set(got)), "" if ok else "different leads", missing=missing[:sample], extra=extra[:sample])


def _judge_rows(expected: Expected, rows: list[dict[str, Any]], *, sample: int) -> Verdict:
    digits = _ROUNDING.get(expected.metric or "count", 4)
    if expected.kind == "total":
        want = expected.rows[0][1]
        numbers = [row.get(expected.metric) for row in rows]
        if not rows and want in (0, None):
            return Verdict(True, 0)
        if len(rows) != 1 or expected.metric not in rows[0]:
            return Verdict(False, len(rows), f"expected one {expected.metric} total, got {len(rows)} rows", [want], rows[:sample])
        ok = _close(numbers[0], want, digits)
        return Verdict(ok, 1, "" if ok else "different total", [want], numbers)
    got: list[tuple[str, float | None]] = []
    for row in rows:
        if expected.group_by not in row or expected.metric not in row:
            return Verdict(False, len(rows), f"rows are not {expected.metric} by {expected.group_by}: {rows[:2]}")
        got.append((str(row[expected.group_by]), row[expected.metric]))
    want = dict(expected.rows)
    if expected.metric in ("count", "first_touch", "last_touch"):
        got = [(k, v) for k, v in got if v != 0 or k in want]  # a count of 0 is no row
    have = dict(got)
    missing = [(k, v) for k, v in expected.rows if k not in have or not _close(have[k], v, digits)]
    extra = [(k, v) for k, v in sorted(got, key=lambda kv: kv[0]) if k not in want or not _close(want[k], v, digits)]
    ok = not missing and not extra and len(have) == len(got)
    return Verdict(ok, len(got), "" if ok else "different rows", missing[:sample], extra[:sample])


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


def apply_rule_scores(db: Any, *, now: datetime) -> bool:
    """Score every lead with the rule policy, when the scoring module is installed (tier and score
    cases need scores). Returns whether scores were applied."""
    try:
        from leadpilot.tools.scoring import rescore_leads
        from leadpilot.tools.scoring import load_policy
    except ImportError:  # HOOK: the scoring module is optional here; without it every tier is empty
        return False
    try:
        policy = load_policy()
    except ValueError as error:  # PolicyError names the file, the key and the fix
        raise EvalSetupError(f"cannot score the demo leads: {error}") from None
    rescore_leads(db, policy=policy, now=now)
    return True


@dataclass
class CaseResult:
    case: Case
    expected: Expected
    verdict: Verdict
    tool_calls: list[dict[str, Any]]
    answer: str
    seconds: float

    def miss(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "category": self.case.category,
            "turns": list(self.case.turns),
            "as_user": self.case.as_user,
            "tool_calls": self.tool_calls,
            "why": self.verdict.why,
            "expected_count": self.expected.size,
            "got_count": self.verdict.got_size,
            "expected_not_got": self.verdict.missing,
            "got_not_expected": self.verdict.extra,
            "answer": self.answer.splitlines()[0][:200] if self.answer else "",
        }


def _run_case(case: Case, expected: Expected, *, db: Any, settings: Any, now: datetime) -> CaseResult:
    """Ask the case's turns in one conversation, as its user; judge the last answer."""
    from leadpilot.agent.deps import AgentDeps
    from leadpilot.agent.runner import run_agent
    from leadpilot.interfaces.deps_factory import viewer_for

    viewer = viewer_for(db, email=case.as_user)
    deps = AgentDeps(db=db, settings=settings, now=now, viewer=viewer, conversation_id=f"nlq:{case.id}", channel="evals")
    started = time.perf_counter()
    answers = [run_agent(turn, deps=deps) for turn in case.turns]
    last = answers[-1]
    return CaseResult(case, expected, judge(expected, last), last.tool_calls, last.answer, time.perf_counter() - started)


def _select(cases: list[Case], case_ids: Sequence[str] | None, every: int) -> list[Case]:
    if case_ids:
        unknown = set(case_ids) - {c.id for c in cases}
        if unknown:
            raise DatasetError(f"no such case ids: {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.id in set(case_ids)]
    return sample_cases(cases, every)


def _ask_all(
    cases: Sequence[Case], *, backend: Backend, now: datetime, progress: Callable[[int, int], None] | None
) -> tuple[list[CaseResult], bool, str]:
    """Seed a throwaway store, score it, and run every case. Returns results, whether scores were
    applied, and the model name."""
    from leadpilot.memory.db import open_database
    from leadpilot.memory.seed import seed_demo
    from leadpilot.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="leadpilot-nlq-") as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'nlq.db'}")
        try:
            seed_demo(db, now=now)
            scored = apply_rule_scores(db, now=now)
            truth = Truth.from_store(db, now=now)
            truth.check(cases)
            # No row cap: result sets compare in full.
            settings = load_settings(now=now, llm_backend=backend, query_row_cap=100_000, data_dir=Path(tmp))
            results = []
            for index, case in enumerate(cases, start=1):
                results.append(_run_case(case, truth.expected(case), db=db, settings=settings, now=now))
                if progress:
                    progress(index, len(cases))
        finally:
            db.dispose()
    return results, scored, settings.model if backend == "openai" else "offline planner"


def _summary(results: Sequence[CaseResult]) -> dict[str, Any]:
    by_category: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by_category[result.case.category].append(result.verdict.correct)
    return {
        name: {"cases": len(marks), "correct": sum(marks), "accuracy": round(sum(marks) / len(marks), 4)}
        for name, marks in sorted(by_category.items())
    }


def run_nlq_eval(
    *,
    backend: Backend = "offline",
    now: datetime | None = None,
    dataset: Path | None = None,
    case_ids: Sequence[str] | None = None,
    every: int = 1,
    min_accuracy: float = DEFAULT_MIN_ACCURACY,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Seed a throwaway store at `now`, ask every case (or `case_ids`, or every `every`-th case of
    each category), and report exact-set accuracy, per category, and every miss.

    Raises DatasetError for a malformed dataset, EvalSetupError when the store cannot be prepared
    and AgentError when the model backend fails.
    """
    started = time.perf_counter()
    now = now or resolve_now()
    path = dataset or default_dataset_path()
    cases = _select(load_cases(path), case_ids, every)
    results, scored, model = _ask_all(cases, backend=backend, now=now, progress=progress)
    correct = sum(r.verdict.correct for r in results)
    accuracy = round(correct / len(results), 4) if results else 0.0
    turns = sum(len(r.case.turns) for r in results)
    return {
        "eval": "nlq",
        "backend": backend,
        "model": model,
        "now": now.isoformat(),
        "dataset": str(path),
        "scores_applied": scored,
        "cases": len(results),
        "correct": correct,
        "accuracy": accuracy,
        "min_accuracy": min_accuracy,
        "passed": accuracy >= min_accuracy,
        "by_category": _summary(results),
        "empty_expectations": [r.case.id for r in results if r.expected.kind in ("set", "ordered") and not r.expected.ids],
        "misses": [r.miss() for r in results if not r.verdict.correct],
        "seconds_per_question": round(sum(r.seconds for r in results) / max(1, turns), 4),
        "seconds_total": round(time.perf_counter() - started, 2),
    }


# ---------------------------------------------------------------------------------------------
# For people
# ---------------------------------------------------------------------------------------------


def render_nlq(report: dict[str, Any], console: Console) -> None:
    verdict = "[green]pass[/green]" if report["passed"] else "[red]FAIL[/red]"
    console.print(
        f"[bold]NLQ eval[/bold] — {report['cases']} cases, backend {report['backend']} ({report['model']}), "
        f"clock {report['now']}: exact-set accuracy [bold]{report['accuracy']:.1%}[/bold] "
        f"({report['correct']}/{report['cases']}), threshold {report['min_accuracy']:.0%}: {verdict}"
    )
    console.print(accuracy_table("By category", group="category", rows=report["by_category"]))
    for miss in report["misses"]:
        turns = " → ".join(repr(t) for t in miss["turns"])
        who = f" (as {miss['as_user']})" if miss["as_user"] else ""
        lines = [f"{miss['id']} [{miss['category']}]{who}: {turns}",
                 f"  {miss['why']}; expected {miss['expected_count']}, got {miss['got_count']}"]
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
