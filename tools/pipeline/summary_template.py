"""The summary template: the wording of the template summary, read from
prompts/lead_summary_template.md (`key = text` lines) and checked against the keys and the
placeholders each may use.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

TEMPLATE_FILE = "lead_summary_template.md"

# Strongest buying signal first: the order of the activity list and of a warm email's hook.
_SIGNAL_ORDER = ("pricing", "form_submit", "meeting", "call", "email_clicked", "email_opened", "page_view")


class SummaryTemplateError(ValueError):
    """The summary template file is broken; the message names the file, the line or key, and the fix."""


# Every key of the template file and the placeholders it may use.
_TEMPLATE_KEYS: dict[str, frozenset[str]] = {key: frozenset(names) for key, names in {
    "who": {"contact", "title"}, "who.no_title": {"contact"}, "who.level": {"level"},
    "who.reach": {"reach"}, "who.no_reach": set(),
    "company": {"company", "profile"}, "company.bare": {"company"}, "company.description": {"description"},
    "company.customer": {"account_lead_id"}, "company.account": {"account_lead_id"},
    "why_now": {"source", "created"}, "why_now.activity": {"days", "activity", "latest"}, "why_now.quiet": {"days"},
    "why_now.contacted": {"contacted"}, "why_now.never_contacted": set(), "why_now.notes": {"notes"},
    **{f"noun.{key}": set() for key in _SIGNAL_ORDER},
    "score": {"score", "cap", "tier", "hot", "warm"}, "score.no_tiers": {"score", "cap", "tier"}, "score.grid": {"score", "cap", "tier", "axes"}, "score.story": {"story"}, "score.reasons": {"reasons"}, "score.unscored": set(),
    "similar": {"won", "total", "accounts"}, "similar.none": {"indexed"}, "similar.unavailable": {"why"},
    "owner": {"owner", "rule", "at", "reason"}, "owner.queue": {"queue", "rule", "at", "reason"},
    "owner.manual": {"owner"}, "owner.unassigned": set(),
    "next.hot.in_hours": {"contact", "local_time", "zone"}, "next.hot.after_hours": {"contact", "next_open", "zone", "local_time"},
    "next.hot.no_zone": {"contact"}, "next.hot.no_phone": set(), "next.warm": {"contact", "hook"},
    "next.cold": {"contact"}, "next.unscored": set(),
    **{f"hook.{key}": set() for key in _SIGNAL_ORDER}, "hook.title": {"title"}, "hook.company": {"company"}, "hook.none": set(),
    "next.probability": {"model", "probability", "priority", "confidence"},
}.items()}


@dataclass(frozen=True)
class SummaryTemplate:
    """The wording of the template summary: text per key, checked against _TEMPLATE_KEYS."""

    path: str
    texts: dict[str, str]

    def say(self, key: str, **values: Any) -> str:
        return self.texts[key].format(**values)

    def count(self, noun: str, count: int) -> str:
        """"3 pricing page visits" from the key's singular|plural."""
        singular, plural = self.texts[f"noun.{noun}"].split("|", 1)
        return f"{count} {singular.strip() if count == 1 else plural.strip()}"

    def singular(self, noun: str) -> str:
        return self.texts[f"noun.{noun}"].split("|", 1)[0].strip()


def parse_summary_template(text: str, *, path: str) -> SummaryTemplate:
    """Parse and check `key = text` lines; errors name the file, the line or key, and the fix."""
    texts: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        where = f"{path}, line {number}"
        if not equals or not key:
            raise SummaryTemplateError(f"{where}: {line!r} is not `key = text`; write it as e.g. `who = Who: {{contact}}.`")
        if key not in _TEMPLATE_KEYS:
            raise SummaryTemplateError(f"{where}: unknown key {key!r}; the keys are: {', '.join(_TEMPLATE_KEYS)}")
        if key in texts:
            raise SummaryTemplateError(f"{where}: {key!r} is given twice; keep one")
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            raise SummaryTemplateError(f"{where}: {key!r} has a broken placeholder ({error}); write placeholders as {{name}} and double {{{{ }}}} for literal braces") from None
        if unknown := used - _TEMPLATE_KEYS[key]:
            allowed = ", ".join(f"{{{name}}}" for name in sorted(_TEMPLATE_KEYS[key])) or "none"
            raise SummaryTemplateError(f"{where}: {key!r} uses {', '.join(f'{{{n}}}' for n in sorted(unknown))}, which it cannot; it may use: {allowed}")
        if key.startswith("noun.") and "|" not in value:
            raise SummaryTemplateError(f"{where}: {key!r} needs `singular|plural`, e.g. `meeting|meetings`")
        texts[key] = value
    if missing := [key for key in _TEMPLATE_KEYS if key not in texts]:
        raise SummaryTemplateError(f"{path}: missing key(s) {', '.join(missing)}; add a `key = text` line for each")
    return SummaryTemplate(path=path, texts=texts)


@lru_cache(maxsize=4)
def load_summary_template(path: Path | None = None) -> SummaryTemplate:
    """The template file shipped in prompts/ (or `path`), parsed and checked once."""
    resource = files("leadpilot.prompts").joinpath(TEMPLATE_FILE) if path is None else path
    return parse_summary_template(resource.read_text(encoding="utf-8"), path=str(path or f"prompts/{TEMPLATE_FILE}"))
