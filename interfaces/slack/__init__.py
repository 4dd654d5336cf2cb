"""The Slack bot: Bolt (asyncio) over the one agent. `build_slack_app` builds it, `serve` runs it."""
