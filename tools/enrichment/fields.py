"""An enrichment result: named values, each with its source, confidence and reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sourced:
    value: Any
    source: str  # "input" | "offline:<enricher>" | "provider:<name>" | "store:<what>"
    confidence: float = 1.0
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "confidence": round(self.confidence, 3), "why": self.why}


@dataclass
class Enrichment:
    """Values by field name. The first source to set a field keeps it unless a later one is more confident."""

    fields: dict[str, Sourced] = field(default_factory=dict)
    attempts: list[dict[str, Any]] = field(default_factory=list)  # provider attempts, in order (see waterfall)
    notes: list[str] = field(default_factory=list)

    def put(self, name: str, value: Any, *, source: str, confidence: float = 1.0, why: str = "") -> None:
        if value is None or value == "" or value == []:
            return
        current = self.fields.get(name)
        if current is None or confidence > current.confidence:
            self.fields[name] = Sourced(value, source, confidence, why)

    def value(self, name: str, default: Any = None) -> Any:
        found = self.fields.get(name)
        return found.value if found is not None else default

    def merge(self, other: Enrichment) -> None:
        for name, item in other.fields.items():
            self.put(name, item.value, source=item.source, confidence=item.confidence, why=item.why)
        self.attempts.extend(other.attempts)
        self.notes.extend(other.notes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fields": {name: item.as_dict() for name, item in sorted(self.fields.items())},
            "attempts": list(self.attempts),
            "notes": list(self.notes),
        }
