"""The demo dataset: a realistic, deterministic sales team with 180 days of lead history.

`build_demo_dataset` is pure: the same seed and the same `now` give identical data, and every
timestamp is an offset from `now`. The history carries real signal (source, size, industry,
seniority, engagement and rep all move the conversion odds), so scoring has something to learn
and the evals have something to measure. `load_demo_dataset` bulk-inserts it; `seed_demo` is what
`leadpilot seed` calls.

Rows are store-ready column values, except that they refer to each other by natural keys rather
than database ids: a lead names its owner by `owner_email`, an activity its lead by
`lead_external_id` and its rep by `rep_email`, a time-off period its rep by `rep_email`.

The modules: companies (cities, names, domains, sizes), people (contact names, titles, emails),
notes (what each lead needs), reps (the roster, time off, historical owners), lead_life (the
conversion model and each lead's activities), dataset (building it all), loading (into the store),
helpers (weighted draws, slugs, time offsets).
"""

from leadpilot.memory.seed.companies import CITIES, City
from leadpilot.memory.seed.dataset import DemoDataset, SeedSummary, build_demo_dataset, summarize_dataset
from leadpilot.memory.seed.loading import StoreNotEmptyError, load_demo_dataset, seed_demo

__all__ = [
    "CITIES",
    "City",
    "DemoDataset",
    "SeedSummary",
    "StoreNotEmptyError",
    "build_demo_dataset",
    "load_demo_dataset",
    "seed_demo",
    "summarize_dataset",
]
