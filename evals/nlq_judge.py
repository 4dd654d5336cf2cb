"""Judging one `evals nlq` answer against its expectation: lead sets or ordered lists, aggregate
rows, refusals (out of scope, or a write request), tool calls, multi-part answers part by part,
what the answer says (asks which company, names the owner, says a value is not in the data:
evals/nlq_said.py), and what it says it read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from leadpilot.evals import nlq_said
from leadpilot.evals.nlq_truth import Expected

REFUSAL_PHRASE = "i don't understand"
WRITE_REFUSAL_PHRASE = "can't change data"
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


def _text(answer: Any) -> str:
    return str(answer.answer or "").lower().replace("’", "'")


def _refused(answer: Any, refusal: str | None) -> bool:
    phrase = WRITE_REFUSAL_PHRASE if refusal == "write" else REFUSAL_PHRASE
    return not answer.tool_calls and phrase in _text(answer)


def _words(text: str) -> list[str]:
    """Lower-case words, a plural "s" dropped ("referrals" is "referral")."""
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[a-z0-9]+", text.lower())]


def _contains(words: list[str], phrase: list[str]) -> bool:
    return any(words[i : i + len(phrase)] == phrase for i in range(len(words) - len(phrase) + 1))


def said_it_read(text: str, word: str) -> bool:
    """Does the answer say it read `word`? A "Read 'X' as Y" sentence names (part of) it, and the
    answer names all of it: "Read 'fransisco' as Francisco ... city: San Francisco" reads san francisco."""
    text = text.lower().replace("’", "'")
    clauses = re.findall(r"\bread\b.*?(?:\.(?=\s|$)|\n|$)", text)
    wanted = _words(word)
    named = any(set(wanted) & set(_words(clause)) for clause in clauses)
    return bool(wanted) and named and _contains(_words(text), wanted)


def judge(expected: Expected, answer: Any, *, sample: int = 5) -> Verdict:
    """Compare what the agent answered (an AgentAnswer) with what it should have."""
    verdict = _judge_data(expected, answer, sample=sample)
    unread = [word for word in expected.reads if not said_it_read(_text(answer), word)]
    if verdict.correct and unread:
        return Verdict(False, verdict.got_size, f"the answer does not say it read {', '.join(map(repr, unread))}", unread)
    return verdict


def _judge_data(expected: Expected, answer: Any, *, sample: int) -> Verdict:
    if expected.kind == "refuse":
        ok = _refused(answer, expected.refusal)
        if ok:
            return Verdict(True, 0)
        what = "the can't-change-data message" if expected.refusal == "write" else "an \"I don't understand\" refusal"
        return Verdict(False, len(answer.leads) + len(answer.rows), f"expected {what}", extra=[str(answer.answer)[:120]])
    if expected.kind in ("asks", "owner", "unknown"):
        ok, why = {
            "asks": lambda: nlq_said.judge_asks(expected.names, answer),
            "owner": lambda: nlq_said.judge_owner(expected.names, expected.others, answer),
            "unknown": lambda: nlq_said.judge_unknown(expected.names[0], answer),
        }[expected.kind]()
        return Verdict(ok, len(answer.leads), why, extra=[] if ok else [str(answer.answer)[:120]])
    if not answer.tool_calls:
        return Verdict(False, 0, "no tool call (refused or asked back)")
    if expected.kind == "parts":
        return _judge_parts(expected, answer, sample=sample)
    if expected.kind == "call":
        want = {"name": expected.call[0], "args": expected.call[1]}
        ok = answer.tool_calls == [want]
        return Verdict(ok, len(answer.tool_calls), "" if ok else "different tool call", [want], answer.tool_calls[:sample])
    if expected.kind in ("rows", "total"):
        return _judge_rows(expected, answer.rows, sample=sample)
    got = _lead_ids(answer)
    if expected.kind == "ordered":
        ok = got == list(expected.ids)
        first_diff = next((i for i, (a, b) in enumerate(zip(got, expected.ids)) if a != b), min(len(got), len(expected.ids)))
        return Verdict(ok, len(got), "" if ok else f"order differs from position {first_diff + 1}",
                       missing=list(expected.ids[first_diff : first_diff + sample]), extra=got[first_diff : first_diff + sample])
    if not expected.ids and not got and nlq_said.says_not_in_data(_text(answer)):
        return Verdict(False, 0, "the answer says a value is not in the data; it is, only no lead matches")
    missing = sorted(set(expected.ids) - set(got))
    extra = sorted(set(got) - set(expected.ids))
    ok = not missing and not extra and len(got) == len(set(got))
    return Verdict(ok, len(set(got)), "" if ok else "different leads", missing=missing[:sample], extra=extra[:sample])


def _lead_ids(answer: Any) -> list[int]:
    """The leads the answer is about: its list, else the one lead a score explanation was about
    ("why is Northgate Systems hot?" names the lead it explains, not a list)."""
    if answer.leads:
        return [lead["id"] for lead in answer.leads]
    explained = getattr(answer, "score_explanation", None) or {}
    return [explained["lead_id"]] if isinstance(explained.get("lead_id"), int) else []


def _judge_parts(expected: Expected, answer: Any, *, sample: int) -> Verdict:
    """Each expected part against the answer's tool results in order; all must hold."""
    results = list(getattr(answer, "parts", None) or [])
    if len(results) != len(expected.parts):
        return Verdict(False, len(results), f"expected {len(expected.parts)} parts, got {len(results)} tool results",
                       extra=[r.get("call", {}).get("name") for r in results][:sample])
    for number, (part, result) in enumerate(zip(expected.parts, results), start=1):
        one = SimpleNamespace(tool_calls=[result.get("call") or {}], leads=result.get("leads") or [], rows=result.get("rows") or [],
                              answer=answer.answer)
        verdict = _judge_data(part, one, sample=sample)
        if not verdict.correct:
            return Verdict(False, verdict.got_size, f"part {number}: {verdict.why}", verdict.missing, verdict.extra)
    return Verdict(True, sum(len(r.get("leads") or []) + len(r.get("rows") or []) for r in results))


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
