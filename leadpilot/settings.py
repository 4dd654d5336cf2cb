"""One validated settings object, read once from `LEADPILOT_*` variables and `.env`.

Everything that can be configured lives here; code asks `get_settings()` instead of reading the
environment. A wrong value fails at start with a message that names the variable and the fix.

Read as pydantic-settings reads them (environment over `.env` over defaults, explicit arguments over
all; variable names in any case) by `_from_environment`, on a plain pydantic model: importing
pydantic-settings (its CLI, cloud-secret and file sources) was a twentieth of `leadpilot ask`'s cold
start (#21).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENV_PREFIX = "LEADPILOT_"
ENV_FILE = ".env"
# Fields read from other variables than LEADPILOT_<FIELD> (the first one set wins).
_ENV_NAMES = {
    "openai_api_key": ("OPENAI_API_KEY", "LEADPILOT_OPENAI_API_KEY"),
    "openai_base_url": ("OPENAI_BASE_URL", "LEADPILOT_OPENAI_BASE_URL"),
}


class SettingsError(RuntimeError):
    """A configuration value is wrong; the message names the variable and how to fix it."""


# How to fix each setting, shown next to the validation error.
_FIXES: dict[str, str] = {
    "now": "use an ISO 8601 timestamp such as 2026-11-20T12:00:00Z, or unset it to use the real clock",
    "database_url": "use sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/dbname",
    "data_dir": "point it at a writable directory, e.g. ./.leadpilot",
    "llm_backend": "use one of: auto, offline, openai",
    "query_row_cap": "use a whole number between 1 and 100000",
    "query_timeout_ms": "use a whole number of milliseconds between 10 and 600000",
    "import_chunk_size": "use a whole number between 100 and 100000",
    "import_max_field_chars": "use a whole number of characters between 131072 and 1073741824, e.g. 33554432 (32 MiB)",
    "ui_trusted_header": "use the name of the header your reverse proxy sets to the signed-in person's email, e.g. X-Forwarded-Email, or unset it",
    "ui_login_max_failures": "use a whole number between 1 and 100, e.g. 5",
    "ui_login_lockout_s": "use seconds between 1 and 86400, e.g. 60 (doubles with each further failure)",
    "ui_login_lockout_max_s": "use seconds between 1 and 604800, e.g. 900 (15 minutes)",
    "slack_bot_token": "paste the Bot User OAuth Token (xoxb-...) from your Slack app's OAuth & Permissions page",
    "slack_app_token": "paste an app-level token (xapp-...) with connections:write from Basic Information > App-Level Tokens, or unset it for HTTP mode",
    "slack_alert_channel": "use a channel ID such as C0123456789 (channel details > About, at the bottom)",
    "hot_alert_needs_model": "use true (hot alerts need the conversion model to agree) or false",
    "slack_api_url": "use an http(s) URL ending in /api/, e.g. https://slack.com/api/",
    "slack_port": "use a port number between 1 and 65535",
    "ui_port": "use a port number between 1 and 65535",
    "embedder": "use onnx (offline) or openai (an OpenAI-compatible embeddings endpoint)",
    "embedding_dimension": "use the vector size of the embedding model, e.g. 1536 for text-embedding-3-small",
    "embedding_threads": "use a whole number of threads between 0 (one per core) and 64",
    "summary_timeout_s": "use seconds above 0 and at most 120, e.g. 10",
    "llm_toolset": "use auto, core (search, aggregate, one lead: fits an 8k context) or full",
    "llm_context": "use the model's context size in tokens, e.g. 8192, or 0 to ask the server",
    "llm_timeout_s": "use seconds above 0, e.g. 60 (a cold local model on CPU may need 300)",
    "llm_retries": "use a whole number between 0 and 5, or unset it (1 for api.openai.com, 0 for local servers)",
    "llm_max_tokens": "use a whole number of tokens between 16 and 100000, e.g. 1024",
    "llm_parallel_tool_calls": "use auto, on or off",
    "llm_facts_role": "use system or user",
    "llm_max_tool_calls": "use a whole number between 1 and 100, e.g. 8",
    "llm_deadline_s": "use seconds above 0 and at most 7200, e.g. 300",
    "llm_max_answer_chars": "use a whole number of characters between 100 and 1000000, e.g. 4000",
    "llm_max_stored_chars": "use a whole number of characters between 1000 and 10000000, e.g. 20000",
    "api_port": "use a port number between 1 and 65535",
    "pipeline_workers": "use a whole number of workers between 0 and 32",
    "pipeline_max_attempts": "use a whole number between 1 and 100",
    "pipeline_batch": "use a whole number of leads between 1 and 256",
    "pipeline_backoff_s": "use seconds between 0 and 3600, e.g. 2",
    "pipeline_lease_s": "use seconds above 0, e.g. 60 (longer than the slowest lead takes to process)",
    "api_allowed_hosts": "use host names separated by commas, e.g. leads.example.com,*.internal.example (localhost, 127.0.0.1 and ::1 are always allowed), or * for any",
    "api_max_body_bytes": "use a whole number of bytes between 1024 and 67108864, e.g. 262144",
    "api_max_json_depth": "use a whole number between 2 and 200, e.g. 32",
    "webhook_tolerance_s": "use whole seconds between 1 and 86400, e.g. 300",
    "hubspot_token": "paste the access token of a HubSpot private app (Settings > Integrations > Private apps; scopes in README 'CRM and email')",
    "hubspot_base_url": "use an http(s) URL such as https://api.hubapi.com (or a test server's http://127.0.0.1:PORT)",
    "salesforce_instance_url": "use your org's https URL, e.g. https://acme.my.salesforce.com",
    "salesforce_domain": "use login (production), test (sandbox) or your My Domain prefix",
    "salesforce_login_url": "use an https URL such as https://acme.my.salesforce.com (or a test server's https://127.0.0.1:PORT)",
    "crm_sync_interval_s": "use seconds between 0 (no scheduled sync) and 86400, e.g. 300",
    "outbox_max_attempts": "use a whole number between 1 and 100",
    "outbox_backoff_s": "use seconds between 0 and 3600, e.g. 2",
    "smtp_port": "use a port number between 1 and 65535 (587 for STARTTLS, 465 for TLS, 25 for none)",
    "smtp_tls": "use one of: starttls, tls, none",
    "smtp_from": "use an address such as Leadpilot <leads@example.com>",
}

# Never echoed back in error messages.
_SECRETS = {"webhook_secret", "webhook_previous_secret", "api_token", "slack_bot_token", "slack_signing_secret", "slack_app_token", "ui_password", "clearbit_api_key", "hunter_api_key", "apollo_api_key", "companies_house_api_key", "hubspot_token", "salesforce_password", "salesforce_security_token", "salesforce_session_id", "smtp_password", "email_link_secret"}


def _from_environment(fields) -> dict[str, str]:
    """The value of each of `fields` that the environment or the `.env` file sets (the environment
    wins), by field name; variable names match in any case."""
    sources = [{name.lower(): value for name, value in os.environ.items()}]
    env_file = Path(ENV_FILE)
    if env_file.is_file() or env_file.is_fifo():
        from dotenv import dotenv_values

        sources.append({name.lower(): value for name, value in dotenv_values(env_file, encoding="utf-8").items()})
    found: dict[str, str] = {}
    for field in fields:
        names = [name.lower() for name in _ENV_NAMES.get(field, (ENV_PREFIX + field,))]
        value = next((source[name] for source in sources for name in names if source.get(name) is not None), None)
        if value is not None:
            found[field] = value
    return found


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, **values: object) -> None:
        super().__init__(**{**_from_environment(type(self).model_fields), **values})

    data_dir: Path = Field(Path(".leadpilot"), description="Where embedded SQLite and Qdrant data live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; defaults to a SQLite file in data_dir. PostgreSQL: postgresql+psycopg://..."
    )
    qdrant_url: str | None = Field(None, description="Qdrant server URL; unset = embedded store in data_dir.")
    qdrant_api_key: SecretStr | None = Field(None, description="API key of the Qdrant server, if it needs one.")
    qdrant_collection: str = Field("leads", description="Collection (server) holding the lead vectors.")
    embedded_vector_store: Literal["numpy", "edge"] = Field(
        "numpy", description="Without a Qdrant server: numpy (exact, fastest filtered queries) or edge (Qdrant Edge)."
    )

    # Embeddings for semantic search: offline MiniLM by default, an OpenAI-compatible endpoint when chosen.
    embedder: Literal["onnx", "openai"] = Field("onnx", description="onnx (offline, default) or openai.")
    embedding_model: str = Field("text-embedding-3-small", description="Model name for LEADPILOT_EMBEDDER=openai.")
    embedding_dimension: int = Field(1536, ge=8, le=8192, description="Vector size of embedding_model.")
    embedding_base_url: str | None = Field(None, description="Embeddings endpoint; default OPENAI_BASE_URL.")
    embedding_threads: int = Field(0, ge=0, le=64, description="Threads of the offline embedder (0 = one per core; `serve`'s worker processes use 1 each).")
    now: datetime | None = Field(None, description="Pins the clock for every relative time (ISO 8601).")

    # LLM backend: OpenAI-compatible when a key is present, the offline planner otherwise.
    llm_backend: Literal["auto", "offline", "openai"] = "auto"
    openai_api_key: str | None = Field(None, description="OPENAI_API_KEY (or LEADPILOT_OPENAI_API_KEY).")
    openai_base_url: str | None = Field(None, description="OPENAI_BASE_URL (or LEADPILOT_OPENAI_BASE_URL).")
    model: str = Field("gpt-4o-mini", description="Model name for the OpenAI-compatible backend.")
    summary_timeout_s: float = Field(10.0, gt=0, le=120, description="Lead summaries: LLM timeout; slower = template summary.")
    # The model's budget and wire (agent/llm_loop.py; README "Use a local model").
    llm_toolset: Literal["auto", "core", "full"] = Field("auto", description="Tools the model gets: core (search, aggregate, one lead), full, or auto (by the server's context size).")
    llm_context: int = Field(0, ge=0, le=10_000_000, description="The model's context in tokens; 0 = ask the server (llama.cpp /props, Ollama /api/show, vLLM/LM Studio models).")
    llm_timeout_s: float = Field(60.0, gt=0, le=3600, description="One request to the model: seconds to wait for its reply.")
    llm_retries: int | None = Field(None, ge=0, le=5, description="Retries of a failed request; unset = 1 for api.openai.com, 0 for local servers.")
    llm_max_tokens: int = Field(1024, ge=16, le=100_000, description="Most tokens the model may write per reply.")
    llm_parallel_tool_calls: Literal["auto", "on", "off"] = Field("auto", description="on/off sends parallel_tool_calls; off also runs one call per reply; auto = the server's default.")
    llm_facts_role: Literal["system", "user"] = Field("system", description="Where the date and the asker go: a system message before the question, or the question's own message (templates that allow one system message).")
    llm_max_tool_calls: int = Field(8, ge=1, le=100, description="Most tool calls the model may make for one question.")
    llm_deadline_s: float = Field(300.0, gt=0, le=7200, description="One question, every model call and tool included, ends after this many seconds.")
    llm_max_answer_chars: int = Field(4000, ge=100, le=1_000_000, description="Longest answer shown and stored; longer is cut, and says so.")
    llm_max_stored_chars: int = Field(20_000, ge=1000, le=10_000_000, description="Largest tool-call arguments or tool result kept in the run log and conversation.")

    # Policies RevOps edits; unset = the examples shipped in config/.
    scoring_policy: Path | None = None
    routing_policy: Path | None = None
    followup_policy: Path | None = Field(None, description="Follow-up cadence, best-time reading and industry defaults.")

    # Read-only query limits (datasette-style): a row cap and a statement timeout.
    query_row_cap: int = Field(1000, ge=1, le=100_000)
    query_timeout_ms: int = Field(5000, ge=10, le=600_000)

    import_chunk_size: int = Field(5000, ge=100, le=100_000)
    import_max_field_chars: int = Field(32 * 1024 * 1024, ge=131_072, le=1_073_741_824,
                                        description="Import: the longest cell a CSV may hold (a long note); longer = that row is rejected.")

    # Slack bot (`leadpilot slack`): HTTP mode (Events API + signing secret), or Socket Mode when
    # an app-level token is set. interfaces/slack/manifest.yaml creates the Slack app.
    slack_bot_token: SecretStr | None = Field(None, description="Bot User OAuth Token (xoxb-...).")
    slack_signing_secret: SecretStr | None = Field(None, description="Signing secret (Basic Information); HTTP mode verifies every request with it.")
    slack_app_token: SecretStr | None = Field(None, description="App-level token (xapp-...); set = Socket Mode, no public URL needed.")
    slack_alert_channel: str | None = Field(None, description="Channel ID where new hot leads are announced.")
    hot_alert_needs_model: bool = Field(
        False, description="With a trained conversion model, announce a new hot lead only when the model agrees (top or high priority)."
    )
    slack_host: str = Field("127.0.0.1", description="HTTP mode: interface to listen on (0.0.0.0 behind a proxy or in a container).")
    slack_port: int = Field(3000, ge=1, le=65535, description="HTTP mode: port; Slack posts to https://YOUR-HOST/slack/events.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL (GovSlack, a proxy, or a test server).")

    # Web chat (`leadpilot ui`, Chainlit). Generated Chainlit files live in data_dir/chainlit.
    ui_host: str = Field("127.0.0.1", description="Web chat: interface to listen on.")
    ui_port: int = Field(8000, ge=1, le=65535, description="Web chat: port.")
    ui_username: str = Field("admin", description="Retired with the shared password: everyone logs in with their own email (`leadpilot user add`).")
    ui_password: SecretStr | None = Field(None, description="Retired (one shared password): `leadpilot ui` refuses to start while it is set; use `leadpilot user add`.")
    ui_trusted_header: str | None = Field(None, description="SSO behind a reverse proxy: the header holding the signed-in person's email. Unset (default) = not trusted.")
    ui_login_max_failures: int = Field(5, ge=1, le=100, description="Web logins: failures in a row (per email and address) before a lock.")
    ui_login_lockout_s: float = Field(60.0, ge=1, le=86_400, description="Web logins: the first lock; doubles with each further failure.")
    ui_login_lockout_max_s: float = Field(900.0, ge=1, le=604_800, description="Web logins: the longest lock.")

    # Enrichment providers (tools/enrichment/providers): a key set = that provider joins the waterfall.
    clearbit_api_key: SecretStr | None = None
    hunter_api_key: SecretStr | None = None
    apollo_api_key: SecretStr | None = None
    companies_house_api_key: SecretStr | None = None
    enrichment_order: str | None = Field(None, description="Per-kind provider order, e.g. 'company=apollo,clearbit;person=clearbit'.")
    enrichment_credit_cap: float = Field(5.0, ge=0, description="Credits one enrichment may spend at most.")
    enrichment_timeout_s: float = Field(5.0, gt=0, le=120, description="Per-provider HTTP timeout.")
    enrichment_retries: int = Field(2, ge=0, le=10)
    enrichment_cache_days: int = Field(30, ge=0, le=3650)

    # Capture API (`leadpilot serve`): signed webhooks in, a database-backed queue, pipeline workers.
    webhook_secret: SecretStr | None = Field(None, description="HMAC-SHA256 key that signs POST /webhooks/lead bodies.")
    webhook_previous_secret: SecretStr | None = Field(None, description="While rotating: the old webhook secret, still accepted until every sender has the new one.")
    webhook_tolerance_s: int = Field(300, ge=1, le=86_400, description="A webhook signature older (or newer) than this is refused: a captured request cannot be replayed later.")
    webhook_legacy_signatures: bool = Field(False, description="Also accept the old `sha256=<hex>` signature without a timestamp (replayable), for senders not yet moved to t=...,v1=....")
    api_token: SecretStr | None = Field(None, description="Bearer token for /leads, /metrics and the docs; unset = `serve` generates one into data_dir/api_token.")
    api_allowed_hosts: str = Field("", description="Host names the API answers besides localhost, 127.0.0.1 and ::1 (comma-separated; * = any).")
    api_public_metrics: bool = Field(False, description="Serve /metrics without the bearer token (a scraper that cannot send one).")
    api_public_docs: bool = Field(False, description="Serve /docs and /openapi.json without the bearer token.")
    api_max_body_bytes: int = Field(256 * 1024, ge=1024, le=64 * 1024 * 1024, description="Largest request body; counted while it streams in, refused with 413 at the limit.")
    api_max_json_depth: int = Field(32, ge=2, le=200, description="Deepest nesting of arrays and objects in a posted lead.")
    api_host: str = Field("127.0.0.1", description="Capture API: interface to listen on.")
    api_port: int = Field(8080, ge=1, le=65535, description="Capture API: port.")
    pipeline_policy: Path | None = Field(None, description="Follow-up windows and nurture sequences; unset = config/pipeline.yaml.")
    pipeline_workers: int = Field(1, ge=0, le=32, description="Pipeline workers `serve` runs, each its own process (0 = capture only; run `leadpilot worker`).")
    pipeline_max_attempts: int = Field(5, ge=1, le=100, description="Attempts before a lead's processing is dead-lettered.")
    pipeline_backoff_s: float = Field(2.0, ge=0, le=3600, description="First retry delay; doubles per attempt.")
    pipeline_lease_s: float = Field(60.0, gt=0, le=86_400, description="A claimed job not finished or renewed in this time is taken over.")
    pipeline_poll_s: float = Field(0.5, gt=0, le=60, description="How often an idle worker looks for work.")
    pipeline_batch: int = Field(32, ge=1, le=256, description="Leads a worker claims and runs step by step together.")

    # CRM sync, email and outgoing webhooks (tools/crm; README "CRM and email").
    crm_policy: Path | None = Field(None, description="CRM field mapping, conflict rule and webhook subscriptions; unset = config/crm.yaml.")
    hubspot_token: SecretStr | None = Field(None, description="HubSpot private app access token; set = leads sync with HubSpot.")
    hubspot_base_url: str = Field("https://api.hubapi.com", description="HubSpot API base URL (a proxy or a test server).")
    salesforce_username: str | None = Field(None, description="Salesforce API user; set (with password and security token) = leads sync with Salesforce.")
    salesforce_password: SecretStr | None = None
    salesforce_security_token: SecretStr | None = None
    salesforce_domain: str = Field("login", description="Salesforce login domain: login, test or a My Domain prefix.")
    salesforce_login_url: str | None = Field(None, pattern=r"^https?://[^/]+/?$", description="Salesforce SOAP login host, instead of https://<salesforce_domain>.salesforce.com (a proxy or a test server).")
    salesforce_instance_url: str | None = Field(None, description="Salesforce instance URL, with salesforce_session_id (an OAuth access token) instead of a password.")
    salesforce_session_id: SecretStr | None = Field(None, description="Salesforce OAuth access token (connected app), used with salesforce_instance_url.")
    salesforce_ca_bundle: Path | None = Field(None, description="CA bundle to trust for Salesforce (a TLS-intercepting proxy or a test server).")
    crm_sync_interval_s: float = Field(300.0, ge=0, le=86_400, description="Workers pull CRM changes this often (0 = only `leadpilot crm sync`).")
    outbox_max_attempts: int = Field(8, ge=1, le=100, description="Attempts before a change for a CRM, an email or a webhook is dead-lettered.")
    outbox_backoff_s: float = Field(2.0, ge=0, le=3600, description="First retry delay of an outbox change; doubles per attempt.")
    outbox_lease_s: float = Field(60.0, gt=0, le=86_400, description="A change claimed but not settled in this time is sent again (same idempotency key).")
    smtp_host: str | None = Field(None, description="SMTP server; set = nurture and assignment emails are sent.")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_tls: Literal["starttls", "tls", "none"] = Field("starttls", description="starttls, tls (implicit, port 465) or none.")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = Field("Leadpilot <leadpilot@localhost>", description="From address of every email.")
    public_url: str = Field("http://localhost:8080", description="Where people reach the API (unsubscribe links).")
    email_link_secret: SecretStr | None = Field(None, description="Signs unsubscribe links; unset = webhook_secret signs them.")

    @field_validator("now")
    @classmethod
    def _now_is_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # a bare timestamp means UTC
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        value = value.strip()
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme in {"postgres", "postgresql"}:
            # psycopg 3 is the driver we ship; accept the common short forms.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not (scheme.startswith("sqlite") or scheme.startswith("postgresql+")):
            raise ValueError(f"unsupported database URL scheme {scheme or value!r}")
        return value

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _slack_token_kind(cls, value: SecretStr | None, info) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        prefix = "xoxb-" if info.field_name == "slack_bot_token" else "xapp-"
        if not value.get_secret_value().strip().startswith(prefix):
            raise ValueError(f"a {'bot' if prefix == 'xoxb-' else 'app-level'} token starts with {prefix}")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("slack_signing_secret", "ui_password", "webhook_secret", "webhook_previous_secret", "api_token")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("api_allowed_hosts")
    @classmethod
    def _host_patterns(cls, value: str) -> str:
        for name in (part.strip() for part in value.split(",")):
            if "*" in name and name != "*" and not (name.startswith("*.") and "*" not in name[1:]):
                raise ValueError(f"{name!r}: a wildcard only stands first, as in *.example.com")
            if any(c.isspace() or c in "/@" for c in name):
                raise ValueError(f"{name!r} is not a host name")
        return value

    @field_validator("slack_alert_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value[:1] in {"C", "G"} or not value.isalnum() or value.upper() != value:
            raise ValueError("not a Slack channel ID")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or not value.rstrip("/").endswith("/api"):
            raise ValueError("not a Slack Web API URL")
        return value.rstrip("/") + "/"

    @property
    def slack_mode(self) -> Literal["socket", "http"]:
        """Socket Mode when an app-level token is set, otherwise HTTP mode."""
        return "socket" if self.slack_app_token is not None else "http"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'leadpilot.db').resolve()}"

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def effective_llm_backend(self) -> Literal["offline", "openai"]:
        if self.llm_backend == "auto":
            return "openai" if self.openai_api_key else "offline"
        return self.llm_backend


def _explain(error: ValidationError) -> str:
    lines = ["Leadpilot cannot start: a setting is wrong."]
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        variable = ENV_PREFIX + field.upper()
        if field.startswith("openai_"):
            variable = field.upper()
        got = "***" if field in _SECRETS else item.get("input")
        lines.append(f"  {variable}={got!r}: {item['msg']}.")
        fix = _FIXES.get(field)
        if fix:
            lines.append(f"    Fix: {fix}.")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (plus explicit overrides), with readable errors."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_explain(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. Tests call `get_settings.cache_clear()`."""
    return load_settings()
