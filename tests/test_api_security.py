"""The capture API as an attacker meets it (issue #16, findings 3, 4 and 8, and replayed webhooks),
against a real `leadpilot serve` process per database backend (SQLite and PostgreSQL).

- A body over the limit is refused while it streams: a chunked 64 MB POST gets 413 and the
  server's peak memory (VmHWM in /proc) grows by a few MB, not by the body.
- Hostile JSON (deep nesting, huge numbers, NaN, lone surrogates, bad UTF-8) gets a 400 that says
  why; NUL characters are removed and the lead is stored on both databases. Never a 500.
- Reads need the bearer token on loopback too; a Host header the API does not answer to (DNS
  rebinding) is refused; the token is generated into the data dir on the first start.
- A signature older than the tolerance (a replayed request) is refused; the old scheme only when allowed.
"""

from __future__ import annotations

import json
import os
import select
import socket
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from capture_client import SECRET, ServerProcess
from conftest import _drop_postgres_database, _fresh_postgres_database
from leadpilot.interfaces.api.access import allowed_hosts, api_token, token_file
from leadpilot.interfaces.api.signature import sign, sign_legacy, signature_problem
from leadpilot.memory.db import open_database
from leadpilot.memory.models import Lead
from leadpilot.settings import SettingsError, load_settings

LEAD = {"company": "Guarded Corp", "contact_name": "Ada Guard", "email": "ada@guarded.example", "source": "referral"}


