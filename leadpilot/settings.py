"""One validated settings object, read once from `LEADPILOT_*` variables and `.env`.

Everything that can be configured lives here; code asks `get_settings()` instead of reading the
environment. A wrong value fails at start with a message that names the variable and the fix.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
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
}


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

    # Policies RevOps edits; unset = the examples shipped in config/.
    scoring_policy: Path | None = None
    routing_policy: Path | None = None

    # Read-only query limits (datasette-style): a row cap and a statement timeout.
    query_row_cap: int = Field(1000, ge=1, le=100_000)
    query_timeout_ms: int = Field(5000, ge=10, le=600_000)

    import_chunk_size: int = Field(5000, ge=100, le=100_000)

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
        got = item.get("input")
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
