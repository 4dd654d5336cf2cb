"""`leadpilot` scoring, model and enrichment commands: rescore with the policy file, train the
conversion model, predict and check its predictions, enrich a lead; plus the scoring and training
steps that seed, reindex, import and demo reuse."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from leadpilot.interfaces.cli.shared import _console, _err_console, app, current_clock, fail, open_store, say


def _scoring_policy():
    """The scoring policy file in force; a broken file stops the command with file, key and fix."""
    from leadpilot.tools.scoring import PolicyError, load_policy

    try:
        return load_policy()
    except PolicyError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _apply_rule_scores(db, *, actor: str = "rescore", index=None) -> None:
    """Score every lead with the rule policy (config/scoring.yaml or LEADPILOT_SCORING_POLICY); leads
    in the semantic index (`index`, else opened here) also get the semantic category."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.scoring import rescore_leads
    from leadpilot.tools.scoring import open_scoring_index

    policy = _scoring_policy()
    problem = None
    if index is None:
        index, problem = open_scoring_index(db, category=policy.categories.semantic_in_force, settings=get_settings())
    report = rescore_leads(db, policy=policy, now=current_clock().now(), semantic=index, actor=actor)
    moves = ", ".join(f"{move} {count:,}" for move, count in sorted(report.tier_moves.items())) or "no changes"
    semantic = f" Semantic category on {report.semantic_scored:,} indexed leads." if report.semantic_scored else ""
    _console().print(
        f"Scored {report.scored:,} leads with policy {report.policy_version} in {report.duration_s:.1f} s: {moves}.{semantic}"
    )
    if problem or report.semantic_problem:
        _err_console().print(problem or report.semantic_problem, style="yellow", markup=False, highlight=False)


