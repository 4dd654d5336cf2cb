"""Schemathesis against the capture API's own /openapi.json (issue #16): every operation, with
valid and invalid inputs generated from the schema, answers without a server error and as documented
(status codes, content types, response schemas). Webhook bodies are signed as a real sender signs
them, so generated leads reach validation and the store; reads send the bearer token.
One server per backend; 50 valid and 25 invalid derandomized examples per operation keep it under a minute."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from capture_client import SECRET, serving
from conftest import _drop_postgres_database, _fresh_postgres_database
from leadpilot.interfaces.api.app import create_app
from leadpilot.interfaces.api.signature import HEADER, sign
from leadpilot.memory.db import open_database
from leadpilot.settings import load_settings

TOKEN = "schema-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)


class SigningSession(requests.Session):
    """Signs the exact bytes of every webhook post, as a sender does, whatever signature was generated."""

    def send(self, request, **kwargs):
        if request.method == "POST" and request.path_url.split("?")[0] == "/webhooks/lead":
            body = request.body or b""
            request.headers[HEADER] = sign(body.encode() if isinstance(body, str) else body, SECRET)
        return super().send(request, **kwargs)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp(f"schema-{request.param}")
    url = f"sqlite:///{folder / 'store.db'}" if request.param == "sqlite" else _fresh_postgres_database()
    db = open_database(url)
    settings = load_settings(webhook_secret=SECRET, api_token=TOKEN, data_dir=folder / "data", database_url=url)
    try:
        with serving(create_app(settings=settings, db=db)) as url:
            yield url
    finally:
        db.dispose()
        if request.param != "sqlite":
            _drop_postgres_database(url)


def test_no_generated_request_gets_a_server_error_or_an_undocumented_answer(base_url: str) -> None:
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json", headers=AUTH)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/webhooks/lead", "/leads/{lead_id}", "/leads/{lead_id}/retry", "/health", "/metrics"}
    failures: list[str] = []
    with SigningSession() as session:
        for operation in operations:
            for mode, examples in ((GenerationMode.POSITIVE, 50), (GenerationMode.NEGATIVE, 25)):

                @hsettings(max_examples=examples, derandomize=True, deadline=None, database=None,
                           suppress_health_check=list(HealthCheck))
                @given(case=operation.as_strategy(generation_mode=mode))
                def call(case) -> None:
                    response = case.call(base_url=base_url, session=session, headers=AUTH)
                    case.validate_response(response, checks=CHECKS)

                try:
                    call()
                except Unsatisfiable:  # no invalid input exists (an operation without parameters or body)
                    assert mode is GenerationMode.NEGATIVE and not list(operation.path_parameters) and not list(operation.body)
                except Exception as error:  # noqa: BLE001 — collect every operation's failure, then report them all
                    failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
