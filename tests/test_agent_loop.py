"""The offline backend's own loop (agent/loop.py) against the LangGraph agent it stands in for: the
same tool calls, answers, leads and rows for the eval questions, follow-ups included; and what a
cold `leadpilot ask` no longer loads (LangGraph, any LangChain module, Alembic) or rebuilds (the
planner's vocabulary)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

import pytest
import yaml

from leadpilot.agent import toolbox
from leadpilot.agent.graph import agent_graph
from leadpilot.agent.loop import offline_turn
from leadpilot.agent.runner import _collect
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.memory.db import head_revision, open_database
from leadpilot.memory.seed import seed_demo
from leadpilot.settings import get_settings

from conftest import NOW

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from leadpilot.tools.scoring import load_policy, rescore_leads

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('loop') / 'demo.db'}")
    seed_demo(db, now=NOW)
    rescore_leads(db, policy=load_policy(), now=NOW)
    yield db
    db.dispose()


def _conversations() -> list[tuple[str | None, list[str]]]:
    """Every 5th eval case (single questions and follow-ups), plus the ones about one lead."""
    cases = yaml.safe_load((ROOT / "evals" / "datasets" / "nlq.yaml").read_text(encoding="utf-8"))
    chosen = [case for n, case in enumerate(cases) if n % 5 == 0 or case.get("turns")]
    chosen = [(case.get("as_user"), case.get("turns") or [case["question"]]) for case in chosen]
    return chosen + [(None, ["why is lead 83 hot?"]), (None, ["show lead 83"]), (None, ["who should take lead 5?"]),
                     (None, ["how likely is lead 12 to convert?"]), (None, ["make me a sandwich"])]


def _summary(answer) -> dict:
    return {"answer": answer.answer, "tool_calls": answer.tool_calls, "leads": [lead["id"] for lead in answer.leads],
            "rows": answer.rows}


def _turns(db, user: str | None, questions: list[str], run_turn) -> list[dict]:
    from langchain_core.messages import HumanMessage

    deps = replace(make_deps(db, viewer=viewer_for(db, email=user)), now=NOW)
    history: list = []
    results = []
    for question in questions:
        new = [HumanMessage(question), *run_turn([*history, HumanMessage(question)], deps)]
        results.append(_summary(_collect(question, new[1:], "offline")))
        history += new
    return results


def _graph_turn(messages: list, deps) -> list:
    result = agent_graph(get_settings()).invoke({"messages": messages}, context=deps, config={"recursion_limit": 16})
    return result["messages"][len(messages):]


def test_the_offline_loop_answers_as_the_langgraph_agent_does(demo_db):
    conversations = _conversations()
    assert len(conversations) > 100
    for user, questions in conversations:
        direct = _turns(demo_db, user, questions, lambda messages, deps: list(offline_turn(messages, deps)))
        graph = _turns(demo_db, user, questions, _graph_turn)
        assert direct == graph, questions


def test_the_offline_turn_is_stored_as_langchain_messages_and_read_back_by_either_path(demo_db):
    """The offline path's plain messages (agent/messages.py) are stored in LangChain's format: the
    stored turn loads as LangChain's messages (as the LLM path reads it), tool results without their
    artifact, and a follow-up planned over it reads the earlier turn."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage, messages_from_dict

    from leadpilot.agent.runner import run_agent
    from leadpilot.memory.conversations import load_messages

    deps = replace(make_deps(demo_db, viewer=viewer_for(demo_db), conversation_id="loop:stored"), now=NOW)
    first = run_agent("show hot leads in fintech", deps=deps)
    with demo_db.session() as session:
        stored = messages_from_dict(load_messages(session, conversation_id="loop:stored"))
    assert [type(m) for m in stored] == [HumanMessage, AIMessage, ToolMessage, AIMessage]
    assert stored[1].tool_calls[0]["name"] == "search_leads" and stored[1].tool_calls[0]["id"] == stored[2].tool_call_id
    assert stored[2].artifact is None and stored[2].name == "search_leads" and stored[3].content == first.answer
    follow_up = run_agent("only the ones in London", deps=deps)
    assert follow_up.tool_calls[0]["args"]["filter"]["industry"] == ["fintech"], follow_up.tool_calls


def test_every_tool_is_listed_with_its_module():
    import importlib
    import pkgutil

    from leadpilot.agent.toolbox.registry import AgentTool

    found = {}
    for module in pkgutil.iter_modules(toolbox.__path__):
        loaded = importlib.import_module(f"leadpilot.agent.toolbox.{module.name}")
        found |= {value.name: module.name for value in vars(loaded).values() if isinstance(value, AgentTool)}
    assert found == toolbox.TOOL_MODULES
    assert [tool.name for tool in toolbox.READ_TOOLS] == toolbox.tool_names()
    # Used like the LangChain tool it stands for: its schema leaves the injected runtime out.
    assert "runtime" not in json.dumps(toolbox.search_leads_tool.tool_call_schema.model_json_schema())


