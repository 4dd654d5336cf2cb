"""Package exports that import their module on first use.

A tools/ package's `__init__` names what other packages may use, and from which of its modules:

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {
        "search": ["SearchLeads", "search_leads"],
        "filter": ["LeadFilter"],
    })

`from leadpilot.tools.leads import search_leads` then imports `leadpilot.tools.leads.search` at that
moment, not before. So importing a package costs nothing (`leadpilot ask` never loads the
conversion model's scikit-learn for a list question), and packages that use each other both ways
(scoring's semantic category and the semantic index) resolve as plain module imports would.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """`__getattr__`, `__dir__` and `__all__` for `package`, exporting each module's listed names."""
    where: dict[str, str] = {}
    for module, names in modules.items():
        for name in names:
            if name in where:
                raise ValueError(f"{package}: {name!r} is exported by both {where[name]} and {module}")
            where[name] = module

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        globals_of_package = importlib.import_module(package).__dict__
        globals_of_package[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__, sorted(where)
