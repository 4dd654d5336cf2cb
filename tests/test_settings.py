"""Settings and the clock: defaults, `.env`, LEADPILOT_NOW, and errors that name the variable and fix."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from leadpilot.clock import Clock, clock_from_settings
from leadpilot.settings import SettingsError, get_settings, load_settings


def test_embedded_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("LEADPILOT_DATA_DIR")
    monkeypatch.delenv("LEADPILOT_NOW")
    settings = load_settings()
    assert settings.data_dir == Path(".leadpilot")
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / '.leadpilot' / 'leadpilot.db')}"
    assert settings.qdrant_path == Path(".leadpilot/qdrant")
    assert settings.effective_llm_backend == "offline"
    assert clock_from_settings(settings).is_pinned is False


def test_now_pins_the_clock_and_is_utc(monkeypatch):
    monkeypatch.setenv("LEADPILOT_NOW", "2026-11-20T14:00:00+02:00")
    clock = clock_from_settings(load_settings())
    assert clock.now() == datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    assert clock.now().tzinfo == timezone.utc
    monkeypatch.setenv("LEADPILOT_NOW", "2026-11-20T12:00:00")  # bare timestamp = UTC
    assert clock_from_settings(load_settings()).now() == datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def test_unpinned_clock_follows_real_time():
    before = datetime.now(timezone.utc)
    assert before <= Clock().now() <= datetime.now(timezone.utc)


def test_bad_now_names_variable_and_fix(monkeypatch):
    monkeypatch.setenv("LEADPILOT_NOW", "yesterday")
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert "LEADPILOT_NOW='yesterday'" in message
    assert "Fix: use an ISO 8601 timestamp" in message


def test_bad_database_url_and_numbers(monkeypatch):
    monkeypatch.setenv("LEADPILOT_DATABASE_URL", "mysql://x@y/z")
    monkeypatch.setenv("LEADPILOT_QUERY_ROW_CAP", "lots")
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert "LEADPILOT_DATABASE_URL='mysql://x@y/z'" in message and "postgresql+psycopg://" in message
    assert "LEADPILOT_QUERY_ROW_CAP='lots'" in message and "whole number" in message


def test_postgres_short_url_uses_psycopg(monkeypatch):
    monkeypatch.setenv("LEADPILOT_DATABASE_URL", "postgresql://app@db:5432/leads")
    assert load_settings().resolved_database_url == "postgresql+psycopg://app@db:5432/leads"


def test_dotenv_file_is_read_and_environment_wins(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("LEADPILOT_MODEL=llama3.1\nLEADPILOT_QUERY_ROW_CAP=50\nOPENAI_API_KEY=sk-from-dotenv\n")
    monkeypatch.setenv("LEADPILOT_QUERY_ROW_CAP", "75")
    settings = load_settings()
    assert settings.model == "llama3.1"
    assert settings.query_row_cap == 75
    assert settings.effective_llm_backend == "openai"


def test_get_settings_is_cached(monkeypatch):
    first = get_settings()
    monkeypatch.setenv("LEADPILOT_MODEL", "other")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().model == "other"


def test_cli_refuses_to_start_on_a_bad_setting(monkeypatch):
    monkeypatch.setenv("LEADPILOT_NOW", "not-a-date")
    result = subprocess.run(
        [sys.executable, "-m", "leadpilot.interfaces.cli", "status"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "LEADPILOT_NOW='not-a-date'" in result.stderr
    assert "Traceback" not in result.stderr


def test_variables_are_read_as_pydantic_settings_read_them(monkeypatch, tmp_path):
    """#21: settings.py reads the environment itself (no pydantic-settings import); the rules it kept:
    names in any case, OPENAI_* before LEADPILOT_OPENAI_*, the environment before `.env` (whose
    `export` lines, quotes and ${VAR} are read as python-dotenv reads them), explicit arguments first."""
    (tmp_path / ".env").write_text(
        "export leadpilot_ui_port=9001\nLEADPILOT_OPENAI_BASE_URL='http://file/v1'\nLEADPILOT_SMTP_HOST\n"
        "LEADPILOT_DATA_DIR=${HOME}/lp\nOPENAI_API_KEY=sk-file\n"
    )
    monkeypatch.setenv("HOME", "/home/someone")
    monkeypatch.delenv("LEADPILOT_DATA_DIR")
    monkeypatch.setenv("leadpilot_model", "lower-case-name")
    monkeypatch.setenv("LEADPILOT_OPENAI_API_KEY", "sk-second")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-first")
    settings = load_settings(query_row_cap=7)
    assert settings.model == "lower-case-name"
    assert settings.openai_api_key == "sk-first"  # the environment's, over LEADPILOT_OPENAI_API_KEY and .env
    assert settings.openai_base_url == "http://file/v1"
    assert settings.ui_port == 9001
    assert settings.smtp_host is None  # a name without a value sets nothing
    assert settings.data_dir == Path("/home/someone/lp")
    assert settings.query_row_cap == 7
    monkeypatch.setenv("LEADPILOT_QUERY_ROW_CAP", "")
    with pytest.raises(SettingsError, match="LEADPILOT_QUERY_ROW_CAP=''"):  # empty is a value, as before
        load_settings()
