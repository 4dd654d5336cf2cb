"""A CRM's own judgements about a lead or deal, kept in `extra` as the file wrote them, as conditions
questions and reports can use: the team's rating, a closed deal's lost reason, the deal's pipeline
and its value.

An import keeps these cells under their own column names (export writes them back, so export ->
import -> export is unchanged); this module names the columns that carry each facet and reads them
in SQL on SQLite and PostgreSQL, compared letters-only and in any case:

| facet        | columns (CRM)                                                                  | values (examples) |
|--------------|--------------------------------------------------------------------------------|-------------------|
| crm_rating   | `Deal - Label` (Pipedrive), `Rating` (Salesforce, Zoho CRM), `Lead Rating`      | Hot, Warm, Cold — the team's own temperature, not Leadpilot's computed tier |
| lost_reason  | `Deal - Lost reason` (Pipedrive), `Lost Reason`, `Closed Lost Reason` (HubSpot) | "Price too high", "Chose a competitor", "Timing – not now" |
| pipeline     | `Deal - Pipeline` (Pipedrive), `Pipeline` (HubSpot deals)                         | "New business", "Expansion" |
| deal_value   | `Deal - Value` (Pipedrive), `Amount` (HubSpot, Salesforce and Zoho deals)        | 1550, 1550.50 — a plain number in the deal's currency; anything else is no value |

A Pipedrive deal may carry several labels ("Hot, Big deal"): a rating condition matches any of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Float, String, case, cast, func, literal, or_

from leadpilot.memory.models import Lead

CRM_RATING_COLUMNS: tuple[str, ...] = ("Deal - Label", "Rating", "Lead Rating")
LOST_REASON_COLUMNS: tuple[str, ...] = ("Deal - Lost reason", "Lost Reason", "Closed Lost Reason", "Lost reason")  # + Freshsales
DEAL_VALUE_COLUMNS: tuple[str, ...] = ("Deal - Value", "Amount", "Open deals amount", "Won deals amount")  # + a Freshsales contact's
PIPELINE_COLUMNS: tuple[str, ...] = ("Deal - Pipeline", "Pipeline")
_PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"


def _letters(column: str) -> ColumnElement[str]:
    """A kept cell in lower case without spaces, dashes, en dashes, slashes or underscores (SQL)."""
    text = func.lower(Lead.extra[column].as_string())
    for separator in (" ", "-", "\u2013", "/", "_"):
        text = func.replace(text, separator, "", type_=String)
    return text


def _key(value: str) -> str:
    return "".join(char for char in value.lower() if char.isalnum())


def crm_rating_condition(ratings: Iterable[str]) -> ColumnElement[bool]:
    """SQL for "the CRM's own rating is one of these" ("hot"): any rating column, any of a deal's labels."""
    wanted = sorted({_key(rating) for rating in ratings if _key(rating)})
    alternatives = []
    for column in CRM_RATING_COLUMNS:
        labels = literal(",", String).concat(_letters(column)).concat(",")  # ",hot,bigdeal,": one of several labels
        alternatives += [labels.contains(f",{key},", autoescape=True) for key in wanted]
    return or_(*alternatives)


def lost_reason_condition(words: Iterable[str]) -> ColumnElement[bool]:
    """SQL for "lost for one of these reasons": a lost-reason column containing any of `words`
    ("price", "competitor"), letters-only and in any case."""
    keys = sorted({_key(word) for word in words if _key(word)})
    return or_(*(_letters(column).contains(key, autoescape=True) for column in LOST_REASON_COLUMNS for key in keys))


def pipeline_condition(names: Iterable[str]) -> ColumnElement[bool]:
    """SQL for "the deal is in one of these pipelines" ("expansion"), letters-only and in any case."""
    keys = sorted({_key(name) for name in names if _key(name)})
    return or_(*(_letters(column).in_(keys) for column in PIPELINE_COLUMNS))


def deal_value() -> ColumnElement[float]:
    """SQL for the deal's value as a number: the first value column holding a plain number, else NULL
    (never an error on PostgreSQL for a cell such as "€1,500": it is no value)."""
    numbers = []
    for column in DEAL_VALUE_COLUMNS:
        text = func.trim(Lead.extra[column].as_string(), type_=String)
        numbers.append(case((text.regexp_match(_PLAIN_NUMBER), cast(text, Float)), else_=None))
    return func.coalesce(*numbers, type_=Float)
