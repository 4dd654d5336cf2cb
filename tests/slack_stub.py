"""A loopback stand-in for Slack, both directions, in Slack's real wire format.

`SlackAPIStub` is Slack's Web API (https://slack.com/api/METHOD) on 127.0.0.1: it checks the bot
token, answers `auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral` and
`views.open` the way Slack does (HTTP 200, `{"ok": true, ...}` or `{"ok": false, "error": ...}`),
serves response URLs, and records every call for assertions.

`SlackSender` is Slack's side of the Events API / interactivity / slash commands: it posts
request bodies to the app signed with the signing secret (`v0=` HMAC-SHA256 of `v0:{ts}:{body}`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

TEAM = "T0TEST"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"
BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


class SlackAPIStub:
    def __init__(self, *, token: str = BOT_TOKEN):
        self.token = token
        self.calls: list[dict[str, Any]] = []
        self.channels_without_bot: set[str] = set()
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms delayed-ACK stall per keep-alive answer

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.startswith("/response/"):  # a response_url
                    stub._record("response_url", json.loads(raw or b"{}"), path=self.path)
                    self._send(200, b"ok", "text/plain")
                    return
                method = self.path.split("/api/", 1)[-1].split("?", 1)[0]
                args = stub._parse(raw, self.headers.get("Content-Type", ""))
                if self.headers.get("Authorization") != f"Bearer {stub.token}" and args.get("token") != stub.token:
                    self._json({"ok": False, "error": "invalid_auth"})
                    return
                self._json(stub._answer(method, args))

            def _json(self, payload: dict[str, Any]) -> None:
                self._send(200, json.dumps(payload).encode(), "application/json; charset=utf-8")

            def _send(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # stop() waits one poll

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/response/{name}"

    def __enter__(self) -> SlackAPIStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- Slack's answers ------------------------------------------------------------------------

    @staticmethod
    def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
        if "json" in content_type:
            return json.loads(raw or b"{}")
        args: dict[str, Any] = dict(urllib.parse.parse_qsl(raw.decode()))
        for key in ("blocks", "view", "attachments"):  # form posts carry these as JSON strings
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def _next_ts(self) -> str:
        return f"{1763640000 + next(self._ts)}.000100"

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if isinstance(args.get("blocks"), str):
            args["blocks"] = json.loads(args["blocks"])
        if isinstance(args.get("view"), str):
            args["view"] = json.loads(args["view"])
        if method == "auth.test":
            self._record(method, args)
            return {"ok": True, "url": "https://leadpilot-test.slack.com/", "team": "Leadpilot Test", "user": "leadpilot",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "chat.postMessage":
            if args.get("channel") in self.channels_without_bot:
                self._record(method, args, error="not_in_channel")
                return {"ok": False, "error": "not_in_channel"}
            ts = self._next_ts()
            message = {"type": "message", "text": args.get("text", ""), "user": BOT_USER, "bot_id": BOT_ID, "ts": ts, "team": TEAM,
                       "blocks": args.get("blocks", [])}
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            self._record(method, args, ts=ts)
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            self._record(method, args)
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": args.get("text", ""),
                    "message": {"text": args.get("text", ""), "user": BOT_USER, "bot_id": BOT_ID, "blocks": args.get("blocks", [])}}
        if method == "chat.postEphemeral":
            self._record(method, args)
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "views.open":
            if not args.get("trigger_id"):
                return {"ok": False, "error": "invalid_arguments"}
            view_id = f"V{next(self._ts):08d}"
            view = {"id": view_id, "team_id": TEAM, "state": {"values": {}}, "hash": "1763640000.abcd", **args["view"]}
            self._record(method, args, view=view)
            return {"ok": True, "view": view}
        self._record(method, args, error="unknown_method")
        return {"ok": False, "error": "unknown_method"}

    def _record(self, method: str, args: dict[str, Any], **extra: Any) -> None:
        with self._cond:
            self.calls.append({"method": method, "args": args, **extra})
            self._cond.notify_all()

    # -- assertions -----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._cond:
            return [call for call in self.calls if call["method"] == method]

    def wait_for(
        self, method: str, where: Callable[[dict[str, Any]], bool] = lambda args: True, *, nth: int = 0, timeout: float = 30.0
    ) -> dict[str, Any]:
        """The `nth` (from 0) recorded call of `method` whose args match, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [call for call in self.calls if call["method"] == method and where(call["args"])]
                if len(matching) > nth:
                    return matching[nth]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c["method"], c["args"].get("channel"), c["args"].get("thread_ts"), c["args"].get("text", "")[:80]) for c in self.calls]
                    raise AssertionError(f"no {method} call matched within {timeout}s; calls so far: {seen}")
                self._cond.wait(left)