def _train_quietly(db, *, announce: bool = False) -> None:
    """Train the conversion model on the demo history so predictions exist from the first chat."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.prediction import NotEnoughHistoryError, load_latest_model, train_conversion_model
    from leadpilot.tools.prediction import store_probabilities

    if announce:
        say("Training the conversion model on the closed leads (a few seconds)...")
    now = current_clock().now()
    try:
        version = train_conversion_model(db, now=now, data_dir=get_settings().data_dir)
    except NotEnoughHistoryError:
        return
    with db.transaction() as session:
        store_probabilities(session, model=load_latest_model(db, get_settings().data_dir), now=now)
    _console().print(f"Trained conversion model {version.version} (held-out AUC {version.metrics['auc']:.3f}).")


@app.command()
def rescore() -> None:
    """Re-score every lead with the scoring policy file; changes go to the audit with the reason."""
    db = open_store()
    try:
        _apply_rule_scores(db)
    finally:
        db.dispose()


@app.command()
def calibrate(
    write: Annotated[bool, typer.Option("--write", help="Apply the proposed grid thresholds to the policy file and re-score (audited).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """How the scoring policy's tiers convert on your closed leads, the rule score's AUC, proposed grid
    thresholds for the policy's calibration targets, and learned category weights (a proposal only)."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.scoring import apply_proposal, calibrate_policy, open_scoring_index

    policy = _scoring_policy()
    db = open_store()
    try:
        index, problem = open_scoring_index(db, category=policy.categories.semantic_in_force, settings=get_settings())
        if problem:
            _err_console().print(problem, style="yellow", markup=False, highlight=False)
        with db.session() as session:
            report = calibrate_policy(session, policy=policy, now=current_clock().now(), semantic=index)
        if as_json and not write:
            sys.stdout.write(json.dumps(report.to_dict(), default=str) + "\n")
            return
        if not as_json:
            render_calibration(report, _console())
        if write:
            if get_settings().scoring_policy is None:
                raise fail(f"--write changes your own policy file, not the example shipped with Leadpilot ({policy.path}): copy it, "
                           "set LEADPILOT_SCORING_POLICY=/path/to/your/scoring.yaml and run it again.", as_json=as_json, code=2)
            proposal = report.proposal
            if proposal is None or policy.path is None:
                raise fail("Nothing to write: " + ("; ".join(report.notes) or "no proposal"), as_json=as_json)
            if proposal.thresholds == report.current.thresholds:  # type: ignore[union-attr]
                say("The policy's thresholds are already the proposal: nothing to write.")
                return
            from leadpilot.interfaces.cli.shared import cli_actor

            with db.transaction() as session:
                before, after = apply_proposal(session, report=report, path=policy.path, actor=cli_actor(),
                                               at=current_clock().now())
            say(f"Wrote {proposal.thresholds.describe()} to {policy.path} (policy {before.version} → {after.version}); "
                f"audited as a policy change by {cli_actor()} (see `leadpilot score-drift`).")
            _apply_rule_scores(db, actor="calibrate", index=index)
    finally:
        db.dispose()


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def render_calibration(report, console) -> None:
    """The calibration report as tables (also used by `evals scoring`)."""
    from rich.table import Table

    base = _share(report.base_rate)
    auc = "—" if report.auc is None else f"{report.auc:.3f}"
    console.print(
        f"[bold]Policy {report.policy_version}[/bold] on {report.open_leads:,} open and {report.closed_leads:,} closed leads "
        f"({report.converted:,} converted, {base}); rule score AUC on closed history: [bold]{auc}[/bold]"
    )
    table = Table(title="Tiers: share of open leads; won rate on closed history (Wilson 95% CI)", header_style="bold")
    for column in ("tier", "open", "share", "closed", "won", "rate", "95% CI", "lift", ""):  # fits 80 columns
        table.add_column(column, justify="left" if column in ("tier", "") else "right", no_wrap=True)
    for row in report.tiers:
        interval = "—" if row.interval is None else f"{row.interval[0]:.1%}–{row.interval[1]:.1%}"
        lift = "—" if row.lift is None else f"{row.lift:.2f}×"
        table.add_row(row.tier, f"{row.open_leads:,}", _share(row.open_share), f"{row.closed_leads:,}", f"{row.converted:,}",
                      _share(row.conversion), interval, lift, "█" * round(10 * (row.conversion or 0)))
    console.print(table)
    if report.proposal is not None:
        targets = report.targets
        console.print(f"Targets: hot ≈ {targets['hot_share']:.0%} of open leads, converting ≥ {targets['hot_lift']:g}× overall.")
        for label, item in (("now", report.current), ("proposed", report.proposal)):
            lift = "—" if item.hot_lift is None else f"{item.hot_lift:.2f}×"
            shares = ", ".join(f"{tier} {_share(share)}" for tier, share in item.shares.items())
            console.print(f"  {label:<9} {item.thresholds.describe()}: {shares} of open; hot converts {lift} overall"
                          + (" [green]meets the targets[/green]" if item.meets_targets else " [yellow]misses the targets[/yellow]"))
        if report.proposal.thresholds == report.current.thresholds:
            console.print(f"  Nothing to change: {report.proposal.why}.", highlight=False)
        else:
            console.print(f"  {report.proposal.why}. `leadpilot calibrate --write` applies it and re-scores (audited).", highlight=False)
    if report.weights is not None:
        weights = Table(title=f"Learned category weights (logistic fit, 5-fold AUC {report.weights.cv_auc:.3f}) — a proposal, not applied",
                        header_style="bold")
        for column in ("category", "axis", "cap now", "log-odds per 10 points", "suggested cap"):
            weights.add_column(column, justify="left" if column in ("category", "axis") else "right")
        for item in report.weights.categories:
            weights.add_row(item["category"].replace("_", " "), item["axis"], f"{item['cap']:g}", f"{item['log_odds_per_10_points']:+.3f}",
                            str(item["suggested_cap"]))
        console.print(weights)
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)
    from leadpilot.tools.scoring import HISTORY_NOTE

    console.print(f"({HISTORY_NOTE}.)", highlight=False)