def test_head_revision_is_alembics_head():
    from alembic.script import ScriptDirectory

    from leadpilot.memory.db import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def test_a_cold_ask_loads_no_langchain_langgraph_or_alembic_and_reuses_the_vocabulary(tmp_path):
    """Two `ask` processes on a current store: neither imports any LangChain or LangGraph module (not
    even langchain_core's messages: the offline path's are plain, agent/messages.py) nor Alembic nor
    pydantic-settings, nor maps the ORM classes of tables an ask does not read (its run is logged
    through the Core table), and the second reads the vocabulary the first kept instead of rebuilding it."""
    data = tmp_path / "data"
    db = open_database(f"sqlite:///{data / 'leadpilot.db'}")  # migrated once, as `leadpilot seed` would
    seed_demo(db, now=NOW, n_leads=200)
    db.dispose()
    script = """
import json, sys
from leadpilot.agent import vocabulary
built = []
original = vocabulary.build_vocabulary
vocabulary.build_vocabulary = lambda session: built.append(1) or original(session)
sys.argv = ["leadpilot", "ask", "show hot leads in fintech not contacted in 3 days", "--json"]
from leadpilot.interfaces.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(name for name in sys.modules if name.split(".")[0].startswith(("langchain", "langgraph", "alembic", "typer", "click"))
               or name == "sqlalchemy.dialects.postgresql"  # #21: a plain ask needs no Typer, and SQLite no PostgreSQL dialect
               or name.split(".")[0] in ("pydantic_settings", "dotenv"))  # #21: settings read without them (no .env here)
from leadpilot.memory import conversations, models  # #21: tables no ask reads get ORM classes only on first use
mapped = sorted(name for name in ("Assignment", "AuditEvent", "RoutingPointer") if name in vars(models))
mapped += sorted(name for name in ("Conversation", "ConversationMessage", "AgentRun") if name in vars(conversations))
print(json.dumps({"heavy": heavy[:5], "built": len(built), "mapped": mapped}), file=sys.stderr)
"""
    env = {"LEADPILOT_DATA_DIR": str(data), "LEADPILOT_NOW": NOW.isoformat(), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=True)
        assert json.loads(done.stdout)["tool_calls"][0]["name"] == "search_leads"
        runs.append(json.loads(done.stderr.strip().splitlines()[-1]))
    assert runs[0] == {"heavy": [], "built": 1, "mapped": []}
    assert runs[1] == {"heavy": [], "built": 0, "mapped": []}
    db = open_database(f"sqlite:///{data / 'leadpilot.db'}")
    with db.session() as session:  # each run still logged, through the Core table; the ORM class maps when asked for
        from leadpilot.memory.conversations import AgentRun, recent_runs

        assert [run.question for run in recent_runs(session)] == ["show hot leads in fintech not contacted in 3 days"] * 2
        assert isinstance(recent_runs(session)[0], AgentRun)
    db.dispose()
    assert list((data / "cache").glob("vocabulary-*.pickle"))
    assert (data / "cache" / "regex-needs.json").is_file()  # what the reader's patterns need (agent/regex_gate.py)


def test_a_cold_ask_tunes_the_collector_first_and_reads_no_pydantic_plugins_unless_asked(tmp_path):
    """#21: `leadpilot ask` sets its garbage-collector thresholds before the first heavy import (the
    settings, pydantic, SQLAlchemy: dozens of young collections otherwise) and does not make pydantic
    read every installed distribution's entry points for plugins; a PYDANTIC_DISABLE_PLUGINS the user
    set (here empty: load them all) is kept. Answers are the same either way."""
    data = tmp_path / "data"
    db = open_database(f"sqlite:///{data / 'leadpilot.db'}")
    seed_demo(db, now=NOW, n_leads=60)
    db.dispose()
    script = """
import gc, json, os, sys
sys.argv = ["leadpilot", "ask", "how many hot leads by source", "--json"]
from leadpilot.interfaces.cli import main
try:
    main()
except SystemExit:
    pass
from pydantic.plugin import _loader
print(json.dumps({"young_collections": gc.get_stats()[0]["collections"], "plugins_read": _loader._plugins is not None,
                  "setting": os.environ.get("PYDANTIC_DISABLE_PLUGINS")}), file=sys.stderr)
"""
    env = {"LEADPILOT_DATA_DIR": str(data), "LEADPILOT_NOW": NOW.isoformat(), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    runs = []
    for extra in ({}, {"PYDANTIC_DISABLE_PLUGINS": ""}):
        done = subprocess.run([sys.executable, "-c", script], env={**env, **extra}, capture_output=True, text=True, timeout=120, check=True)
        runs.append((json.loads(done.stdout), json.loads(done.stderr.strip().splitlines()[-1])))
    (answer, cold), (same_answer, asked) = runs
    assert answer == same_answer and answer["tool_calls"][0]["name"] == "aggregate_leads"
    assert cold["young_collections"] <= 25, cold  # ~15 at the interpreter's start; 61 when set after the settings import
    assert cold["plugins_read"] is False and cold["setting"] == "__all__"
    assert asked["plugins_read"] is True and asked["setting"] == ""


def test_migrations_run_when_the_store_is_behind(tmp_path):
    from leadpilot.memory.db import migrate, schema_revision

    db = open_database(f"sqlite:///{tmp_path / 'old.db'}", upgrade=False)
    migrate(db.engine, "0005")
    assert schema_revision(db.engine) == "0005"
    db.dispose()
    db = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    assert schema_revision(db.engine) == head_revision()
    db.dispose()
    assert files("leadpilot.memory.migrations").joinpath("versions").is_dir()


def test_a_store_from_a_version_with_other_migrations_says_so_instead_of_a_traceback(tmp_path):
    """A store a newer (or development) Leadpilot wrote: a message naming its revision and the way out, exit 2."""
    from sqlalchemy import text

    db = open_database(f"sqlite:///{tmp_path / 'newer.db'}")
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    env = {**os.environ, "LEADPILOT_DATABASE_URL": f"sqlite:///{tmp_path / 'newer.db'}", "LEADPILOT_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "leadpilot.interfaces.cli", "status"], env=env, capture_output=True, text=True, timeout=120)
    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2 and "Traceback" not in said, said
    assert "schema revision 9999, which this Leadpilot does not know" in said and "LEADPILOT_DATABASE_URL" in said
