"""`evals all`: run routing, nlq and scoring, and write one self-contained HTML report (plots
embedded as PNG) that a RevOps lead can open, plus a JSON summary.

`run_all` runs each evaluation defensively: one that is missing or fails is reported as such, and
the others still run. `write_report(results, out_dir)` only renders what it is given.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import json
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PINNED_NOW = "2026-11-20T12:00:00Z"


# ---------------------------------------------------------------------------------------------
# Running


def _guarded(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        return run()
    except Exception as error:  # one broken evaluation must not hide the others
        return {"error": f"{type(error).__name__}: {error}", "seconds_total": round(time.perf_counter() - started, 2)}


def _run_routing(min_accuracy: float) -> dict[str, Any]:
    from leadpilot.evals.routing import run_routing_eval

    return run_routing_eval(min_accuracy=min_accuracy)


def _run_nlq(backend: str, min_accuracy: float) -> dict[str, Any]:
    # evals/nlq.py is maintained separately; use it only if it offers run_nlq_eval.
    try:
        module = importlib.import_module("leadpilot.evals.nlq")
    except ImportError as error:
        return {"skipped": f"the nlq evaluation is not installed ({error})"}
    run = getattr(module, "run_nlq_eval", None)
    if run is None:
        return {"skipped": "leadpilot.evals.nlq has no run_nlq_eval yet"}
    return run(backend=backend, min_accuracy=min_accuracy)


def _run_scoring(min_auc: float | None) -> dict[str, Any]:
    from leadpilot.evals.scoring import evaluate_store, with_threshold
    from leadpilot.evals.routing import parse_now
    from leadpilot.memory.db import open_database
    from leadpilot.memory.seed import seed_demo

    now = parse_now(PINNED_NOW)
    with tempfile.TemporaryDirectory(prefix="leadpilot-scoring-") as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'scoring.db'}")
        try:
            seed_demo(db, now=now)
            report = evaluate_store(db=db, now=now)
        finally:
            db.dispose()
    return with_threshold(report, min_auc=min_auc)


def run_all(
    *,
    backend: str = "offline",
    min_routing_accuracy: float = 0.98,
    min_nlq_accuracy: float = 0.95,
    min_auc: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """{"routing": report, "nlq": report, "scoring": report}; a report may be {"error"} or {"skipped"}."""
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("routing", lambda: _run_routing(min_routing_accuracy)),
        ("nlq", lambda: _run_nlq(backend, min_nlq_accuracy)),
        ("scoring", lambda: _run_scoring(min_auc)),
    ]
    results: dict[str, dict[str, Any]] = {}
    for name, run in steps:
        if progress:
            progress(f"running evals {name}…")
        results[name] = _guarded(run)
    return results


# ---------------------------------------------------------------------------------------------
# Summary


def _headline(name: str, report: dict[str, Any]) -> tuple[bool | None, str]:
    if "error" in report:
        return False, f"could not run: {report['error']}"
    if "skipped" in report:
        return None, f"skipped: {report['skipped']}"
    if name == "scoring":
        auc = f"held-out AUC {report['auc']:.3f}, Brier {report['brier']:.4f}"
        rule = report.get("rule_score_auc")
        return report.get("passed"), auc + (f" (rule score AUC {rule:.3f})" if rule is not None else "")
    accuracy = report.get("accuracy", 0.0)
    headline = f"accuracy {accuracy:.1%} ({report.get('correct')}/{report.get('cases')} cases)"
    splits = report.get("by_dataset_split") or {}
    if name == "nlq" and splits:
        headline += "; " + ", ".join(f"{key} {part['accuracy']:.1%}" for key, part in splits.items())
    return report.get("passed"), headline


def summarize(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    evals: dict[str, Any] = {}
    for name, report in results.items():
        passed, headline = _headline(name, report)
        entry: dict[str, Any] = {"passed": passed, "headline": headline}
        for key in ("accuracy", "cases", "correct", "min_accuracy", "auc", "brier", "min_auc", "expected_calibration_error", "seconds_total"):
            if key in report:
                entry[key] = report[key]
        evals[name] = entry
    verdicts = [e["passed"] for e in evals.values() if e["passed"] is not None]
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "passed": all(verdicts) if verdicts else None,
        "evals": evals,
    }


# ---------------------------------------------------------------------------------------------
# Plots (matplotlib, Agg, embedded as base64 PNG)


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, plt.subplots(figsize=(width, height), dpi=110)


def _png(plt, fig) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def confusion_png(confusion: dict[str, Any]) -> str:
    labels, matrix = confusion["labels"], confusion["matrix"]
    size = max(4.0, 0.45 * len(labels) + 2)
    plt, (fig, ax) = _figure(size + 1, size)
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels=labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels=labels, fontsize=8)
    ax.set_xlabel("engine's owner")
    ax.set_ylabel("expected owner (hand label)")
    ax.set_title("Routing confusion matrix")
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color="white" if count > max(map(max, matrix)) / 2 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return _png(plt, fig)


def bars_png(labels: list[str], values: list[float], *, title: str, xlabel: str, limit: float | None = 1.0) -> str:
    plt, (fig, ax) = _figure(7, max(2.0, 0.28 * len(labels) + 1))
    colors = ["#2e7d32" if limit is None or v >= limit else "#c62828" for v in values]
    ax.barh(labels, values, color=colors)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    if limit == 1.0:
        ax.set_xlim(0, 1.05)
    ax.tick_params(axis="y", labelsize=8)
    return _png(plt, fig)


def calibration_png(bins: list[dict[str, Any]]) -> str:
    points = [(b["mean_predicted"], b["observed_rate"], b["count"]) for b in bins if b.get("count")]
    plt, (fig, ax) = _figure(5, 5)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    if points:
        xs, ys, counts = zip(*points)
        ax.plot(xs, ys, marker="o", color="#1565c0", label="model")
        for x, y, n in points:
            ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7, color="grey")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted conversion probability")
    ax.set_ylabel("observed conversion rate")
    ax.set_title("Calibration curve (held-out leads; labels: count)")
    ax.legend(loc="upper left")
    return _png(plt, fig)


# ---------------------------------------------------------------------------------------------
# HTML


def _e(value: Any) -> str:
    return html.escape(str(value))


def _img(data: str, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status(passed: bool | None) -> str:
    return {True: '<span class="pass">PASS</span>', False: '<span class="fail">FAIL</span>', None: '<span class="skip">NOT RUN</span>'}[passed]


def _routing_section(report: dict[str, Any]) -> str:
    rules = report["by_rule"]
    parts = [
        f"<p>{report['cases']} hand-labelled cases ({report['decisions']} decisions) against the demo roster, policy "
        f"<code>{_e(report['policy_version'])}</code>. Accuracy <b>{report['accuracy']:.1%}</b> "
        f"(threshold {report['min_accuracy']:.0%}); {report['ms_per_case']:.1f} ms per case.</p>",
        _img(bars_png(list(rules), [r["accuracy"] for r in rules.values()], title="Accuracy by rule (the rule the labeller expected)", xlabel="accuracy"), "accuracy by rule"),
        _table(["rule", "cases", "correct", "accuracy"], [[k, v["cases"], v["correct"], f"{v['accuracy']:.0%}"] for k, v in rules.items()]),
        _img(confusion_png(report["confusion"]), "routing confusion matrix"),
    ]
    if report["misses"]:
        parts.append("<h3>Misses, with the engine's explanation</h3>")
        for miss in report["misses"]:
            parts.append(
                f"<details open><summary><b>{_e(miss['id'])}</b>: expected {_e(', '.join(miss['expected']))} "
                f"({_e(miss['rule_expected'])}), got {_e(', '.join(miss['got']))} ({_e(miss['rule_got'])})</summary>"
                f"<p>Labeller: {_e(miss['labeller_why'])}</p><pre>{_e(miss['engine_explanation'])}</pre></details>"
            )
    else:
        parts.append("<p>No misses.</p>")
    agent = report.get("agent")
    if agent:
        parts.append(f"<p>Agent check ({_e(agent.get('backend'))}): {_e(agent.get('status'))}.</p>")
    return "".join(parts)


def _nlq_section(report: dict[str, Any]) -> str:
    several = len(report.get("by_dataset", {})) > 1
    categories = report.get("by_dataset_category" if several else "by_category", {})
    parts = [
        f"<p>{report.get('cases')} questions, backend {_e(report.get('backend'))}. Exact-set accuracy "
        f"<b>{report.get('accuracy', 0):.1%}</b> (threshold {report.get('min_accuracy', 0):.0%}, overall). "
        "Held-out cases are never looked at while changing the planner.</p>"
    ]
    splits = report.get("by_dataset_split", {})
    if splits:
        parts.append(_table(["dataset/split", "cases", "correct", "accuracy"],
                            [[k, v["cases"], v["correct"], f"{v['accuracy']:.1%}"] for k, v in splits.items()]))
    if categories:
        parts.append(_img(bars_png(list(categories), [c["accuracy"] for c in categories.values()], title="Accuracy by question category", xlabel="accuracy"), "nlq accuracy by category"))
        parts.append(_table(["category", "cases", "correct", "accuracy"], [[k, v["cases"], v["correct"], f"{v['accuracy']:.0%}"] for k, v in categories.items()]))
    usage = report.get("usage") or {}
    if report.get("backend") == "openai" and usage:
        parts.append(f"<p>Per question: {usage.get('mean_round_trips', 0):g} model calls, {usage.get('mean_prompt_tokens', 0):,.0f} prompt "
                     f"and {usage.get('mean_completion_tokens', 0):,.0f} completion tokens, {usage.get('mean_seconds', 0):.2f} s; "
                     f"{usage.get('errors', 0)} backend errors counted as misses.</p>")
    if report.get("interrupted"):
        parts.append("<p><b>Interrupted:</b> these are the cases asked before the run was stopped.</p>")
    misses = report.get("misses", [])
    if misses:
        rows = [[m.get("id"), m.get("split", ""), " → ".join(m.get("turns", [])), m.get("why")] for m in misses[:40]]
        parts.append("<h3>Misses</h3>" + _table(["case", "split", "question", "why"], rows))
    return "".join(parts)


def render_comparison(reports: list[dict[str, Any]]) -> str:
    """nlq reports of several backends (or servers) side by side, as one self-contained HTML page:
    accuracy, errors, model calls, tokens and latency per backend, then each case's verdict."""
    from leadpilot.evals.llm_backend_run import compare_backends

    compared = compare_backends(reports)
    names = [b["name"] for b in compared["backends"]]
    overview = _table(
        ["backend", "accuracy", "cases", "errors", "model calls / question", "prompt tokens / question", "completion tokens / question",
         "seconds / question", "interrupted"],
        [[b["name"], f"{(b.get('accuracy') or 0):.1%}", b.get("cases"), b.get("errors", 0), b.get("mean_round_trips", "—"),
          b.get("mean_prompt_tokens", "—"), b.get("mean_completion_tokens", "—"), b.get("mean_seconds", "—"), b.get("interrupted")]
         for b in compared["backends"]],
    )

    def cell(case: dict[str, Any] | None) -> str:
        if case is None:
            return "not asked"
        mark = "right" if case.get("correct") else ("error: " + str(case["error"])[:80] if case.get("error") else "wrong")
        return f"{mark} ({case.get('round_trips', 0)} calls, {case.get('seconds', 0):.2f} s)"

    rows = [[case_id, *(cell(per.get(name)) for name in names)] for case_id, per in sorted(compared["cases"].items())]
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Leadpilot nlq: backends compared</title>"
        f"<style>{_STYLE}</style></head><body><h1>Query understanding: backends side by side</h1>{overview}"
        f"{_table(['case', *names], rows)}</body></html>"
    )


