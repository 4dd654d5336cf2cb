"""The pipeline policy RevOps edits (config/pipeline.yaml): what hot, warm and cold leads get after
routing — alerts, follow-up tasks and their windows, nurture sequences — validated on load with
file / key / line / fix, like the scoring and routing policies."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from leadpilot.tools.common import PolicyFileError, PolicyFileHolder, PolicyKind, PolicyModel, policy_error, unknown

SHIPPED_POLICY = "pipeline.yaml"
_PLACEHOLDERS = ("company", "contact_name", "industry", "city", "country")


class PipelinePolicyError(PolicyFileError):
    what = "Pipeline policy"


class HotRules(PolicyModel):
    alert: bool = True
    task: Literal["call", "email"] = "call"
    due_within_minutes: int = Field(60, ge=1, le=7 * 24 * 60)


class WarmRules(PolicyModel):
    task: Literal["call", "email"] = "email"
    due_within_hours: int = Field(24, ge=1, le=30 * 24)


class ColdRules(PolicyModel):
    nurture: str | None = "default"  # None = no nurture


class NurtureStep(PolicyModel):
    after_days: int = Field(ge=0, le=365)
    subject: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _known_placeholders(self) -> "NurtureStep":
        for _, name, _, _ in string.Formatter().parse(self.subject):
            if name is not None and name not in _PLACEHOLDERS:
                raise policy_error(unknown("placeholder", "{" + name + "}", ["{" + p + "}" for p in _PLACEHOLDERS]), at="subject")
        return self


class NurtureSequence(PolicyModel):
    stop_when: list[Literal["warm", "hot", "replied"]] = Field(default_factory=lambda: ["warm", "hot", "replied"])
    steps: list[NurtureStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _in_order(self) -> "NurtureSequence":
        days = [step.after_days for step in self.steps]
        if days != sorted(days):
            raise policy_error(f"steps must be in order of after_days (got {days}) — sort them", at="steps")
        return self


class PipelinePolicy(PolicyModel):
    hot: HotRules = Field(default_factory=HotRules)
    warm: WarmRules = Field(default_factory=WarmRules)
    cold: ColdRules = Field(default_factory=ColdRules)
    nurture_sequences: dict[str, NurtureSequence] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sequence_exists(self) -> "PipelinePolicy":
        name = self.cold.nurture
        if name is not None and name not in self.nurture_sequences:
            raise policy_error(unknown("nurture sequence", name, sorted(self.nurture_sequences) or ["(define nurture_sequences first)"]),
                               at="cold.nurture")
        return self


KIND = PolicyKind(model=PipelinePolicy, error_type=PipelinePolicyError, shipped=SHIPPED_POLICY, setting="pipeline_policy",
                  not_a_mapping="the file must hold a mapping with hot, warm, cold and nurture_sequences — see config/pipeline.yaml")
parse_policy, load_policy, default_policy_path = KIND.parse, KIND.load, KIND.default_path


def PipelinePolicyHolder(path: Path | None = None) -> PolicyFileHolder[PipelinePolicy]:  # noqa: N802 (reads like a class)
    """The pipeline policy in force; a broken edit keeps the previous version (see PolicyFileHolder)."""
    return KIND.holder(path)
