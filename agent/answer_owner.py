""""Who owns Acme?" answered the way a rep asks it: who has the company's (open) lead, in one
sentence — or, when the name has several open leads with different owners, which one is meant.

The planner asks for the company's leads (search_leads, open by default, the closed ones when it
has no open lead) and marks the plan {"kind": "owner"}; `answers.compose_answer` words the result
here. A name that matches several companies, or an error, is worded as the list answer is (it
asks which company).
"""

from __future__ import annotations

from typing import Any


def _day(iso: str) -> str:
    from datetime import date

    from leadpilot.memory.lead_lookup import day_label

    return day_label(date.fromisoformat(iso[:10]))


def _brief(lead: dict[str, Any]) -> str:
    """ "lead 812: lead stage, warm 37, created 17 Nov 2026"; a closed lead says won or lost."""
    stage = lead.get("stage")
    said = [{"CUSTOMER": "won, a customer", "LOST": "lost"}.get(stage, f"{str(stage).lower()} stage") if stage else "",
            f"{lead['tier']} {lead['score']}" if lead.get("tier") else "",
            f"created {_day(lead['created_at'])}" if lead.get("created_at") else ""]
    return f"lead {lead['id']}: " + ", ".join(part for part in said if part) if any(said) else f"lead {lead['id']}"


def owner_answer(result: dict[str, Any], closed_note: str) -> str | None:
    """The owner sentence for one company's (or person's) leads, or None to word it as a list."""
    leads, total = result.get("leads") or [], result.get("total") or 0
    if "error" in result or not leads:
        return None
    names = list(dict.fromkeys(lead.get("company") or lead.get("contact_name") or "" for lead in leads))
    if len(names) != 1 or not names[0]:
        return None  # several companies match the name: the list answer asks which
    name, which = names[0], "closed " if result.get("closed_instead") else "open "
    instead = f"{name} has no open lead. " if result.get("closed_instead") else ""
    owners = list(dict.fromkeys(lead.get("owner") for lead in leads))
    if total == 1:
        owner = leads[0].get("owner")
        suggest = "" if result.get("closed_instead") else " (ask 'who should take it?' for a suggestion)"
        whose = f"is owned by {owner}" if owner else f"is unassigned{suggest}"
        return f"{instead}{name}'s {which}lead {whose} ({_brief(leads[0])})." + closed_note
    more = f" (showing {len(leads)} of {total})" if total > len(leads) else ""
    if len(owners) == 1 and total == len(leads):  # every one of them shown, and one owner
        who = f"owned by {owners[0]}" if owners[0] else "unassigned"
        listed = "; ".join(_brief(lead) for lead in leads)
        return f"{instead}All {total} {which}leads of {name} are {who}: {listed}." + closed_note
    if len(owners) == 1:
        return None  # more than were shown: the list answer says how many, and each row its owner
    listed = "; ".join(f"{n}. {_brief(lead)}, owner {lead.get('owner') or 'unassigned'}" for n, lead in enumerate(leads, start=1))
    return (f"{instead}{name} has {total} {which}leads with different owners{more}, so I have not picked one. Which one do you mean? "
            f"{listed}. Say \"the first one\" or \"lead {leads[0]['id']}\"." + closed_note)
