"""What the capture API accepts and answers, as typed models (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class LeadIn(BaseModel):
    """The canonical lead fields (docs: ../shared/DESIGN.md). Any other field is kept as an extra."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "external_id": "web-1001", "company": "ACME Corp", "website": "acme.example", "contact_name": "Jane Roe",
        "email": "jane@acme.example", "job_title": "CEO", "industry": "technology", "company_size": 50,
        "country": "US", "state": "CA", "city": "San Francisco", "source": "referral", "notes": "Asked for a demo"}})

    external_id: str | None = None
    company: str | None = None
    website: str | None = None
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    industry: str | None = None
    company_size: int | str | None = Field(None, description="Employees.")
    country: str | None = None
    state: str | None = None
    city: str | None = None
    source: str | None = Field(None, description="referral, organic, paid, event, partner, outbound, webinar or other.")
    stage: str | None = None
    owner_email: str | None = None
    created_at: str | None = Field(None, description="ISO 8601; default now.")
    last_contacted_at: str | None = None
    notes: str | None = None


class Captured(BaseModel):
    lead_id: int
    status: str = Field(description="queued (new), or repeat (posted before: not processed again).")
    repeat: bool
    updated: bool = Field(description="The post changed stored fields.")
    status_url: str


class FieldError(BaseModel):
    field: str
    value: Any = None
    message: str


class Invalid(BaseModel):
    detail: str
    errors: list[FieldError] = []


class Problem(BaseModel):
    detail: str


class LeadStatus(BaseModel):
    lead: dict[str, Any]
    status: str = Field(description="queued, running, done or dead (out of attempts: POST /leads/{id}/retry), or none.")
    attempts: int
    last_error: str | None
    steps: dict[str, Any] = Field(description="The checkpoint of every finished step: outcome, message and data.")
    summary: list[str]
    history: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    nurture: dict[str, Any] | None
    outbox: list[dict[str, Any]] = Field(default_factory=list, description="Changes owed to CRMs, email and webhooks: pending, sent, cancelled or dead (with the last error).")
