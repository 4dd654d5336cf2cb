"""Leads in and out, and the read-only queries over them.

Owns: the typed lead filter (filter), its SQL compilation with the viewer's visibility
(filter_sql) and its words (filter_words) — open leads by default, see `LeadFilter.scope` — search,
aggregates and one lead's profile (search), CSV import with HubSpot/Salesforce header mapping
(importer, import_reading, import_loading, csv_headers), export (export), duplicate and account
matching (dedup).
May import: memory, leadpilot.settings/clock, tools.common, tools.enrichment (normalisers for
dedup) and tools.scoring (an import scores the rows it loads).

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "csv_headers": ["normalise_header"],
    "dedup": ["COMPANY_FUZZY_CUTOFF", "find_duplicates", "find_matches", "match_account", "probe_for", "probe_for_lead"],
    "export": ["export_leads", "spreadsheet_safe"],
    "filter": ["LeadConditions", "LeadFilter", "ScopeName", "Viewer", "names_lifecycle", "open_by_default"],
    "filter_sql": ["CompiledFilter", "compile_filter", "lifecycle_condition", "owner_lookup", "visibility_condition"],
    "filter_words": ["CLOSED_LEADS", "INCLUDING_CLOSED", "OPEN_LEADS", "SCOPE_LINES", "describe_filter", "scope_line"],
    "import_reading": ["ImportFileError"],
    "importer": ["import_leads_csv"],
    "search": ["AggregateLeads", "AggregateResult", "SearchResult", "closed_not_shown", "GroupKey", "Metric", "SearchLeads", "SortKey", "group_column", "aggregate_leads", "get_lead_profile", "lead_row", "search_leads"],
})
