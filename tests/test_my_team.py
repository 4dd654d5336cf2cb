"""'my team' (issue #15, people as they speak): the leads of the reps in the asker's roster team; a
manager of a leadership team (no rep in it) manages the whole sales team (every lead); a rep still sees only their own leads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import NOW
from leadpilot.agent.planner import plan
from leadpilot.memory.models import Lead, Rep
from leadpilot.tools.leads.filter import LeadFilter, Viewer
from leadpilot.tools.leads.search import SearchLeads, search_leads

# rep key -> (team, role); each rep owns one open lead named after them
TEAM = {"ana": ("West", "rep"), "ben": ("West", "rep"), "cy": ("East", "rep"), "wes": ("West", "manager"), "lee": ("Leadership", "manager")}


@pytest.fixture
def team(db):
    ids = {}
    with db.transaction() as session:
        for key, (team_name, role) in TEAM.items():
            rep = Rep(email=f"{key}@team.io", name=key.title(), team=team_name, role=role, created_at=NOW)
            session.add(rep)
            session.flush()
            ids[key] = rep.id
            if role == "rep":
                session.add(Lead(company=f"{key.title()} Co", industry="fintech", stage="LEAD", owner_id=rep.id,
                                 created_at=NOW - timedelta(days=3), updated_at=NOW))
        session.add(Lead(company="Nobody Co", industry="fintech", stage="LEAD", created_at=NOW, updated_at=NOW))
    return db, ids


def _companies(db, viewer: Viewer) -> tuple[set[str], list[str]]:
    with db.read_only(timeout_ms=5000) as session:
        result = search_leads(session, query=SearchLeads(filter=LeadFilter(owner=["My Team"])), viewer=viewer, now=NOW, row_cap=100)
    return {lead["company"] for lead in result.leads}, result.problems


def test_my_team_is_the_reps_of_the_askers_roster_team(team):
    db, ids = team
    assert _companies(db, Viewer(email="wes@team.io", rep_id=ids["wes"], role="manager")) == ({"Ana Co", "Ben Co"}, [])
    # A leadership manager's team is the whole sales team: every lead, the unassigned one waiting in a queue too.
    assert _companies(db, Viewer(email="lee@team.io", rep_id=ids["lee"], role="manager")) == ({"Ana Co", "Ben Co", "Cy Co", "Nobody Co"}, [])
    assert _companies(db, Viewer(email="ana@team.io", rep_id=ids["ana"], role="rep")) == ({"Ana Co"}, [])  # a rep sees only theirs
    companies, problems = _companies(db, Viewer(role="admin"))
    assert companies == set() and "not linked to a rep" in problems[0]


@pytest.mark.parametrize("question", ["my team's hot leads", "how many open leads does our team have", "leads for my team in fintech"])
def test_my_team_is_read_as_the_owner_not_as_me(question):
    calls = plan(question, now=NOW).calls
    assert calls and calls[0].args["filter"]["owner"] == ["my team"], calls
