"""`evals nlq --backend openai` measures any server: a backend error is a miss with its reason and
the eval goes on, each question's model calls, tokens and latency are reported, Ctrl-C keeps the
partial results, and backends compare side by side. A slice runs against a real server when
LEADPILOT_TEST_LLM_URL points at one (skipped otherwise)."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from leadpilot.evals.cli import app
from leadpilot.evals.nlq import run_nlq_eval
from leadpilot.evals.report import render_comparison
from leadpilot.settings import get_settings

from conftest import NOW
from llm_stubs import planner_model, question_of, server, use

CASES = ["combo-card", "refuse-weather", "agg-count-by-source"]


@pytest.fixture(autouse=True)
def _fresh_settings():
    yield
    get_settings.cache_clear()


def failing_on_counts(body):
    """A server that fails (HTTP 500) whenever the question is a count, and is slow once."""
    if "how many" in question_of(body).lower() or "by source" in question_of(body).lower():
        return {"status": 500, "content": "CUDA out of memory"}
    return planner_model(NOW)(body)


@pytest.fixture(scope="module")
def stub_report(tmp_path_factory):
    import pytest as _pytest

    monkeypatch = _pytest.MonkeyPatch()
    with server("openai", failing_on_counts) as stub:
        use(monkeypatch, stub, llm_toolset="full")
        report = run_nlq_eval(backend="openai", case_ids=CASES, case_timeout_s=30)
    monkeypatch.undo()
    get_settings.cache_clear()
    return report


def test_a_failing_case_is_a_miss_with_its_reason_and_the_eval_goes_on(stub_report):
    assert stub_report["cases"] == 3 and stub_report["correct"] == 2 and not stub_report["interrupted"]
    (miss,) = stub_report["misses"]
    assert miss["id"] == "agg-count-by-source" and miss["why"].startswith("backend error: ") and "HTTP 500" in miss["error"]
    assert stub_report["usage"]["errors"] == 1


def test_each_question_reports_model_calls_tokens_and_latency(stub_report):
    per_case = {c["id"]: c for c in stub_report["per_case"]}
    assert per_case["combo-card"]["round_trips"] == 2  # the card question: plan, then answer
    assert per_case["combo-card"]["prompt_tokens"] > per_case["combo-card"]["completion_tokens"] > 0
    assert per_case["refuse-weather"]["round_trips"] == 1 and per_case["combo-card"]["seconds"] > 0
    assert stub_report["usage"]["mean_round_trips"] > 0


def test_interrupted_runs_keep_what_was_asked(monkeypatch):
    def stop_after_one(done, total):
        raise KeyboardInterrupt

    with server("openai", planner_model(NOW)) as stub:
        use(monkeypatch, stub)
        report = run_nlq_eval(backend="openai", case_ids=CASES, progress=stop_after_one)
    assert report["interrupted"] and report["cases"] == 1


def test_backends_side_by_side(stub_report, tmp_path):
    # the same cases as the offline planner answers them (all right, one model call each: none)
    offline = {**stub_report, "backend": "offline", "model": "offline planner", "accuracy": 1.0,
               "per_case": [{"id": c["id"], "correct": True, "error": None} for c in stub_report["per_case"]], "usage": None}
    page = render_comparison([offline, stub_report])
    assert "offline:offline planner" in page and "openai:" in page and "error: " in page and "agg-count-by-source" in page
    paths = []
    for name, report in (("offline", offline), ("openai", stub_report)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(report), encoding="utf-8")
    result = CliRunner().invoke(app, ["compare", *map(str, paths), "--out", str(tmp_path / "compare.html")])
    assert result.exit_code == 0, result.output
    assert "backends side by side" in (tmp_path / "compare.html").read_text(encoding="utf-8")


@pytest.mark.skipif(not os.environ.get("LEADPILOT_TEST_LLM_URL"), reason="set LEADPILOT_TEST_LLM_URL (and LEADPILOT_TEST_LLM_MODEL) to a real server")
def test_a_real_server_answers_a_slice(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", os.environ["LEADPILOT_TEST_LLM_URL"])
    monkeypatch.setenv("OPENAI_API_KEY", os.environ.get("LEADPILOT_TEST_LLM_KEY", "sk-local"))
    monkeypatch.setenv("LEADPILOT_MODEL", os.environ.get("LEADPILOT_TEST_LLM_MODEL", "local"))
    get_settings.cache_clear()
    report = run_nlq_eval(backend="openai", case_ids=CASES, case_timeout_s=float(os.environ.get("LEADPILOT_TEST_LLM_TIMEOUT", "600")))
    assert report["cases"] == 3 and len(report["per_case"]) == 3  # it ran to the end; accuracy is the model's
    assert all(c.get("error") or c["round_trips"] >= 1 for c in report["per_case"])
