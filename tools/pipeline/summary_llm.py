"""The LLM's side of a lead summary: the facts as delimited JSON for the model, the call to an
OpenAI-compatible endpoint (one try, a short timeout), and the checks on its answer (6-8
plain-text bullets, length caps, no number that is not in the facts).
"""

from __future__ import annotations

import json
import re

from leadpilot.settings import Settings
from leadpilot.tools.pipeline.summary_facts import SummaryFacts, _clip

MIN_BULLETS, MAX_BULLETS = 6, 8
MAX_BULLET_CHARS = 300

PROMPT_FILE = "lead_summary.md"
FACTS_OPEN, FACTS_CLOSE = "<lead_facts>", "</lead_facts>"


class SummaryLLMError(RuntimeError):
    """The LLM could not give a usable summary; the message is the fallback reason."""


def facts_message(facts: SummaryFacts, *, next_step: str) -> str:
    """The user message: the facts as JSON between the delimiters. `<` and `>` are escaped inside
    the JSON (still the same JSON), so no text in a lead can close the block early."""
    payload = facts.model_dump(mode="json")
    payload["next_step"]["action"] = next_step
    data = json.dumps(payload, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")
    return f"{FACTS_OPEN}\n{data}\n{FACTS_CLOSE}"


_BULLET = re.compile(r"^(?:[-*•]|\d{1,2}[.)])\s+(.*)$")
_MARKUP = re.compile(r"```|\]\(|</?[A-Za-z][^>]*>|^#")
_NUMBER = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?")


def check_llm_bullets(text: str, *, facts_text: str) -> list[str]:
    """The bullets of an LLM answer, or SummaryLLMError saying what is wrong with it.

    Accepted: 6-8 lines starting with "- " (or "* ", "•", "1."), plain text (bold markers are
    dropped; headings, links, HTML and code are refused), at most MAX_BULLET_CHARS each, and every
    number of two or more digits present in the facts (a number the facts do not hold is invented).
    """
    bullets: list[str] = []
    for number, raw in enumerate(text.strip().splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _BULLET.match(line)
        if match is None:
            raise SummaryLLMError(f"the LLM's answer is not a bullet list (line {number}: {_clip(line, 60)!r})")
        bullet = match.group(1).replace("**", "").replace("__", "").strip()
        if _MARKUP.search(bullet):
            raise SummaryLLMError(f"the LLM's bullet {len(bullets) + 1} is not plain text ({_clip(bullet, 60)!r})")
        if len(bullet) > MAX_BULLET_CHARS:
            raise SummaryLLMError(f"the LLM's bullet {len(bullets) + 1} has {len(bullet)} characters (at most {MAX_BULLET_CHARS})")
        if any(ord(ch) < 32 for ch in bullet):
            raise SummaryLLMError(f"the LLM's bullet {len(bullets) + 1} holds control characters")
        if bullet:
            bullets.append(bullet)
    if not MIN_BULLETS <= len(bullets) <= MAX_BULLETS:
        raise SummaryLLMError(f"the LLM gave {len(bullets)} bullets (need {MIN_BULLETS} to {MAX_BULLETS})")
    known = facts_text.replace(",", "")
    for bullet in bullets:
        for found in _NUMBER.findall(bullet):
            digits = found.replace(",", "")
            if len(digits.replace(".", "")) >= 2 and digits not in known:
                raise SummaryLLMError(f"the LLM's summary has a number that is not in the facts ({found!r} in {_clip(bullet, 80)!r})")
    return bullets


def _ask_llm(settings: Settings, *, system: str, user: str) -> tuple[str, str]:
    """(answer text, model name) from the OpenAI-compatible endpoint: one try, a short timeout."""
    import openai

    if not settings.openai_api_key:
        raise SummaryLLMError("the LLM backend is openai but OPENAI_API_KEY is not set (any value for a local server)")
    client = openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                           timeout=settings.summary_timeout_s, max_retries=0)
    where = settings.openai_base_url or "the OpenAI API"
    try:
        response = client.chat.completions.create(
            model=settings.model, temperature=0, max_tokens=900,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        )
    except openai.APITimeoutError:
        raise SummaryLLMError(f"the LLM at {where} did not answer within {settings.summary_timeout_s:g} s (LEADPILOT_SUMMARY_TIMEOUT_S)") from None
    except openai.APIConnectionError as error:
        raise SummaryLLMError(f"the LLM at {where} is unreachable ({_clip(str(error.__cause__ or error), 120)})") from None
    except openai.APIStatusError as error:
        detail = error.body.get("message") if isinstance(error.body, dict) else None  # the server's own words
        raise SummaryLLMError(f"the LLM at {where} answered HTTP {error.status_code} ({_clip(detail or error.message, 120)})") from None
    except openai.OpenAIError as error:
        raise SummaryLLMError(f"the LLM call failed ({_clip(str(error), 120)})") from None
    finally:
        client.close()
    choice = response.choices[0] if response.choices else None
    content = choice.message.content if choice is not None else None
    if not content or not content.strip():
        raise SummaryLLMError("the LLM gave an empty answer")
    return content, response.model or settings.model
