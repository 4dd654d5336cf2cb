"""One validated settings object, read once from `LEADPILOT_*` variables and `.env`.

Everything that can be configured lives here; code asks `get_settings()` instead of reading the
environment. A wrong value fails at start with a message that names the variable and the fix.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "LEADPILOT_"


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
    "slack_bot_token": "paste the Bot User OAuth Token (xoxb-...) from your Slack app's OAuth & Permissions page",
    "slack_app_token": "paste an app-level token (xapp-...) with connections:write from Basic Information > App-Level Tokens, or unset it for HTTP mode",
    "slack_alert_channel": "use a channel ID such as C0123456789 (channel details > About, at the bottom)",
    "slack_api_url": "use an http(s) URL ending in /api/, e.g. https://slack.com/api/",
    "slack_port": "use a port number between 1 and 65535",
    "ui_port": "use a port number between 1 and 65535",
    "embedder": "use onnx (offline) or openai (an OpenAI-compatible embeddings endpoint)",
    "embedding_dimension": "use the vector size of the embedding model, e.g. 1536 for text-embedding-3-small",
    "embedding_threads": "use a whole number of threads between 0 (one per core) and 64",
    "summary_timeout_s": "use seconds above 0 and at most 120, e.g. 10",
    "api_port": "use a port number between 1 and 65535",
    "pipeline_workers": "use a whole number of workers between 0 and 32",
    "pipeline_max_attempts": "use a whole number between 1 and 100",
    "pipeline_batch": "use a whole number of leads between 1 and 256",
    "pipeline_backoff_s": "use seconds between 0 and 3600, e.g. 2",
    "pipeline_lease_s": "use seconds above 0, e.g. 60 (longer than the slowest lead takes to process)",
}

# Never echoed back in error messages.
_SECRETS = {"webhook_secret", "api_token", "slack_bot_token", "slack_signing_secret", "slack_app_token", "ui_password", "clearbit_api_key", "hunter_api_key", "apollo_api_key", "companies_house_api_key"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

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
    openai_api_key: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "LEADPILOT_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_BASE_URL", "LEADPILOT_OPENAI_BASE_URL")
    )
    model: str = Field("gpt-4o-mini", description="Model name for the OpenAI-compatible backend.")
    summary_timeout_s: float = Field(10.0, gt=0, le=120, description="Lead summaries: LLM timeout; slower = template summary.")

    # Policies RevOps edits; unset = the examples shipped in config/.
    scoring_policy: Path | None = None
    routing_policy: Path | None = None
    followup_policy: Path | None = Field(None, description="Follow-up cadence, best-time reading and industry defaults.")

    # Read-only query limits (datasette-style): a row cap and a statement timeout.
    query_row_cap: int = Field(1000, ge=1, le=100_000)
    query_timeout_ms: int = Field(5000, ge=10, le=600_000)

    import_chunk_size: int = Field(5000, ge=100, le=100_000)

    # Slack bot (`leadpilot slack`): HTTP mode (Events API + signing secret), or Socket Mode when
    # an app-level token is set. interfaces/slack/manifest.yaml creates the Slack app.
    slack_bot_token: SecretStr | None = Field(None, description="Bot User OAuth Token (xoxb-...).")
    slack_signing_secret: SecretStr | None = Field(None, description="Signing secret (Basic Information); HTTP mode verifies every request with it.")
    slack_app_token: SecretStr | None = Field(None, description="App-level token (xapp-...); set = Socket Mode, no public URL needed.")
    slack_alert_channel: str | None = Field(None, description="Channel ID where new hot leads are announced.")
    slack_host: str = Field("127.0.0.1", description="HTTP mode: interface to listen on (0.0.0.0 behind a proxy or in a container).")
    slack_port: int = Field(3000, ge=1, le=65535, description="HTTP mode: port; Slack posts to https://YOUR-HOST/slack/events.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL (GovSlack, a proxy, or a test server).")

    # Web chat (`leadpilot ui`, Chainlit). Generated Chainlit files live in data_dir/chainlit.
    ui_host: str = Field("127.0.0.1", description="Web chat: interface to listen on.")
    ui_port: int = Field(8000, ge=1, le=65535, description="Web chat: port.")
    ui_username: str = Field("admin", description="Web chat login name that sees every lead (reps log in with their email).")
    ui_password: SecretStr | None = Field(None, description="Set = the web chat asks for this password; unset = no login.")

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
    api_token: SecretStr | None = Field(None, description="Bearer token for GET/POST /leads/...; required off loopback.")
    api_host: str = Field("127.0.0.1", description="Capture API: interface to listen on.")
    api_port: int = Field(8080, ge=1, le=65535, description="Capture API: port.")
    pipeline_policy: Path | None = Field(None, description="Follow-up windows and nurture sequences; unset = config/pipeline.yaml.")
    pipeline_workers: int = Field(1, ge=0, le=32, description="Pipeline workers `serve` runs, each its own process (0 = capture only; run `leadpilot worker`).")
    pipeline_max_attempts: int = Field(5, ge=1, le=100, description="Attempts before a lead's processing is dead-lettered.")
    pipeline_backoff_s: float = Field(2.0, ge=0, le=3600, description="First retry delay; doubles per attempt.")
    pipeline_lease_s: float = Field(60.0, gt=0, le=86_400, description="A claimed job not finished or renewed in this time is taken over.")
    pipeline_poll_s: float = Field(0.5, gt=0, le=60, description="How often an idle worker looks for work.")
    pipeline_batch: int = Field(32, ge=1, le=256, description="Leads a worker claims and runs step by step together.")

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

    @field_validator("slack_signing_secret", "ui_password", "webhook_secret", "api_token")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

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
