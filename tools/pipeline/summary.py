"""Lead summaries for the rep: 6-8 bullets on who, the company, why now, the score, similar past
accounts, the owner and the suggested next step.

`gather_facts` (summary_facts) reads everything from the store in one read-only session (the lead,
its activities, its score breakdown, the latest routing decision, similar closed accounts from the
semantic index, the conversion model's probability when one is trained). `render_template`
(summary_wording) words those facts with prompts/lead_summary_template.md (summary_template):
deterministic and offline. With an OpenAI-compatible LLM configured, prompts/lead_summary.md plus
the same facts as delimited JSON go to the model, and its answer is checked (summary_llm: 6-8
plain-text bullets, length caps, no number that is not in the facts); anything wrong, or the LLM
down or slow, gives the template summary with the reason.

This module holds the summary itself (`summarize_lead`) and its rendering for Slack and the web chat.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, Field

from leadpilot.memory.db import Database
from leadpilot.settings import Settings
from leadpilot.tools.pipeline.summary_facts import gather_facts
from leadpilot.tools.pipeline.summary_llm import (
    MAX_BULLETS,
    MIN_BULLETS,
    PROMPT_FILE,
    SummaryLLMError,
    _ask_llm,
    check_llm_bullets,
    facts_message,
)
from leadpilot.tools.pipeline.summary_template import load_summary_template
from leadpilot.tools.pipeline.summary_wording import render_template

log = logging.getLogger(__name__)


class LeadSummary(BaseModel):
    """What the rep reads about a routed lead, and where the wording came from."""

    lead_id: int
    bullets: list[str] = Field(min_length=MIN_BULLETS, max_length=MAX_BULLETS)
    source: Literal["llm", "template"]
    model: str | None = Field(None, description="The LLM that wrote the bullets (source llm).")
    fallback_reason: str | None = Field(None, description="Why the configured LLM was not used.")
    generated_at: datetime
    conversion_probability: float | None = Field(
        None, description="The conversion model's probability behind the summary (None: no model trained).")
    conversion_model: str | None = None
    conversion_priority: str | None = None  # the model's tier: top, high, medium, low
    score_story: str | None = Field(None, description="When the rule tier and the model disagree, the sentence that says so.")


def summarize_lead(db: Database, *, lead_id: int, now: datetime, settings: Settings) -> LeadSummary:
    """The rep's summary of a lead: by the LLM when one is configured and answers well, else the
    template (then `fallback_reason` says why the LLM was not used). Reads only."""
    template = load_summary_template()
    facts = gather_facts(db, lead_id=lead_id, now=now, settings=settings, template=template)
    bullets = render_template(facts, template=template)
    conversion = facts.next_step.conversion
    made = {"lead_id": lead_id, "generated_at": now, "conversion_probability": conversion.value if conversion else None,
            "conversion_model": conversion.model if conversion else None,
            "conversion_priority": conversion.priority if conversion else None, "score_story": facts.score.story}
    if settings.effective_llm_backend != "openai":
        return LeadSummary(bullets=bullets, source="template", **made)
    user = facts_message(facts, next_step=bullets[-1])
    system = files("leadpilot.prompts").joinpath(PROMPT_FILE).read_text(encoding="utf-8")
    try:
        answer, model = _ask_llm(settings, system=system, user=user)
        llm_bullets = check_llm_bullets(answer, facts_text=user)
    except SummaryLLMError as error:
        log.warning("lead %s: template summary instead of the LLM's: %s", lead_id, error)
        return LeadSummary(bullets=bullets, source="template", fallback_reason=str(error), **made)
    return LeadSummary(bullets=llm_bullets, source="llm", model=model, **made)


# ---------------------------------------------------------------------------------------------
# Rendering for Slack and the web chat

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def summary_text(summary: LeadSummary, *, style: Literal["markdown", "slack"] = "markdown") -> str:
    """The bullets as a list: Markdown (lead text escaped, so a note cannot add links or formatting),
    or Slack mrkdwn (`&`, `<`, `>` escaped as Slack requires)."""
    if style == "slack":
        escape = lambda text: text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
        return "\n".join(f"• {escape(bullet)}" for bullet in summary.bullets)
    return "\n".join("- " + _MARKDOWN_SPECIAL.sub(r"\\\1", bullet) for bullet in summary.bullets)