def sign(secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


class SlackSender:
    """Posts what Slack posts to an app's request URL, signed like Slack signs it."""

    def __init__(self, url: str, *, secret: str = SIGNING_SECRET):
        self.url = url
        self.secret = secret
        self.http = httpx.Client(timeout=10)
        self._ids = itertools.count(1)

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, signature: str | None = None, signed: bool = True) -> httpx.Response:
        timestamp = int(time.time()) if timestamp is None else timestamp
        headers = {"Content-Type": content_type}
        if signed:
            headers["X-Slack-Request-Timestamp"] = str(timestamp)
            headers["X-Slack-Signature"] = signature or sign(self.secret, timestamp, body)
        return self.http.post(self.url, content=body.encode(), headers=headers)

    # Events API
    def event_body(self, event: dict[str, Any]) -> str:
        n = next(self._ids)
        return json.dumps({
            "token": "legacy-verification-token", "team_id": TEAM, "api_app_id": "A0LEADPILOT", "event": event,
            "type": "event_callback", "event_id": f"Ev{n:08d}", "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": f"4-ctx-{n}",
        })

    def event(self, event: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return self.post(self.event_body(event), "application/json", **kwargs)

    def mention(self, *, user: str, channel: str, text: str, ts: str, thread_ts: str | None = None) -> httpx.Response:
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel, "event_ts": ts,
                 "client_msg_id": f"msg-{ts}", "team": TEAM,
                 "blocks": [{"type": "rich_text", "block_id": "b1", "elements": [{"type": "rich_text_section", "elements": [
                     {"type": "user", "user_id": BOT_USER}, {"type": "text", "text": f" {text}"}]}]}]}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event)

    def message(self, *, user: str, channel: str, text: str, ts: str, channel_type: str, thread_ts: str | None = None) -> httpx.Response:
        event = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts,
                 "channel_type": channel_type, "client_msg_id": f"msg-{ts}", "team": TEAM}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event)

    # Slash commands (form-encoded, as Slack sends them)
    def command(self, *, user: str, channel: str, text: str, command: str = "/leads", response_url: str) -> httpx.Response:
        n = next(self._ids)
        fields = {
            "token": "legacy-verification-token", "team_id": TEAM, "team_domain": "leadpilot-test", "channel_id": channel,
            "channel_name": "sales", "user_id": user, "user_name": user.lower(), "command": command, "text": text,
            "api_app_id": "A0LEADPILOT", "is_enterprise_install": "false", "response_url": response_url,
            "trigger_id": f"{n}.1763640000.trigger",
        }
        return self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded")

    # Interactivity (form-encoded `payload=` JSON)
    def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def block_action(self, *, user: str, message: dict[str, Any], channel: str, action: dict[str, Any], response_url: str) -> httpx.Response:
        n = next(self._ids)
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "A0LEADPILOT", "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False,
                          **({"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {})},
            "trigger_id": f"{n}.1763640000.trigger",
            "team": {"id": TEAM, "domain": "leadpilot-test"},
            "enterprise": None, "is_enterprise_install": False,
            "channel": {"id": channel, "name": "sales"},
            "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, **message},
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [{"action_ts": f"{1763640000 + n}.000200", **action}],
        }
        return self.interaction(payload)

    def view_submission(self, *, user: str, view: dict[str, Any], values: dict[str, Any] | None = None) -> httpx.Response:
        n = next(self._ids)
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "leadpilot-test"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "A0LEADPILOT", "token": "legacy-verification-token", "trigger_id": f"{n}.1763640000.trigger",
            "view": {**view, "state": {"values": values or {}}, "app_id": "A0LEADPILOT", "bot_id": BOT_ID},
            "response_urls": [], "is_enterprise_install": False, "enterprise": None,
        }
        return self.interaction(payload)


@contextmanager
def serve_slack_app(settings: Any, db: Any) -> Iterator[str]:
    """The real Bolt app (HTTP mode) served by uvicorn on a free loopback port, in a thread; yields
    the URL Slack would post to (`.../slack/events`)."""
    import socket

    import uvicorn

    from leadpilot.interfaces.slack.app import build_http_app, build_slack_app

    server = uvicorn.Server(uvicorn.Config(build_http_app(build_slack_app(settings, db)), log_level="warning", lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
