"""Sales reports over the leads a viewer may see: volume, conversion by tier, time to first
contact, rep performance, score distribution (reports), first vs last touch attribution
(attribution).
May import: memory, tools.leads.

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "attribution": ["source_attribution"],
    "reports": ["conversion_by_tier", "lead_volume", "rep_performance", "score_distribution", "time_to_first_contact"],
})
