"""Bounded input for the capture API, checked before any work:

- the body size, enforced while the body streams in (`BodyLimit`): a Content-Length over the limit
  is refused before a byte of the body is read; a chunked body is counted as it arrives and
  refused the moment it passes the limit — never read whole into memory first;
- the JSON itself (`read_json`): nesting depth, integer and float size, NaN/Infinity, lone
  surrogates (refused: they cannot be stored as text) and NUL characters (removed: PostgreSQL text
  cannot hold them and they mean nothing in a name or a note, so both databases store the same).

Each refusal is a 4xx with a sentence naming the limit, its setting and the fix.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_INT_DIGITS = 30  # bigger than any id, count or size a lead carries; 10**5000 would cost CPU and break the store


class BadJson(ValueError):
    """The body is not acceptable JSON; the message says why and what to send instead."""


class _TooLarge(Exception):
    pass


def _too_large_response(limit: int, length: int | None = None) -> tuple[dict, bytes]:
    size = f"body is {length:,} bytes" if length is not None else "body is larger than that"
    body = json.dumps({"detail": f"{size}; the limit is {limit:,} bytes (LEADPILOT_API_MAX_BODY_BYTES) — "
                                 "post one lead per request"}, ensure_ascii=False).encode()
    start = {"type": "http.response.start", "status": 413,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         (b"connection", b"close")]}
    return start, body


class BodyLimit:
    """ASGI middleware: at most `max_bytes` of request body reach the app, whatever the framing."""

    def __init__(self, app: Any, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes
        for name, value in scope.get("headers") or ():
            if name == b"content-length" and value.strip().isdigit() and int(value) > limit:
                return await self._refuse(send, limit, int(value))
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send, limit: int, length: int | None = None) -> None:
        start, body = _too_large_response(limit, length)
        await send(start)
        await send({"type": "http.response.body", "body": body})


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _check_depth(text: str, max_depth: int) -> None:
    if text.count("[") + text.count("{") <= max_depth:  # cannot be deeper: the common case costs two counts
        return
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > max_depth:
            raise BadJson(f"JSON nests deeper than {max_depth} levels (LEADPILOT_API_MAX_JSON_DEPTH) — "
                          "send the lead as one flat object of fields")


def _int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise BadJson(f"a number in the body has {len(literal.lstrip('-')):,} digits; at most {MAX_INT_DIGITS} "
                      "are accepted — send sizes and ids as ordinary numbers (or as text)")
    return int(literal)


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise BadJson(f"the number {literal[:40]}{'...' if len(literal) > 40 else ''} is too large for a float — "
                      "send an ordinary number")
    return value


def _constant(name: str) -> Any:
    raise BadJson(f"{name} is not JSON — send null or a number")


def _clean(value: Any, where: str) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadJson(f"{where or 'the body'} holds a lone UTF-16 surrogate (an escape like \\ud800 without its "
                          "pair), which is not text — send valid Unicode") from None
        return value
    if isinstance(value, dict):
        return {_clean(key, f"a field name in {where or 'the body'}"): _clean(item, f"{where}.{key}".lstrip("."))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def read_json(body: bytes, *, max_depth: int) -> Any:
    """The parsed body, within the limits, NULs removed; BadJson (-> 400) otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadJson(f"body is not UTF-8 ({error.reason} at byte {error.start}) — send UTF-8 encoded JSON") from None
    _check_depth(text, max_depth)
    try:
        parsed = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise BadJson(f"body is not JSON ({error}) — send one JSON object with the lead's fields") from None
    except RecursionError:  # cannot happen below the depth limit; kept so that it never becomes a 500
        raise BadJson(f"JSON nests too deep (LEADPILOT_API_MAX_JSON_DEPTH={max_depth})") from None
    return _clean(parsed, "")
