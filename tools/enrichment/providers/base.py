"""What every provider shares: the lookup query, the answer, failures by kind, and one HTTP call
with retries, backoff and 429 Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

KINDS = ("company", "person", "email_find", "email_verify")


@dataclass(frozen=True)
class LookupQuery:
    domain: str | None = None
    company: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def key(self) -> str:
        """Stable cache key: the query's fields, normalised."""
        parts = [f"{name}={str(value).strip().lower()}" for name, value in sorted(vars(self).items()) if value]
        return "&".join(parts)[:400]


@dataclass
class Answer:
    """A provider's normalised answer: our field names -> values, plus the vendor's raw body."""

    fields: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)


class ProviderFailure(Exception):
    """A lookup that produced no usable answer; `kind` says why (for the attempt log)."""

    def __init__(self, kind: str, detail: str):
        self.kind = kind  # timeout | rate_limited | server_error | malformed | auth | http_error | network
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


class Provider(Protocol):
    name: str
    costs: dict[str, float]  # credits per lookup kind; kinds absent are unsupported
    charges_on_miss: bool

    def lookup(self, kind: str, query: LookupQuery) -> Answer | None:
        """The answer, None for "no match", or ProviderFailure."""


@dataclass
class HttpPolicy:
    timeout_s: float = 5.0
    retries: int = 2  # extra attempts after the first, for 429 / 5xx / network errors
    backoff_s: float = 0.5  # doubled each retry
    max_retry_after_s: float = 30.0  # a longer Retry-After is not waited for: the waterfall moves on
    sleep: Callable[[float], None] = time.sleep


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def request_json(
    client: httpx.Client, method: str, url: str, *, policy: HttpPolicy, not_found_is_miss: bool = True, **kwargs: Any
) -> dict[str, Any] | None:
    """One vendor call: JSON dict, None on 404 (no match), ProviderFailure otherwise.

    Retries 429 (waiting its Retry-After, when reasonable), 5xx and network errors with
    exponential backoff; a timeout is not retried (the per-provider budget is the timeout).
    """
    delay = policy.backoff_s
    for attempt in range(policy.retries + 1):
        last = attempt == policy.retries
        try:
            response = client.request(method, url, timeout=policy.timeout_s, **kwargs)
        except httpx.TimeoutException as error:
            raise ProviderFailure("timeout", f"no answer within {policy.timeout_s:g}s ({type(error).__name__})") from None
        except httpx.TransportError as error:
            if last:
                raise ProviderFailure("network", str(error) or type(error).__name__) from None
            policy.sleep(delay)
            delay *= 2
            continue
        status = response.status_code
        if status == 429:
            wait = _retry_after(response)
            if last or (wait is not None and wait > policy.max_retry_after_s):
                raise ProviderFailure("rate_limited", f"429, Retry-After {response.headers.get('Retry-After')!r}")
            policy.sleep(wait if wait is not None else delay)
            delay *= 2
            continue
        if status >= 500:
            if last:
                raise ProviderFailure("server_error", f"HTTP {status}")
            policy.sleep(delay)
            delay *= 2
            continue
        if status in (401, 403):
            raise ProviderFailure("auth", f"HTTP {status}: check the API key")
        if status == 404 and not_found_is_miss:
            return None
        if status >= 400:
            raise ProviderFailure("http_error", f"HTTP {status}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            raise ProviderFailure("malformed", f"HTTP {status} body is not JSON: {response.text[:80]!r}") from None
        if not isinstance(body, dict):
            raise ProviderFailure("malformed", f"expected a JSON object, got {type(body).__name__}")
        return body
    raise AssertionError("unreachable")


def dig(body: dict[str, Any], *path: str) -> Any:
    """body[a][b]... or None when any step is missing or not an object."""
    value: Any = body
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def require(body: dict[str, Any], key: str, provider: str) -> Any:
    """A key the vendor always sends; its absence means the body is not what the vendor sends."""
    if key not in body:
        raise ProviderFailure("malformed", f"{provider} answer lacks {key!r}")
    return body[key]
