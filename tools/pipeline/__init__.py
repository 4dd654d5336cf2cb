"""The capture pipeline: a posted lead captured durably, then dedup → enrich → index → score →
route → summarize → follow up → alert, by workers claiming from the database queue.

Owns: capture (capture), the steps (steps), the worker (worker), config/pipeline.yaml (policy),
nurture sequences (nurture), pulling CRM records into the pipeline and the workers' outbox/CRM sync
schedule (crm_sync), the rep-facing lead summary (summary;
its facts, template, wording and LLM check in summary_facts/_template/_wording/_llm).
May import: memory, leadpilot.settings/clock, prompts, and every other tools package (it is the
workflow that strings them together); nothing in tools/ imports it.

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "crm_sync": ["CrmBackground", "SyncReport", "sync_crm"],
    "capture": ["CaptureResult", "IdempotencyConflict", "PendingCapture", "body_digest", "prepare_capture", "store_captures"],
    "nurture": ["advance_nurture"],
    "policy": ["PipelinePolicyHolder"],
    "steps": ["StepContext"],
    "summary": ["summarize_lead"],
    "worker": ["PipelineWorker"],
})