def _scoring_section(report: dict[str, Any]) -> str:
    metrics = [
        ["AUC (model)", f"{report['auc']:.3f} ± {report.get('auc_se', 0):.3f}"],
        ["AUC (logistic regression baseline)", report.get("logistic_auc")],
        ["AUC (rule score)", report.get("rule_score_auc")],
        ["Brier score (model)", f"{report['brier']:.4f}"],
        ["Brier score (always the base rate)", f"{report.get('baseline_brier', 0):.4f}"],
        ["expected calibration error", report.get("expected_calibration_error")],
        ["held-out leads", report.get("n_test")],
    ]
    parts = [
        f"<p>{_e(report.get('model', ''))} on the demo store's closed leads.</p>",
        _table(["metric", "value"], [[k, "—" if v is None else (f"{v:.3f}" if isinstance(v, float) else v)] for k, v in metrics]),
    ]
    parts += _rule_tier_parts(report)
    if report.get("calibration"):
        parts.append(_img(calibration_png(report["calibration"]), "calibration curve"))
    features = report.get("top_features", [])[:12]
    if features:
        parts.append(_img(bars_png([f["name"] for f in features], [f["importance"] for f in features], title="Top features (held-out AUC drop when shuffled)", xlabel="AUC drop", limit=None), "top features"))
    return "".join(parts)


