"""Discovery campaigns: find companies (a file or an LLM), keep the ones that fit, store new ones.

Owns: campaigns (campaigns), what a campaign looks for (criteria), the provider shape (company),
the file and LLM providers (file_provider, llm_provider), ingesting their results (ingest).
May import: memory, leadpilot.settings, prompts, tools.enrichment, tools.leads (dedup, headers),
tools.scoring (new leads are scored).

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "campaigns": ["CampaignError", "create_campaign", "get_campaign", "list_campaigns", "run_next_campaign"],
})
