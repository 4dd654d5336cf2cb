"""Slack listeners, one module per kind of request; each exposes `register(app, runtime)`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from leadpilot.interfaces.slack.runtime import SlackRuntime


def register(app: AsyncApp, runtime: SlackRuntime) -> None:
    from leadpilot.interfaces.slack.listeners import actions, commands, messages, views

    messages.register(app, runtime)
    commands.register(app, runtime)
    actions.register(app, runtime)
    views.register(app, runtime)
