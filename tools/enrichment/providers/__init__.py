"""Paid enrichment providers, each speaking its vendor's HTTP API, and the waterfall over them."""
