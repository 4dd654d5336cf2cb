"""Search by meaning: the lead text index in the vector store and the hybrid queries (SQL filter
first, vector ranking of what passed), similar leads and similar closed accounts (search).
May import: memory, leadpilot.settings, tools.leads (the filter and visibility), tools.scoring
(the semantic category's settings and wording).

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "search": ["SYSTEM_VIEWER", "SemanticIndex", "catch_up", "index_leads", "lead_text", "reindex", "semantic_index", "semantic_search_leads", "similar_accounts_with_outcomes", "similar_leads"],
})
