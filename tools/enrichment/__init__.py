"""Enrichment: offline enrichers (one capability per module) and paid providers in a waterfall.

Every enriched value carries its source ("input", "offline:phone", "provider:hunter", ...), so a
rep can see where a fact came from. Nothing here touches the network unless a provider is
configured and called.

Owns: offline enrichers (email, phone, domain, company, job title, industry, location, size;
offline combines them), the enrichment result shape (fields), vendor providers and their waterfall
(providers/), and the agent-facing "enrich X" / "find duplicates of X" (lookup).
May import: memory, leadpilot.settings, tools.leads (lookup uses dedup to find the account).

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "domain": ["normalise_domain"],
    "email": ["check_email"],
    "lookup": ["enrich_lead", "enrich_target", "find_duplicates_of"],
    "phone": ["parse_phone"],
    "providers.waterfall": ["waterfall_from_settings"],
})
