"""What the generators of the non-demo eval stores share (evals/nlq_fresh2_data.py, nlq_fresh3_data.py,
nlq_fresh4_data.py, nlq_fresh5_data.py): a weighted pick (of a label with what goes with it), an ASCII slug for
e-mail addresses and domains, and writing the rows as CSV."""

from __future__ import annotations

import csv
import random
import unicodedata
from collections.abc import Sequence
from pathlib import Path


def pick(rng: random.Random, options: Sequence[tuple]):
    """The first field of one option, drawn by the option's second field as its weight."""
    return rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]


def pick_labelled(rng: random.Random, options: Sequence[tuple]) -> tuple:
    """(label, what goes with it) of one (label, weight, what goes with it) option, drawn by weight."""
    label = pick(rng, [option[:2] for option in options])
    return label, next(option[2] for option in options if option[0] == label)


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Dvořák" -> "dvorak", "Ł" -> "l"."""
    plain = unicodedata.normalize("NFKD", text.lower().replace("ł", "l"))
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum())


def write_rows(path: Path, headers: Sequence[str], rows: list[dict[str, str]], *, quote_all: bool = False) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(headers), quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)


def pick_place(rng: random.Random, places: Sequence[tuple]) -> tuple[str, str, str]:
    """(country, city, state) from `places` rows (country, weight, ((city, state), ...))."""
    country = pick(rng, [(c, w) for c, w, _ in places])
    city, state = rng.choice(next(p for c, _, p in places if c == country))
    return country, city, state


def main_for(name: str, write_csv, build_rows) -> None:
    """`python -m leadpilot.evals.<name>_data`: rewrite evals/datasets/<name>.leads.csv."""
    target = Path(__file__).with_name("datasets") / f"{name}.leads.csv"
    write_csv(target, build_rows())
    print(f"wrote {target}")
