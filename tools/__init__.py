"""The agent's capabilities, a package per domain (see docs/architecture.md for the map).

leads · scoring · prediction · routing · pipeline · discovery · followups · enrichment ·
analytics · semantic, and common for the helpers they share. Each package's `__init__` says what it
owns, what it may import and which names it exports; other packages use only those names.
tools/ imports memory/ and leadpilot's settings and clock, never agent/ or interfaces/.
"""
