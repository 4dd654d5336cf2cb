""""Who owns Acme?" answered the way a rep asks it: who has the company's (open) lead, in one
sentence — or, when the name has several open leads with different owners, which one is meant.

The planner asks for the company's leads (search_leads, open by default, the closed ones when it
has no open lead) and marks the plan {"kind": "owner"}; `answers.compose_answer` words the result
here. A name that matches several companies, or an error, is worded as the list answer is (it
asks which company).
"""

from __future__ import annotations

from typing import Any


def _brief(lead: dict[str, Any], names: dict[str, str], named: str, *, owner_said: bool = False) -> str:
    """ "lead 812 (Madison O'Brien, lead, owner Oliver Bennett, created 17 Nov 2026)": the list answers'
    own short form (toolbox/common.brief_line), from a search row, with the owner by name (left out
    when the sentence has just said who owns it)."""
    from leadpilot.agent.toolbox.common import brief_line

    stage = {"CUSTOMER": "customer", "LOST": "lost"}.get(str(lead.get("stage")), lead.get("stage"))
    owner = _name(lead.get("owner"), names)
    line = brief_line({**lead, "stage": stage, "owner": owner, "created": str(lead.get("created_at") or "")[:10] or None}, named=named)
    return line.replace(f", owner {owner or 'unassigned'}", "", 1) if owner_said else line


def _name(owner: str | None, names: dict[str, str]) -> str | None:
    """A rep by name (their email when the store has no name for them)."""
    return names.get(owner, owner) if owner else None


def owner_answer(result: dict[str, Any], closed_note: str, names: dict[str, str] | None = None) -> str | None:
    """The owner sentence for one company's (or person's) leads, or None to word it as a list; `names`
    gives each rep's name by email (the plan's vocabulary), so the sentence names the rep."""
    names = names or {}
    leads, total = result.get("leads") or [], result.get("total") or 0
    if "error" in result or not leads:
        return None
    called = list(dict.fromkeys(lead.get("company") or lead.get("contact_name") or "" for lead in leads))
    if len(called) != 1 or not called[0]:
        return None  # several companies match the name: the list answer asks which
    name, which = called[0], "closed " if result.get("closed_instead") else "open "
    instead = f"{name} has no open lead. " if result.get("closed_instead") else ""
    owners = list(dict.fromkeys(_name(lead.get("owner"), names) for lead in leads))
    if total == 1:
        owner = owners[0]
        suggest = "" if result.get("closed_instead") else " (ask 'who should take it?' for a suggestion)"
        whose = f"is owned by {owner}" if owner else f"is unassigned{suggest}"
        return f"{instead}{name}'s {which}lead {whose}: {_brief(leads[0], names, name, owner_said=True)}." + closed_note
    more = f" (showing {len(leads)} of {total})" if total > len(leads) else ""
    if len(owners) == 1 and total == len(leads):  # every one of them shown, and one owner
        who = f"owned by {owners[0]}" if owners[0] else "unassigned"
        listed = "; ".join(_brief(lead, names, name, owner_said=True) for lead in leads)
        return f"{instead}All {total} {which}leads of {name} are {who}: {listed}." + closed_note
    if len(owners) == 1:
        return None  # more than were shown: the list answer says how many, and each row its owner
    listed = "; ".join(f"{n}. {_brief(lead, names, name)}" for n, lead in enumerate(leads, start=1))
    return (f"{instead}{name} has {total} {which}leads with different owners{more}, so I have not picked one. Which one do you mean? "
            f"{listed}. Say \"the first one\" or \"lead {leads[0]['id']}\"." + closed_note)
