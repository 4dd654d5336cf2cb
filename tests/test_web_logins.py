"""Per-person web logins (issue #16, finding 5): each person's own password, hashed in the store;
role and rep from the store; failed logins lock the email + address (then the address) for longer
each time, and the lock survives a restart; a trusted proxy header only when configured; the
retired shared password and an open chat on a public address are refused. Store parts run on
SQLite and PostgreSQL; the real Chainlit server is driven over HTTP."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from leadpilot.interfaces.cli import app
from leadpilot.interfaces.web import launch
from leadpilot.memory.db import open_database
from leadpilot.memory.reps import upsert_rep
from leadpilot.memory.users import (
    LoginFailures, Throttle, UserError, add_user, authenticate, get_user, remove_user, set_password, sso_identity,
)
from leadpilot.settings import load_settings

from conftest import NOW
from test_web_ui import Server, _env

PASSWORD = "correct horse battery"


def _team(db) -> None:
    with db.transaction() as session:
        upsert_rep(session, email="ana@team.io", name="Ana Lima", now=NOW)
        upsert_rep(session, email="rachel@team.io", name="Rachel Adams", role="manager", now=NOW)
        add_user(session, email="Ana@Team.io", role="rep", password=PASSWORD, now=NOW)
        add_user(session, email="rachel@team.io", role="manager", password=PASSWORD + "!", now=NOW)
        add_user(session, email="it@team.io", role="admin", password=PASSWORD + "?", now=NOW)


def _try(db, email: str, password: str, *, address: str = "10.0.0.1", now=NOW, throttle: Throttle = Throttle()):
    with db.transaction() as session:
        return authenticate(session, email=email, password=password, address=address, now=now, throttle=throttle)


def test_each_person_has_their_own_hashed_password_role_and_rep(db):
    _team(db)
    with db.session() as session:
        ana = get_user(session, "ana@team.io")
        rachel = get_user(session, "rachel@team.io")
        assert ana.password_hash.startswith("scrypt$") and PASSWORD not in ana.password_hash
        assert ana.password_hash.split("$")[4] != rachel.password_hash.split("$")[4]  # a salt per person
    ana_login = _try(db, " ANA@team.io ", PASSWORD).identity
    assert (ana_login.email, ana_login.role, ana_login.rep_email, ana_login.name) == ("ana@team.io", "rep", "ana@team.io", "Ana Lima")
    assert _try(db, "rachel@team.io", PASSWORD + "!").identity.role == "manager"
    assert _try(db, "it@team.io", PASSWORD + "?").identity.rep_id is None
    assert not _try(db, "ana@team.io", PASSWORD + "!").ok  # someone else's password
    assert not _try(db, "admin", PASSWORD).ok  # no shared admin name any more
    assert not _try(db, "mallory@evil.io", PASSWORD).ok


def test_a_rep_login_must_be_a_rep_and_passwords_are_checked(db):
    _team(db)
    with db.transaction() as session:
        with pytest.raises(UserError, match="not a rep in the store"):
            add_user(session, email="bob@team.io", role="rep", password=PASSWORD, now=NOW)
        with pytest.raises(UserError, match="already has a login"):
            add_user(session, email="ana@team.io", role="rep", password=PASSWORD, now=NOW)
        with pytest.raises(UserError, match="at least 10"):
            add_user(session, email="x@team.io", role="admin", password="short", now=NOW)
        with pytest.raises(UserError, match="no rep has the email"):
            add_user(session, email="x@team.io", role="rep", rep_email="ghost@team.io", password=PASSWORD, now=NOW)
        linked = add_user(session, email="ana.personal@mail.io", role="rep", rep_email="ana@team.io", password=PASSWORD, now=NOW)
        assert linked.rep_id is not None


def test_five_failures_lock_the_email_and_address_even_for_the_right_password_and_the_lock_survives_a_restart(db_url):
    db = open_database(db_url)
    try:
        _team(db)
        for _ in range(5):
            assert not _try(db, "ana@team.io", "guess").ok
        refused = _try(db, "ana@team.io", PASSWORD)
        assert not refused.ok and refused.locked_until == NOW + timedelta(seconds=60)
        assert _try(db, "ana@team.io", PASSWORD, address="10.9.9.9").ok  # Ana at her own desk still gets in
    finally:
        db.dispose()
    restarted = open_database(db_url)  # a new process: the count is in the store
    try:
        assert not _try(restarted, "ana@team.io", PASSWORD, now=NOW + timedelta(seconds=59)).ok
        assert not _try(restarted, "ana@team.io", "guess", now=NOW + timedelta(seconds=61)).ok  # sixth: twice as long
        with restarted.session() as session:
            row = session.get(LoginFailures, "user:ana@team.io|10.0.0.1")
            assert row.failures == 6 and row.locked_until == NOW + timedelta(seconds=61 + 120)
        assert _try(restarted, "ana@team.io", PASSWORD, now=NOW + timedelta(seconds=61 + 121)).ok  # lock over
        with restarted.session() as session:
            assert session.get(LoginFailures, "user:ana@team.io|10.0.0.1") is None  # a success clears the count
    finally:
        restarted.dispose()


def test_the_lock_grows_to_its_cap_an_address_spraying_names_is_locked_and_passwd_unlocks(db):
    _team(db)
    throttle = Throttle(threshold=2, address_threshold=4, base_s=10, max_s=25)
    locks = []
    for attempt in range(5):
        _try(db, "rachel@team.io", "guess", throttle=throttle, now=NOW + timedelta(hours=attempt))
        with db.session() as session:
            row = session.get(LoginFailures, "user:rachel@team.io|10.0.0.1")
            locks.append(row.locked_until - row.last_failure_at if row.locked_until else None)
    assert locks == [None, timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=25), timedelta(seconds=25)]
    sprayer = "203.0.113.7"
    for index in range(4):
        _try(db, f"name{index}@team.io", "guess", address=sprayer, throttle=throttle)
    assert not _try(db, "it@team.io", PASSWORD + "?", address=sprayer, throttle=throttle).ok  # the address is locked
    with db.transaction() as session:
        set_password(session, email="rachel@team.io", password="a brand new passphrase", now=NOW)
    later = NOW + timedelta(hours=4, seconds=21)  # the address's own lock (20 s) is over, Rachel's (25 s) is not
    assert _try(db, "rachel@team.io", "a brand new passphrase", now=later, throttle=throttle).ok  # passwd lifted it


def test_a_removed_login_is_gone_for_sso_too(db):
    _team(db)
    assert sso_identity_of(db, "ana@team.io").role == "rep"
    with db.transaction() as session:
        assert remove_user(session, email="ana@team.io")
    assert sso_identity_of(db, "ana@team.io") is None
    assert launch.trusted_login(db, "ana@team.io") is None and launch.trusted_login(db, None) is None


def sso_identity_of(db, email):
    with db.session() as session:
        return sso_identity(session, email)


def test_the_retired_shared_password_and_an_open_public_chat_are_refused(sqlite_db):
    with pytest.raises(launch.WebLoginError, match="LEADPILOT_UI_PASSWORD .* is retired"):
        launch.check_login_setup(load_settings(ui_password="s3cret-shared"), sqlite_db, "127.0.0.1")
    with pytest.raises(launch.WebLoginError, match="nobody has a web login yet"):
        launch.check_login_setup(load_settings(), sqlite_db, "0.0.0.0")
    assert launch.check_login_setup(load_settings(), sqlite_db, "127.0.0.1") == "open"  # the local demo
    _team(sqlite_db)
    assert launch.check_login_setup(load_settings(), sqlite_db, "0.0.0.0") == "users"
    assert launch.check_login_setup(load_settings(ui_trusted_header="X-Forwarded-Email"), sqlite_db, "127.0.0.1") == "header"


def test_user_commands_take_the_password_from_stdin_or_a_hidden_prompt(tmp_path: Path):
    runner = CliRunner()
    db = open_database(f"sqlite:///{tmp_path / 'data' / 'leadpilot.db'}")
    try:
        with db.transaction() as session:
            upsert_rep(session, email="ana@team.io", name="Ana Lima", now=NOW)
    finally:
        db.dispose()
    added = runner.invoke(app, ["user", "add", "ana@team.io", "--role", "rep", "--password-stdin"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    prompted = runner.invoke(app, ["user", "add", "boss@team.io", "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and PASSWORD not in prompted.output, prompted.output
    stranger = runner.invoke(app, ["user", "add", "bob@team.io", "--role", "rep", "--password-stdin"], input=PASSWORD + "\n")
    assert stranger.exit_code == 1 and "not a rep in the store" in stranger.output
    listed = runner.invoke(app, ["user", "list"])
    assert "ana@team.io" in listed.output and "boss@team.io" in listed.output and "admin" in listed.output
    changed = runner.invoke(app, ["user", "passwd", "ana@team.io", "--password-stdin"], input="another passphrase\n")
    assert changed.exit_code == 0
    db = open_database(f"sqlite:///{tmp_path / 'data' / 'leadpilot.db'}")
    try:
        assert _try(db, "ana@team.io", "another passphrase").ok and not _try(db, "ana@team.io", PASSWORD).ok
    finally:
        db.dispose()
    assert runner.invoke(app, ["user", "remove", "ana@team.io"]).exit_code == 0
    assert runner.invoke(app, ["user", "remove", "ana@team.io"]).exit_code == 1


# --- the real Chainlit server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("logins")
    db = open_database(f"sqlite:///{workdir / 'data' / 'leadpilot.db'}")
    try:
        _team(db)
    finally:
        db.dispose()
    return workdir


def _login(server: Server, email: str, password: str) -> httpx.Response:
    return httpx.post(f"{server.url}/login", data={"username": email, "password": password}, timeout=30)


def test_the_web_chat_logs_people_in_and_locks_out_a_guesser_across_a_restart(store: Path):
    server = Server(["ui"], workdir=store, env=_env(store))
    try:
        server.wait_ready()
        assert "each person logs in with their email and password" in "".join(server.output)
        assert httpx.get(f"{server.url}/auth/config", timeout=10).json()["requireLogin"] is True
        good = _login(server, "ana@team.io", PASSWORD)
        assert good.status_code == 200 and "access_token" in good.headers.get("set-cookie", "")
        assert _login(server, "admin", PASSWORD).status_code == 401
        for _ in range(5):
            assert _login(server, "rachel@team.io", "guess").status_code == 401
        assert _login(server, "rachel@team.io", PASSWORD + "!").status_code == 401  # locked: the right one too
        trusting = httpx.post(f"{server.url}/auth/header", headers={"X-Forwarded-Email": "it@team.io"}, timeout=30)
        assert trusting.status_code == 400  # a header signs nobody in unless LEADPILOT_UI_TRUSTED_HEADER is set
    finally:
        server.stop()
    assert "web login refused: 'rachel@team.io' from 127.0.0.1 is locked" in "".join(server.output)
    again = Server(["ui"], workdir=store, env=_env(store))
    try:
        again.wait_ready()
        assert _login(again, "rachel@team.io", PASSWORD + "!").status_code == 401  # still locked after the restart
        assert _login(again, "it@team.io", PASSWORD + "?").status_code == 200
    finally:
        again.stop()


def test_a_trusted_proxy_header_signs_in_only_people_with_a_login(store: Path):
    server = Server(["ui"], workdir=store, env=_env(store, LEADPILOT_UI_TRUSTED_HEADER="X-Forwarded-Email"))
    try:
        server.wait_ready()
        headers = {"X-Forwarded-Email": "ana@team.io"}
        assert httpx.post(f"{server.url}/auth/header", headers=headers, timeout=30).status_code == 200
        stranger = {"X-Forwarded-Email": "mallory@evil.io"}
        assert httpx.post(f"{server.url}/auth/header", headers=stranger, timeout=30).status_code == 401
        assert httpx.post(f"{server.url}/auth/header", timeout=30).status_code == 401
        assert _login(server, "ana@team.io", PASSWORD).status_code == 400  # no password form in header mode
    finally:
        server.stop()

