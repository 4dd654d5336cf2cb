"""Enrichment: offline enrichers (one capability per module) and paid providers in a waterfall.

Every enriched value carries its source ("input", "offline:phone", "provider:hunter", ...), so a
rep can see where a fact came from. Nothing here touches the network unless a provider is
configured and called.
"""
