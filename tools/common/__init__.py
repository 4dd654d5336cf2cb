"""Helpers every tools package may use; imports nothing from the other tools packages.

Owns: reading the policy files RevOps edits (YAML/TOML with line numbers, file/key/fix errors, a
reloading holder: policy_files), bulk work with the garbage collector paused (gc_pause), and a
second process that reads and validates while the first writes (worker_process).
May import: leadpilot.settings, config.

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "gc_pause": ["gc_paused"],
    "policy_files": ["PolicyFileError", "PolicyFileHolder", "PolicyKind", "PolicyModel", "PolicyProblem", "TYPE_MESSAGES", "configured_or_shipped", "parse_policy_file", "policy_error", "problem_of", "read_policy_text", "unknown"],
    "worker_process": ["PIPELINE_MIN_BYTES", "pipeline_available", "run_in_worker", "start_method"],
})