@app.command("score-drift")
def score_drift(
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks back (1–104).")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Tiers and scores of open leads week by week, from the audit: the drift after a policy change."""
    from rich.table import Table

    from leadpilot.tools.scoring import score_drift as drift_of

    db = open_store()
    try:
        with db.session() as session:
            try:
                drift = drift_of(session, now=current_clock().now(), weeks=weeks)
            except ValueError as error:
                raise fail(str(error), as_json=as_json, code=2) from None
    finally:
        db.dispose()
    if as_json:
        sys.stdout.write(json.dumps(drift.to_dict(), default=str) + "\n")
        return
    table = Table(title="Open leads by tier, week by week (from the audit)", header_style="bold")
    for column in ("week ending", "leads", "hot", "warm", "cold", "hot share", "mean score", "tier moves", "policies"):
        table.add_column(column, justify="left" if column in ("week ending", "tier moves", "policies") else "right")
    for row in drift.weeks:
        moves = ", ".join(f"{move} {count:,}" for move, count in list(row.tier_moves.items())[:4])
        table.add_row(row.week_ending, f"{row.leads:,}", *(f"{row.tiers[t]:,}" for t in ("hot", "warm", "cold")),
                      _share(row.hot_share), "—" if row.mean_score is None else f"{row.mean_score:.1f}", moves, ", ".join(row.policies))
    _console().print(table)
    for change in drift.policy_changes:
        _console().print(f"policy change: {change.sentence()}", markup=False, highlight=False)
    for note in drift.notes:
        _console().print(f"note: {note}", highlight=False)


@app.command()
def train() -> None:
    """Learn conversion probability from the store's own history; score open leads with it."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.prediction import NotEnoughHistoryError, load_latest_model, train_conversion_model
    from leadpilot.tools.prediction import store_probabilities

    settings = get_settings()
    now = current_clock().now()
    db = open_store()
    try:
        try:
            version = train_conversion_model(db, now=now, data_dir=settings.data_dir)
        except NotEnoughHistoryError as error:
            _err_console().print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        model = load_latest_model(db, settings.data_dir)
        with db.transaction() as session:
            scored = store_probabilities(session, model=model, now=now)
    finally:
        db.dispose()
    metrics = version.metrics
    rule_auc = metrics.get("rule_score_auc")
    _console().print(
        f"Trained {version.version} on {version.n_train} closed leads: held-out AUC {metrics['auc']:.3f}, "
        f"Brier {metrics['brier']:.3f}"
        + (f" (rule score AUC on the same leads: {rule_auc:.3f})" if rule_auc is not None else "")
        + f". Probabilities written for {scored} open leads."
    )


@app.command()
def predict(
    lead_id: Annotated[int, typer.Argument(help="Lead id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Conversion prediction for one lead: probability, factors, risks, next actions, time to close.
    A won or lost lead reports its outcome instead."""
    from leadpilot.memory.lead_lookup import lead_outcome
    from leadpilot.memory.models import Lead
    from leadpilot.settings import get_settings
    from leadpilot.tools.prediction import ModelNotFoundError, load_latest_model, outcome_report
    from leadpilot.tools.prediction import predict_lead

    db = open_store()
    try:
        with db.session() as session:
            if session.get(Lead, lead_id) is None:
                raise fail(f"No lead {lead_id}.", as_json=as_json)
            outcome = lead_outcome(session, lead_id)
        if outcome is not None:  # closed: the outcome, with or without a trained model
            report = outcome_report(outcome)
            if as_json:
                sys.stdout.write(json.dumps(report) + "\n")
            else:
                _console().print(f"Lead {lead_id}: {outcome.sentence()} There is nothing left to predict.")
            return
        try:
            model = load_latest_model(db, get_settings().data_dir)
        except ModelNotFoundError as error:
            raise fail(str(error), as_json=as_json) from None
        with db.transaction() as session:
            try:
                prediction = predict_lead(session, lead_id=lead_id, model=model, now=current_clock().now())
            except LookupError as error:
                raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()
    if as_json:
        sys.stdout.write(json.dumps(prediction.to_dict(), default=str) + "\n")
        return
    console = _console()
    p = prediction
    console.print(
        f"Lead {p.lead_id}: [bold]{p.probability:.0%}[/bold] likely to convert ({p.tier} priority; "
        f"confidence {p.confidence_label}, {p.confidence:.2f}) — model {p.model_version}"
    )
    for title, factors in (("Raising it", p.raising), ("Lowering it", p.lowering)):
        if factors:
            console.print(f"[bold]{title}[/bold]")
            for factor in factors:
                console.print(f"  {factor.effect:+.1%}  {factor.group}: {factor.detail}")
    if p.risks:
        console.print("[bold]Risks[/bold]")
        for risk in p.risks:
            console.print(f"  - {risk.message}")
    if p.recommendations:
        console.print("[bold]Next actions[/bold]")
        for action in p.recommendations:
            console.print(f"  [{action.urgency}] {action.action} — {action.reason}")
    if p.time_to_close:
        t = p.time_to_close
        console.print(f"Time to close if it converts: ~{t.expected_days:.0f} days ({t.optimistic_days:.0f}–{t.pessimistic_days:.0f}; {t.basis})")


@app.command()
def feedback(
    lead_id: Annotated[int | None, typer.Option("--lead", help="Mark the latest prediction for this lead...")] = None,
    converted: Annotated[bool | None, typer.Option("--converted/--lost", help="...as converted or lost.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How right the conversion model has been: predictions validated against outcomes, accuracy,
    conversion by priority tier and what the model weighs. Closed leads are validated automatically."""
    from sqlalchemy import select

    from leadpilot.memory.ml_models import Prediction
    from leadpilot.tools.prediction import prediction_accuracy, validate_closed_predictions, validate_prediction

    now = current_clock().now()
    db = open_store()
    try:
        with db.transaction() as session:
            if lead_id is not None:
                if converted is None:
                    raise fail("--lead needs --converted or --lost.", as_json=as_json, code=2)
                prediction_id = session.scalar(
                    select(Prediction.id).where(Prediction.lead_id == lead_id).order_by(Prediction.made_at.desc(), Prediction.id.desc())
                )
                if prediction_id is None:
                    raise fail(f"No prediction recorded for lead {lead_id}; run `leadpilot predict {lead_id}` first.", as_json=as_json)
                validate_prediction(session, prediction_id=prediction_id, converted=converted, now=now)
            validated_now = validate_closed_predictions(session, now=now)
            report = prediction_accuracy(session)
    finally:
        db.dispose()
    if as_json:
        sys.stdout.write(json.dumps({"validated_now": validated_now, **report}, default=str) + "\n")
        return
    console = _console()
    accuracy = "n/a" if report["accuracy"] is None else f"{report['accuracy']:.1%}"
    console.print(
        f"Model {report['model_version'] or '(none trained)'}: {report['validated']} of {report['predictions']} predictions "
        f"validated ({validated_now} just now); accuracy {accuracy} at p ≥ {report['decision_threshold']}"
        + (f", Brier {report['brier']:.3f}" if report["brier"] is not None else "")
    )
    for tier, entry in sorted(report["by_tier"].items()):
        console.print(f"  {tier:<7} {entry['count']:>5} predictions, {entry['conversion_rate']:.0%} converted")
    if report["feature_importance"]:
        console.print("What the model weighs most:")
        for item in report["feature_importance"][:8]:
            name = item.get("group") or item.get("name") or item.get("feature")
            console.print(f"  {name}: {item.get('importance', item.get('auc_drop', ''))}")


@app.command()
def enrich(
    target: Annotated[str, typer.Argument(help="An email, a domain/website, or a lead id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    save: Annotated[bool, typer.Option("--save", help="Store the result in the lead's enrichment (lead ids only).")] = False,
) -> None:
    """Enrich an email, a domain or a lead: every field with its source; paid providers only when configured."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.enrichment import enrich_lead, enrich_target
    from leadpilot.tools.enrichment import waterfall_from_settings

    settings = get_settings()
    waterfall = waterfall_from_settings(settings)
    db = open_store()
    try:
        now = current_clock().now()
        if save and target.strip().isdigit():
            result = enrich_lead(db, lead_id=int(target), now=now, waterfall=waterfall, credit_cap=settings.enrichment_credit_cap, save=True)
        else:
            result = enrich_target(db, target=target, now=now, waterfall=waterfall, credit_cap=settings.enrichment_credit_cap)
    except LookupError as error:
        raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(result, default=str))
        return
    from rich.table import Table

    table = Table(title=f"Enrichment of {result['target']}")
    for column in ("field", "value", "source", "why"):
        table.add_column(column)
    for name, item in result["fields"].items():
        table.add_row(name, str(item["value"]), item["source"], item["why"])
    console = _console()
    console.print(table)
    credits = result["credits"]
    if credits["estimate"]:
        console.print(f"Credits: estimated up to {credits['worst_case']:g} (cap {credits['cap']:g}), spent {credits['spent']:g}")
        for attempt in result["attempts"]:
            console.print(f"  {attempt['kind']}: {attempt['provider']} -> {attempt['outcome']} {attempt.get('detail', '')}")
    else:
        console.print("No enrichment provider configured: offline enrichment only (set LEADPILOT_*_API_KEY to add providers).")
