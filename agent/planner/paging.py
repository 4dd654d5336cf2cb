"""Paging through the last list in the conversation: "next page", "2nd page", "show more", "next 20".

A chat page is PAGE_SIZE leads (the Slack bot's page), or the size the list was asked with ("top 25
hot leads", then "next page" is the next 25). The answer is the same query again with an `offset`,
so it is sorted and filtered exactly as the list it continues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 10
_ORDINAL_PAGES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
                  "ninth": 9, "tenth": 10}
_SHOW = r"(?:(?:can\s+(?:you|i)\s+|could\s+(?:you|i)\s+)?(?:show|give|get|see|send|list|display|go\s+to|pull(?:\s+up)?|load)\s+(?:me\s+|us\s+)?)?"
_REST = r"(?:\s+(?:of\s+)?(?:the\s+)?(?:leads|results|rows|ones|them|those|these|list|one))?"
_NEXT = re.compile(
    rf"^{_SHOW}(?:the\s+)?(?:next|following)(?:\s+(?:page|batch|set|lot|few|bunch)|\s+(?P<n>\d+))?{_REST}$"
    rf"|^{_SHOW}(?:some\s+|a\s+few\s+|(?P<n2>\d+)\s+)?more{_REST}$|^(?:keep\s+going|continue|go\s+on|scroll(?:\s+down)?)$"
)
_PAGE = re.compile(
    rf"^{_SHOW}(?:the\s+)?(?:page\s+(?P<number>\d+)|(?P<nth>\d+)(?:st|nd|rd|th)\s+page|(?P<word>{'|'.join(_ORDINAL_PAGES)})\s+page)"
    rf"(?:\s+of\s+(?:the\s+)?(?:results|leads|list|them|those))?$"
)


@dataclass(frozen=True)
class PageRequest:
    """ "next page" (number None) or "page 3" (number 3); `size` when the message says it ("next 20")."""

    number: int | None = None
    size: int | None = None


def read_page_request(text: str) -> PageRequest | None:
    """The page a whole message asks for, or None when it asks something else."""
    said = " ".join(text.lower().strip(" ?!.,").split())
    said = re.sub(r"\s+(?:please|pls|plz|thanks|thx|ty)$|^(?:ok|okay|cool|great|thanks|thx|and|now)[,\s]+", "", said)
    if (match := _NEXT.match(said)) is not None:
        size = match.group("n") or match.group("n2")
        return PageRequest(size=int(size) if size else None)
    if (match := _PAGE.match(said)) is not None:
        number = match.group("number") or match.group("nth")
        return PageRequest(number=int(number) if number else _ORDINAL_PAGES[match.group("word")])
    return None


NO_LIST = ("There is no list to page through yet: ask for some leads first (e.g. 'hot leads in fintech'), "
           "then say 'next page' or 'page 2'.")


def page_args(request: PageRequest, previous: dict[str, Any]) -> dict[str, Any] | str:
    """The last list's arguments for the page asked; a message when there is no such page."""
    shown_from, shown = previous.get("offset") or 0, previous.get("limit") or PAGE_SIZE  # a list without a top N: pages of PAGE_SIZE
    size = request.size or shown
    if request.number is not None:
        if request.number < 1:
            return "Pages are numbered from 1."
        offset = (request.number - 1) * size
    else:
        offset = shown_from + shown
    if offset > 1_000_000:
        return "That page is too far down the list; narrow the question instead."
    return {**previous, "limit": size, "offset": offset}
