"""The conversion model: features from the store, calibrated boosting, per-lead predictions.

Owns: lead features (features), any-tabular-data loading (tabular), the calibrated classifier
(calibrated_classifier), training/loading/evaluating the model (conversion_model), one lead's
probability with factors, risks and next actions, and feedback on past predictions (predict), the
priority tier of a stored probability (priority).
May import: memory, leadpilot.settings/clock. Nothing else in tools/.

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "conversion_model": ["ModelNotFoundError", "NotEnoughHistoryError", "evaluate_lead_history", "evaluate_tabular", "history_fold_aucs", "tabular_fold_aucs", "latest_model_version", "lead_history", "load_latest_model", "load_model", "train_conversion_model"],
    "features": ["local_zone", "outcome_times"],
    "priority": ["stored_priority"],
    "predict": ["outcome_report", "predict_lead", "prediction_accuracy", "store_probabilities", "validate_closed_predictions", "validate_prediction"],
    "tabular": ["TabularError", "load_tabular"],
})
