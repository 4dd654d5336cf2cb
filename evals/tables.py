"""Small rich tables the eval reports share."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def accuracy_table(title: str, *, group: str, rows: dict[str, dict[str, Any]]) -> Table:
    """One row per group: cases, correct, accuracy; groups with misses in yellow."""
    table = Table(title=title, header_style="bold")
    for column, justify in ((group, "left"), ("cases", "right"), ("correct", "right"), ("accuracy", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for name, row in rows.items():
        style = "" if row["correct"] == row["cases"] else "yellow"
        table.add_row(name, str(row["cases"]), str(row["correct"]), f"{row['accuracy']:.0%}", style=style)
    return table