def _rule_tier_parts(report: dict[str, Any]) -> list[str]:
    """The rule policy's tiers on closed history (as `leadpilot calibrate` shows them), a chart, and fold AUCs."""
    from leadpilot.evals.scoring import TIER_HEADERS, fold_rows, tier_rows

    parts = []
    if report.get("tiers"):
        tiers = report["tiers"]
        parts.append(f"<h3>Rule tiers (policy {_e(tiers['policy_version'])})</h3>" + _table(TIER_HEADERS, tier_rows(tiers)))
        rows = [row for row in tiers["tiers"] if row["conversion"] is not None]
        if rows:
            parts.append(_img(bars_png([row["tier"] for row in rows], [row["conversion"] for row in rows],
                                       title="Conversion on closed history by rule tier", xlabel="conversion rate", limit=None), "conversion by tier"))
    if report.get("cross_validation"):
        parts.append(f"<h3>AUC over {report['cross_validation']['folds']} stratified folds</h3>"
                     + _table(["scorer", "mean ± sd", "per fold"], fold_rows(report["cross_validation"])))
    return parts


_SECTIONS = {"routing": ("Routing", _routing_section), "nlq": ("Query understanding (nlq)", _nlq_section), "scoring": ("Lead scoring", _scoring_section)}
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} section{border-top:1px solid #ddd;margin-top:2rem;padding-top:1rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem} th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}
th{background:#f5f5f5} img{max-width:100%;display:block;margin:1rem 0} pre{background:#f7f7f7;padding:.6rem;white-space:pre-wrap;font-size:.8rem}
.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}.skip{color:#888;font-weight:bold}
"""


def render_html(results: dict[str, dict[str, Any]], summary: dict[str, Any]) -> str:
    overview = _table(
        ["evaluation", "status", "result"],
        [[_SECTIONS.get(name, (name,))[0], {True: "PASS", False: "FAIL", None: "NOT RUN"}[entry["passed"]], entry["headline"]] for name, entry in summary["evals"].items()],
    )
    sections = []
    for name, report in results.items():
        title, render = _SECTIONS.get(name, (name, None))
        entry = summary["evals"][name]
        if "error" in report or "skipped" in report or render is None:
            body = f"<p>{_e(entry['headline'])}</p>"
        else:
            try:
                body = render(report)
            except Exception as error:  # a report missing a field still gets a section
                body = f"<p>Could not render this report: {_e(error)}</p><pre>{_e(json.dumps(report, default=str)[:4000])}</pre>"
        sections.append(f"<section><h2>{_e(title)} {_status(entry['passed'])}</h2>{body}</section>")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Leadpilot evaluation report</title>"
        f"<style>{_STYLE}</style></head><body><h1>Leadpilot evaluation report {_status(summary['passed'])}</h1>"
        f"<p>Generated {_e(summary['generated_at'])}. Each evaluation runs on a fresh demo store at a pinned clock.</p>"
        f"{overview}{''.join(sections)}</body></html>"
    )


def write_report(results: dict[str, dict[str, Any]], out_dir: Path) -> dict[str, Path]:
    """Write report.html (self-contained, plots embedded), summary.json and results.json (the full
    reports) into `out_dir`; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(results)
    paths = {"html": out_dir / "report.html", "summary": out_dir / "summary.json", "results": out_dir / "results.json"}
    paths["html"].write_text(render_html(results, summary), encoding="utf-8")
    paths["summary"].write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    paths["results"].write_text(json.dumps(results, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return paths
