"""The discovery provider backed by an OpenAI-compatible model (with web search where it has it).

The model is asked (prompts/discovery.md) for a JSON object {"companies": [...]}; the answer is
checked strictly: it must be JSON of that shape, or the campaign fails saying what came back.
Each company then goes through the same validation as a file row, so a bad entry is rejected with
its reason. The answer is data: it becomes lead records, never SQL and never instructions.

OpenAI's search models (names containing "search", e.g. gpt-4o-search-preview) look things up on
the web when sent `web_search_options`; other models reject that option (and search models reject
`response_format` and `temperature`), so those are sent only to the models that take them.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from string import Template
from typing import Any

from leadpilot.tools.discovery.company import Discovery, DiscoveryError
from leadpilot.tools.discovery.criteria import CampaignCriteria
from leadpilot.tools.discovery.file_provider import companies_from_items

TIMEOUT_S = 120.0
_FENCE = re.compile(r"^```(?:json)?\s*\n(.*)\n```$", re.DOTALL)


def searches_web(model: str) -> bool:
    """Whether this model looks things up on the web (OpenAI's *-search-* models)."""
    return "search" in model.lower()


def discovery_prompt(*, name: str, criteria: CampaignCriteria) -> str:
    template = files("leadpilot.prompts").joinpath("discovery.md").read_text(encoding="utf-8")
    return Template(template).substitute(name=name, criteria=criteria.describe(), limit=criteria.limit)


def discover_with_llm(*, name: str, criteria: CampaignCriteria, settings: Any) -> Discovery:
    """Ask the configured model for companies matching the criteria; raise DiscoveryError on failure."""
    if not settings.openai_api_key:
        raise DiscoveryError(
            "the llm provider needs an OpenAI-compatible model: set OPENAI_API_KEY (any value for a local "
            "server) and OPENAI_BASE_URL for Ollama, vLLM or LM Studio; or use --provider file"
        )
    import openai

    client = openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url, timeout=TIMEOUT_S, max_retries=1)
    options: dict[str, Any] = (
        {"web_search_options": {}} if searches_web(settings.model)
        else {"response_format": {"type": "json_object"}, "temperature": 0}
    )
    where = settings.openai_base_url or "api.openai.com"
    try:
        response = client.chat.completions.create(
            model=settings.model,
            messages=[{"role": "user", "content": discovery_prompt(name=name, criteria=criteria)}],
            **options,
        )
    except openai.APIStatusError as error:
        raise DiscoveryError(
            f"the model endpoint at {where} answered HTTP {error.status_code}: {error.message}; "
            "check OPENAI_API_KEY, OPENAI_BASE_URL and LEADPILOT_MODEL"
        ) from None
    except openai.APIError as error:  # connection refused, timeout, unreadable response
        raise DiscoveryError(f"could not get an answer from the model endpoint at {where}: {error}; is the server running?") from None
    choices = getattr(response, "choices", None) or []
    content = choices[0].message.content if choices else None
    return parse_model_answer(content or "")


def parse_model_answer(content: str) -> Discovery:
    """The companies in a model's answer; DiscoveryError when it is not the JSON asked for."""
    text = content.strip()
    if fenced := _FENCE.match(text):  # models often wrap JSON in a Markdown code fence
        text = fenced.group(1).strip()
    shown = content.strip()[:200] or "(an empty answer)"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DiscoveryError(
            f"the model did not answer with valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            f"its answer began: {shown!r}. Run the campaign again, or use a model that follows JSON instructions"
        ) from None
    companies = data.get("companies") if isinstance(data, dict) else data
    if not isinstance(companies, list):
        raise DiscoveryError(
            f'the model answered JSON but not the shape asked for ({{"companies": [...]}}); its answer began: {shown!r}'
        )
    return companies_from_items(companies, label="company")
