"""Build and run the Slack app. Nothing is built at import time.

HTTP mode (default): Slack posts events, slash commands and interactions to
``https://YOUR-HOST/slack/events``; Bolt verifies each request's signature with the signing
secret and refuses unsigned, badly signed or stale (replayed) ones with 401 before any listener
runs. Socket Mode (when ``LEADPILOT_SLACK_APP_TOKEN`` is set): the app dials out to Slack over a
WebSocket, so no public URL is needed. Either way an event Slack delivers again (a retry, or a
replay of a captured request within the signature's 5 minutes) is acknowledged but answered once
(`SeenEvents`, by event_id).
"""

from __future__ import annotations

import logging

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from leadpilot.memory.db import Database
from leadpilot.settings import Settings

log = logging.getLogger("leadpilot.slack")

EVENTS_PATH = "/slack/events"


class SlackConfigError(RuntimeError):
    """A Slack setting is missing; the message names the variable and where to find its value."""


def check_settings(settings: Settings) -> None:
    missing = []
    if settings.slack_bot_token is None:
        missing.append("LEADPILOT_SLACK_BOT_TOKEN (OAuth & Permissions > Bot User OAuth Token, xoxb-...)")
    if settings.slack_mode == "http" and settings.slack_signing_secret is None:
        missing.append(
            "LEADPILOT_SLACK_SIGNING_SECRET (Basic Information > App Credentials > Signing Secret), "
            "or LEADPILOT_SLACK_APP_TOKEN (xapp-...) for Socket Mode"
        )
    if missing:
        raise SlackConfigError("The Slack bot cannot start: set " + " and ".join(missing) + ". See README, 'Slack setup'.")


def build_slack_app(settings: Settings, db: Database, *, client: AsyncWebClient | None = None) -> AsyncApp:
    """The Bolt app with every listener registered. `client` defaults to the Web API at
    `settings.slack_api_url` with the bot token."""
    from leadpilot.interfaces.slack.listeners import register
    from leadpilot.interfaces.slack.runtime import SlackRuntime

    check_settings(settings)
    token = settings.slack_bot_token.get_secret_value()  # type: ignore[union-attr]
    http = settings.slack_mode == "http"
    app = AsyncApp(
        name="leadpilot",
        client=client or AsyncWebClient(token=token, base_url=settings.slack_api_url),  # Bolt takes the token from it
        # HTTP mode verifies every request; Socket Mode requests come over Slack's own socket.
        signing_secret=settings.slack_signing_secret.get_secret_value() if http else "",  # type: ignore[union-attr]
        request_verification_enabled=http,
        process_before_response=False,  # ack within Slack's 3 seconds, answer after
    )

    @app.error
    async def on_error(error: Exception, body: dict) -> None:
        log.exception("Slack listener failed on a %s request: %s", body.get("type") or body.get("command"), error)

    runtime = SlackRuntime(db=db)

    @app.middleware  # after Bolt's signature check: an unsigned request never reaches it
    async def answer_each_event_once(body: dict, request, next):  # noqa: A002 - Bolt passes `next` by name
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if isinstance(event_id, str) and not runtime.seen_events.first_time(event_id):
            retry = (request.headers.get("x-slack-retry-num") or ["-"])[0]
            log.info("Slack event %s again (retry %s, %s): already answered, acknowledged only", event_id, retry,
                     (request.headers.get("x-slack-retry-reason") or ["replay"])[0])
            return BoltResponse(status=200, body="")
        return await next()

    register(app, runtime)
    return app


def build_http_app(slack_app: AsyncApp):
    """An ASGI app: POST /slack/events for Slack, GET /healthz for load balancers."""
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    handler = AsyncSlackRequestHandler(slack_app)

    async def events(request: Request):
        return await handler.handle(request)

    async def health(_request: Request):
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(EVENTS_PATH, events, methods=["POST"]), Route("/healthz", health, methods=["GET"])])


async def serve(settings: Settings, db: Database, *, host: str | None = None, port: int | None = None) -> None:
    """Run until interrupted: Socket Mode when an app token is set, else HTTP on host:port."""
    slack_app = build_slack_app(settings, db)
    if settings.slack_mode == "socket":
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        print("Leadpilot Slack bot: Socket Mode (connecting to Slack)...", flush=True)
        await AsyncSocketModeHandler(slack_app, settings.slack_app_token.get_secret_value()).start_async()  # type: ignore[union-attr]
        return
    import uvicorn

    host = host or settings.slack_host
    port = port or settings.slack_port
    print(f"Leadpilot Slack bot: HTTP mode, Slack posts to http://{host}:{port}{EVENTS_PATH} (put it behind HTTPS)", flush=True)
    server = uvicorn.Server(uvicorn.Config(build_http_app(slack_app), host=host, port=port, log_level="info", lifespan="off"))
    await server.serve()