@dataclass
class Server:
    process: ServerProcess
    data_dir: Path
    token: str
    db_url: str

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, body: bytes | dict, *, signature: str | None = None, **headers: str) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "X-Leadpilot-Signature": signature or sign(raw, SECRET), **headers}
        return httpx.post(self.url + "/webhooks/lead", content=raw, headers=headers, timeout=30)

    def peak_rss_kb(self) -> int:
        assert self.process.process is not None
        status = Path(f"/proc/{self.process.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`leadpilot serve --workers 0` with no LEADPILOT_API_TOKEN: it generates its own."""
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    url = f"sqlite:///{folder / 'store.db'}" if request.param == "sqlite" else _fresh_postgres_database()
    env = {"LEADPILOT_DATABASE_URL": url, "LEADPILOT_DATA_DIR": str(folder / "data"), "LEADPILOT_WEBHOOK_SECRET": SECRET,
           "LEADPILOT_API_TOKEN": "", "LEADPILOT_API_ALLOWED_HOSTS": "", "LEADPILOT_WEBHOOK_LEGACY_SIGNATURES": "false"}
    process = ServerProcess(env=env, cwd=folder, workers=0)
    try:
        process.start()
        token = api_token(load_settings(data_dir=folder / "data", api_token=None))
        assert token, "serve did not generate an API token"
        yield Server(process, folder / "data", token, url)
    finally:
        process.stop()
        if request.param != "sqlite":
            _drop_postgres_database(url)


def _stream_chunked(port: int, *, total: int, chunk: int = 1 << 20, content_length: int | None = None) -> tuple[int, int]:
    """POST `total` bytes to /webhooks/lead over a raw socket, chunked (or announcing `content_length`
    and sending nothing), stopping as soon as the server answers: (status, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    framing = f"Content-Length: {content_length}" if content_length is not None else "Transfer-Encoding: chunked"
    sock.sendall(f"POST /webhooks/lead HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                 f"X-Leadpilot-Signature: t=1,v1=00\r\n{framing}\r\n\r\n".encode())
    sent, piece, answer = 0, b"[" * chunk, b""
    try:
        try:
            while content_length is None and sent < total:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered before the body was done
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
            else:
                if content_length is None:
                    sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed while we were still sending: read its answer
            pass
        while b"\r\n" not in answer and (data := sock.recv(65536)):
            answer += data
    except OSError:
        pass
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 "), f"no HTTP answer after {sent:,} bytes: {answer[:200]!r}"
    return int(answer.split()[1]), sent


# Finding 3: the body limit is enforced while the body streams in.

def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(server: Server) -> None:
    before = server.peak_rss_kb()
    status, sent = _stream_chunked(server.process.port, total=64 << 20)
    grown_mb = (server.peak_rss_kb() - before) / 1024
    assert status == 413
    assert sent < 64 << 20, "the server read the whole body before answering"
    assert grown_mb < 16, f"peak memory grew by {grown_mb:.0f} MB for a refused body"
    assert httpx.get(server.url + "/health").status_code == 200  # and it still serves


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(server: Server) -> None:
    status, sent = _stream_chunked(server.process.port, total=0, content_length=10**9)
    assert status == 413 and sent == 0
    answer = httpx.post(server.url + "/webhooks/lead", content=b" " * (300 * 1024), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "LEADPILOT_API_MAX_BODY_BYTES" in answer.json()["detail"]


# Finding 8: hostile JSON gets a 4xx that says why; NUL is removed; never a 500.

@pytest.mark.parametrize("body, says", [
    (b"[" * 100_000, "nests deeper"),
    (b'{"company": "Deep", "extra": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", "nests deeper"),
    (b'{"company": "Big", "company_size": 1' + b"0" * 5000 + b"}", "digits"),
    (b'{"company": "Big", "company_size": 1e999}', "too large"),
    (b'{"company": "Nan", "company_size": NaN}', "NaN is not JSON"),
    (b'{"company": "Lone \\ud800 surrogate", "email": "x@y.example"}', "surrogate"),
    (b'{"extra": {"\\udfff": 1}, "company": "Key"}', "surrogate"),
    (b'{"company": "Bad \xed\xa0\x80 bytes"}', "not UTF-8"),
], ids=["100k-brackets", "deep-extra", "10^5000", "1e999", "NaN", "lone-surrogate", "surrogate-key", "invalid-utf8"])
def test_hostile_json_gets_a_400_that_says_why(server: Server, body: bytes, says: str) -> None:
    answer = server.post(body)
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["detail"]


@pytest.mark.parametrize("field, value, says", [
    ("company_size", 10**29, "at most 10,000,000"),  # was a 500 on PostgreSQL (integer out of range)
    ("created_at", "0001-01-01T00:00:00+14:00", "out of range"),  # was a 500 (OverflowError)
])
def test_values_out_of_range_get_a_422_naming_the_field(server: Server, field: str, value, says: str) -> None:
    answer = server.post({**LEAD, "email": "range@guarded.example", field: value})
    assert answer.status_code == 422, answer.text
    assert [(e["field"], says in e["message"]) for e in answer.json()["errors"]] == [(field, True)]


def test_nul_characters_are_removed_and_the_lead_is_stored(server: Server) -> None:
    answer = server.post({"company": "Nul\u0000 Systems", "email": "nul@nul.example", "notes": "call\u0000 back",
                          "extra_field\u0000": "x\u0000y"})
    assert answer.status_code == 202, answer.text
    lead = httpx.get(server.url + answer.json()["status_url"], headers=server.auth).json()["lead"]
    assert lead["company"] == "Nul Systems"
    store = open_database(server.db_url)
    try:
        with store.session() as session:
            assert session.get(Lead, answer.json()["lead_id"]).notes == "call back"
    finally:
        store.dispose()


# Finding 4: the token on every read, loopback included; a Host allow-list against DNS rebinding.

def test_reads_need_the_bearer_token_even_on_loopback(server: Server) -> None:
    lead_id = server.post({**LEAD, "email": "token@guarded.example"}).json()["lead_id"]
    for method, path in (("GET", f"/leads/{lead_id}"), ("POST", f"/leads/{lead_id}/retry"), ("GET", "/metrics"),
                         ("GET", "/openapi.json"), ("GET", "/docs")):
        for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": f"Basic {server.token}"}):
            answer = httpx.request(method, server.url + path, headers=headers)
            assert answer.status_code == 401, (method, path, headers, answer.text)
            assert "bearer token" in answer.json()["detail"]
    assert httpx.get(server.url + f"/leads/{lead_id}", headers=server.auth).json()["lead"]["email"] == "token@guarded.example"
    assert "leadpilot_leads_received_total" in httpx.get(server.url + "/metrics", headers=server.auth).text
    assert "/webhooks/lead" in httpx.get(server.url + "/openapi.json", headers=server.auth).json()["paths"]
    assert httpx.get(server.url + "/docs", headers=server.auth).status_code == 200
    assert httpx.get(server.url + "/health").status_code == 200  # liveness stays open


def test_a_host_the_api_does_not_answer_to_is_refused(server: Server) -> None:
    """A browser tricked by DNS rebinding sends the attacker's name in Host: no data, no capture."""
    lead_id = server.post({**LEAD, "email": "host@guarded.example"}).json()["lead_id"]
    for host in ("attacker.example", f"attacker.example:{server.process.port}", "127.0.0.1.nip.io"):
        answer = httpx.get(server.url + f"/leads/{lead_id}", headers={**server.auth, "Host": host})
        assert answer.status_code == 400 and "LEADPILOT_API_ALLOWED_HOSTS" in answer.json()["detail"], answer.text
        raw = json.dumps({**LEAD, "email": "rebind@guarded.example"}).encode()
        posted = httpx.post(server.url + "/webhooks/lead", content=raw, headers={"Host": host, "X-Leadpilot-Signature": sign(raw, SECRET)})
        assert posted.status_code == 400
    for host in (f"localhost:{server.process.port}", f"127.0.0.1:{server.process.port}", "localhost", f"[::1]:{server.process.port}"):
        assert httpx.get(server.url + f"/leads/{lead_id}", headers={**server.auth, "Host": host}).status_code == 200


def test_the_allow_list_holds_loopback_the_listening_address_and_the_configured_names() -> None:
    hosts = allowed_hosts(load_settings(api_host="10.0.0.5", api_allowed_hosts="Leads.Example.com, *.internal.example,fd00::7"))
    assert hosts == ["localhost", "127.0.0.1", "[::1]", "10.0.0.5", "leads.example.com", "*.internal.example", "[fd00::7]"]
    assert allowed_hosts(load_settings(api_host="0.0.0.0")) == ["localhost", "127.0.0.1", "[::1]"]
    with pytest.raises(SettingsError, match="LEADPILOT_API_ALLOWED_HOSTS.*wildcard only stands first"):
        load_settings(api_allowed_hosts="leads.example.com,api*.example.com")


def test_the_first_serve_generates_a_private_token_and_says_where(server: Server) -> None:
    path = token_file(load_settings(data_dir=server.data_dir))
    assert path.read_text().strip() == server.token and len(server.token) >= 40
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert str(path) in server.process.log.read_text()
    assert api_token(load_settings(data_dir=server.data_dir, api_token="set-by-operator")) == "set-by-operator"


# Webhook signatures carry a timestamp: a captured request cannot be replayed later.

def test_a_replayed_signature_is_refused_after_the_tolerance(server: Server) -> None:
    raw = json.dumps({**LEAD, "email": "replay@guarded.example"}).encode()
    captured = sign(raw, SECRET, timestamp=int(time.time()) - 301)
    old = server.post(raw, signature=captured)
    assert old.status_code == 401 and "s old" in old.json()["detail"] and "LEADPILOT_WEBHOOK_TOLERANCE_S" in old.json()["detail"]
    future = server.post(raw, signature=sign(raw, SECRET, timestamp=int(time.time()) + 3600))
    assert future.status_code == 401 and "in the future" in future.json()["detail"]
    legacy = server.post(raw, signature=sign_legacy(raw, SECRET))
    assert legacy.status_code == 401 and "LEADPILOT_WEBHOOK_LEGACY_SIGNATURES" in legacy.json()["detail"]
    tampered = server.post(raw.replace(b"replay@", b"evil@"), signature=sign(raw, SECRET))
    assert tampered.status_code == 401
    assert server.post(raw).status_code == 202


def test_the_old_scheme_and_the_previous_secret_are_accepted_only_when_configured() -> None:
    body, now = b'{"company": "ACME"}', time.time()
    assert signature_problem(body, sign_legacy(body, SECRET), [SECRET], tolerance_s=300, now=now) is not None
    assert signature_problem(body, sign_legacy(body, SECRET), [SECRET], tolerance_s=300, legacy=True, now=now) is None
    assert signature_problem(body, sign_legacy(body, "other"), [SECRET], tolerance_s=300, legacy=True, now=now) is not None
    rotated = sign(body, "old-secret", timestamp=int(now))
    assert signature_problem(body, rotated, [SECRET], tolerance_s=300, now=now) is not None
    assert signature_problem(body, rotated, [SECRET, "old-secret"], tolerance_s=300, now=now) is None
    both = f"{sign(body, 'new-secret', timestamp=int(now))},v1={rotated.split('v1=')[1]}"  # a sender mid-rotation signs twice
    assert signature_problem(body, both, ["new-secret"], tolerance_s=300, now=now) is None
    for header in ("t=abc,v1=00", "v1=00", "t=1", "t=1,t=2,v1=00", "garbage"):
        assert "must look like" in signature_problem(body, header, [SECRET], tolerance_s=300, now=now)


def test_the_flags_open_metrics_docs_and_the_old_scheme_and_nothing_else(sqlite_db, tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from leadpilot.interfaces.api.app import create_app

    settings = load_settings(webhook_secret="new-secret", webhook_previous_secret=SECRET, webhook_legacy_signatures=True,
                             api_public_metrics=True, api_public_docs=True, api_allowed_hosts="testserver",
                             api_token="flag-token", data_dir=tmp_path / "data")
    app = create_app(settings=settings, db=sqlite_db)
    assert "LEADPILOT_WEBHOOK_LEGACY_SIGNATURES" in app.state.token_note
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 200
        assert client.get("/openapi.json").status_code == 200 and client.get("/docs").status_code == 200
        assert client.get("/leads/1").status_code == 401
        raw = json.dumps({**LEAD, "email": "flags@guarded.example"}).encode()
        assert client.post("/webhooks/lead", content=raw, headers={"X-Leadpilot-Signature": sign_legacy(raw, SECRET)}).status_code == 202
        assert client.post("/webhooks/lead", content=raw, headers={"X-Leadpilot-Signature": sign(raw, "new-secret")}).status_code == 202
        assert client.post("/webhooks/lead", content=raw, headers={"X-Leadpilot-Signature": sign(raw, "stolen")}).status_code == 401
        assert not token_file(settings).exists()  # a configured token is not written anywhere
