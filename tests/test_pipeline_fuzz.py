"""Property test of the capture API against its own OpenAPI document: whatever a sender posts —
any JSON for the documented fields, any extra fields, any headers — the answer is never a 5xx.
(Schemathesis is not installable here; Hypothesis drives the same idea from /openapi.json.)"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from capture_client import SECRET, free_port
from leadpilot.interfaces.api.app import create_app
from leadpilot.interfaces.api.signature import sign
from leadpilot.settings import load_settings

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False), st.text(max_size=400))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                      max_leaves=6)


@pytest.fixture
def base_url(db, tmp_path):
    settings = load_settings(webhook_secret=SECRET, api_token="fuzz-token", data_dir=tmp_path / "data")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings=settings, db=db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_no_body_or_path_makes_the_api_fail(base_url: str) -> None:
    auth = {"Authorization": "Bearer fuzz-token"}
    spec = httpx.get(base_url + "/openapi.json", headers=auth).json()
    fields = sorted(spec["paths"]["/webhooks/lead"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"])
    bodies = st.one_of(
        st.fixed_dictionaries({}, optional={name: VALUES for name in fields}),
        st.dictionaries(st.sampled_from(fields) | st.text(max_size=20), VALUES, max_size=8),
        VALUES,
    )
    with httpx.Client(base_url=base_url, timeout=30, headers=auth) as http:

        @hsettings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        @given(body=bodies, key=st.none() | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
        def post(body, key) -> None:
            raw = json.dumps(body).encode()
            headers = {"X-Leadpilot-Signature": sign(raw, SECRET), "Content-Type": "application/json"}
            if key and key.strip():  # header values cannot start or end with spaces on the wire
                headers["Idempotency-Key"] = key.strip()
            answer = http.post("/webhooks/lead", content=raw, headers=headers)
            assert answer.status_code < 500, (body, answer.text)
            assert answer.status_code in (202, 400, 409, 422), answer.text

        post()

        @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(lead=st.integers(min_value=-(2**80), max_value=2**80) | st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30))
        def lookup(lead) -> None:
            from urllib.parse import quote

            path = "/leads/" + quote(str(lead), safe="")
            for answer in (http.get(path), http.post(path + "/retry")):
                assert answer.status_code < 500, (lead, answer.text)

        lookup()
