"""The CRM policy RevOps edits (config/crm.yaml): which CRM property holds which Leadpilot field,
which properties receive what Leadpilot computes, how stages map, who wins a conflict, and the
outgoing webhook subscriptions — validated on load with file / key / line / fix."""

from __future__ import annotations

from pathlib import Path
from pydantic import Field, field_validator, model_validator

from leadpilot.tools.common import PolicyFileError, PolicyFileHolder, PolicyKind, PolicyModel, policy_error, unknown

SHIPPED_POLICY = "crm.yaml"
EVENTS = ("lead.created", "lead.scored", "lead.hot", "lead.routed", "lead.assigned")
PULLED = ("external_id", "email", "contact_name", "company", "website", "phone", "job_title", "industry", "company_size",
          "country", "state", "city", "source", "notes")
COMPUTED = ("score", "tier", "conversion_probability")
STAGES = ("DISCOVERY", "LEAD", "PROSPECT", "OPPORTUNITY", "CUSTOMER", "LOST")


class CrmPolicyError(PolicyFileError):
    what = "CRM policy"


def _only(value: dict, allowed: tuple[str, ...], noun: str) -> dict:
    """`value` when each of its keys is one of `allowed`; else the error naming the key and the closest name."""
    for name in value:
        if name not in allowed:
            raise policy_error(unknown(noun, name, allowed), at=name)
    return value


class Conflicts(PolicyModel):
    reroute_crm_owned: bool = False


class CrmMapping(PolicyModel):
    fields: dict[str, str | list[str]] = Field(default_factory=dict)
    computed: dict[str, str] = Field(default_factory=dict)
    stages: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        _only(value, PULLED, "Leadpilot field")
        for name, prop in value.items():
            if isinstance(prop, list) and not prop:
                raise policy_error("an empty list maps nothing — name one or more CRM properties", at=name)
        return value

    @field_validator("computed")
    @classmethod
    def _known_computed(cls, value: dict[str, str]) -> dict[str, str]:
        return _only(value, COMPUTED, "computed field")

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, value: dict[str, str]) -> dict[str, str]:
        return _only(value, STAGES, "stage")

    def pulled_properties(self) -> list[str]:
        names: list[str] = []
        for prop in self.fields.values():
            names += prop if isinstance(prop, list) else [prop]
        return list(dict.fromkeys(names))

    def read(self, properties: dict[str, object]) -> dict[str, object]:
        """A CRM record's properties as Leadpilot's canonical fields (empty values left out)."""
        out: dict[str, object] = {}
        for name, prop in self.fields.items():
            if isinstance(prop, list):
                value = " ".join(str(properties[p]).strip() for p in prop if properties.get(p) not in (None, "")) or None
            else:
                value = properties.get(prop)
            if value not in (None, ""):
                out[name] = value
        return out

    def stage_of(self, crm_value: str | None) -> str | None:
        for stage, value in self.stages.items():
            if crm_value is not None and value.lower() == str(crm_value).lower():
                return stage
        return None


class HubSpotMapping(CrmMapping):
    change_key_property: str = "leadpilot_change_key"


class SalesforceMapping(CrmMapping):
    change_key_field: str = "Leadpilot_Key__c"


class WebhookSubscription(PolicyModel):
    url: str = Field(min_length=8)
    events: list[str] = Field(min_length=1)
    secret_env: str = Field(min_length=1, description="The environment variable holding the signing secret.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise policy_error(f"{value!r} is not an http(s) URL — use e.g. https://hooks.example.com/leadpilot")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        for index, name in enumerate(value):
            if name not in EVENTS:
                raise policy_error(unknown("event", name, EVENTS), at=str(index))
        return value


class CrmPolicy(PolicyModel):
    conflicts: Conflicts = Field(default_factory=Conflicts)
    hubspot: HubSpotMapping = Field(default_factory=HubSpotMapping)
    salesforce: SalesforceMapping = Field(default_factory=SalesforceMapping)
    webhooks: list[WebhookSubscription] = Field(default_factory=list)

    @model_validator(mode="after")
    def _email_pulled(self) -> "CrmPolicy":
        for crm in ("hubspot", "salesforce"):
            if "email" not in getattr(self, crm).fields:
                raise policy_error("map email to the CRM's email property: leads are matched and pushed by it", at=f"{crm}.fields")
        return self

    def subscribers(self, event: str) -> list[WebhookSubscription]:
        return [hook for hook in self.webhooks if event in hook.events]


KIND = PolicyKind(model=CrmPolicy, error_type=CrmPolicyError, shipped=SHIPPED_POLICY, setting="crm_policy",
                  not_a_mapping="the file must hold a mapping with conflicts, hubspot, salesforce and webhooks — see config/crm.yaml")
parse_policy, load_policy = KIND.parse, KIND.load


def CrmPolicyHolder(path: Path | None = None) -> PolicyFileHolder[CrmPolicy]:  # noqa: N802 (reads like a class)
    """The CRM policy in force; a broken edit keeps the previous version."""
    return KIND.holder(path)
