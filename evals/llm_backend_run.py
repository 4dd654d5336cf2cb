"""`evals nlq --backend openai` against any OpenAI-compatible server: one case at a time under its
own deadline, an error counted as a miss with its reason (the eval goes on), and per question the
model calls (round trips), prompt and completion tokens and latency.

evals/nlq.py asks each case through `ask_case`; `usage_summary` adds the totals to its report and
`compare_backends` puts several reports side by side (evals/report.py renders them).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from leadpilot.evals.nlq_judge import Verdict

DEFAULT_CASE_TIMEOUT_S = 120.0
_USAGE_KEYS = ("round_trips", "prompt_tokens", "completion_tokens")


def case_settings(backend: str, case_timeout_s: float | None) -> dict[str, Any]:
    """Settings overrides for the eval's runs: each question's deadline is the per-case timeout."""
    if backend != "openai":
        return {}
    return {"llm_deadline_s": case_timeout_s or DEFAULT_CASE_TIMEOUT_S}


def ask_case(turns: Sequence[str], deps: Any) -> tuple[Any, dict[str, Any], str | None]:
    """Ask a case's turns in one conversation: (the last answer or None, usage summed over the
    turns with latency, the error that ended it or None). An AgentError is the case's miss."""
    from leadpilot.agent.runner import AgentError, run_agent

    usage = {key: 0 for key in _USAGE_KEYS}
    started = time.perf_counter()
    answer, error = None, None
    for turn in turns:
        try:
            answer = run_agent(turn, deps=deps)
        except AgentError as failure:
            answer, error = None, str(failure)
            break
        for key in _USAGE_KEYS:
            usage[key] += (answer.usage or {}).get(key, 0)
    usage["seconds"] = round(time.perf_counter() - started, 3)
    return answer, usage, error


def error_verdict(error: str) -> Verdict:
    return Verdict(correct=False, got_size=0, why=f"backend error: {error}")


def usage_summary(per_case: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals and means of the per-question usage, and how many cases ended in an error."""
    n = max(1, len(per_case))
    totals = {key: sum(c.get(key) or 0 for c in per_case) for key in (*_USAGE_KEYS, "seconds")}
    return {
        **{f"total_{key}": round(value, 3) for key, value in totals.items()},
        **{f"mean_{key}": round(value / n, 2) for key, value in totals.items()},
        "errors": sum(1 for c in per_case if c.get("error")),
    }


def compare_backends(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several nlq reports (one per backend or server) side by side: accuracy, errors, usage, and
    each case's verdict per backend."""
    names = [f"{r.get('backend')}:{r.get('model')}" for r in reports]
    cases: dict[str, dict[str, Any]] = {}
    for name, report in zip(names, reports):
        for case in report.get("per_case", []):
            cases.setdefault(case["id"], {})[name] = case
    return {
        "backends": [
            {"name": name, "accuracy": r.get("accuracy"), "cases": r.get("cases"), "interrupted": r.get("interrupted", False),
             **(r.get("usage") or {})}
            for name, r in zip(names, reports)
        ],
        "cases": cases,
    }


def usage_line(report: dict[str, Any]) -> str:
    """One line for people: model calls, tokens and latency per question, errors, interruption."""
    usage = report.get("usage") or {}
    line = (f"per question: {usage.get('mean_round_trips', 0):g} model calls, {usage.get('mean_prompt_tokens', 0):,.0f} prompt + "
            f"{usage.get('mean_completion_tokens', 0):,.0f} completion tokens, {usage.get('mean_seconds', 0):.2f} s; "
            f"{usage.get('errors', 0)} backend errors (counted as misses)")
    return line + ("; INTERRUPTED: partial results" if report.get("interrupted") else "")


def check_reachable(settings: Any) -> None:
    """Fail fast (AgentError) when nothing answers at the configured server: a wrong URL is bad
    input, not a miss per case."""
    import httpx

    from leadpilot.agent.runner import AgentError

    url = (settings.openai_base_url or "https://api.openai.com/v1").rstrip("/") + "/models"
    try:
        httpx.get(url, headers={"Authorization": f"Bearer {settings.openai_api_key or ''}"}, timeout=5.0)
    except httpx.HTTPError as error:
        raise AgentError(f"The OpenAI-compatible backend at {settings.openai_base_url or 'api.openai.com'} cannot be reached: {error}") from None
