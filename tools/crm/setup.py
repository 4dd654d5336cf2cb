"""The connectors and the outbox sender, built from settings (one place reads the credentials)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadpilot.tools.crm.connector import Connector, CrmError
from leadpilot.tools.crm.delivery import OutboxSender
from leadpilot.tools.crm.policy import CrmPolicy, CrmPolicyHolder

_HOLDERS: dict[str, Any] = {}


def crm_policy(settings: Any) -> CrmPolicy:
    """config/crm.yaml (or LEADPILOT_CRM_POLICY), reloaded when the file changes."""
    key = str(getattr(settings, "crm_policy", None) or "")
    if key not in _HOLDERS:
        _HOLDERS[key] = CrmPolicyHolder(Path(key) if key else None)
    return _HOLDERS[key].get()


def connectors_from_settings(settings: Any, *, policy: CrmPolicy | None = None) -> dict[str, Connector]:
    """The configured CRMs by name (empty: none configured)."""
    policy = policy or crm_policy(settings)
    found: dict[str, Connector] = {}
    if settings.hubspot_token is not None:
        from leadpilot.tools.crm.hubspot import HubSpotConnector

        found["hubspot"] = HubSpotConnector(token=settings.hubspot_token.get_secret_value(), base_url=settings.hubspot_base_url,
                                            mapping=policy.hubspot)
    if settings.salesforce_username or settings.salesforce_instance_url:
        from leadpilot.tools.crm.salesforce import SalesforceConnector

        found["salesforce"] = SalesforceConnector.from_settings(settings, mapping=policy.salesforce)
    return found


def outbox_sender_from_settings(db: Any, settings: Any, **overrides: Any) -> OutboxSender:
    """The sender for every configured channel: the CRMs, SMTP, webhooks."""
    senders: dict[str, Any] = {name: connector.push for name, connector in connectors_from_settings(settings).items()}
    if settings.smtp_host:
        from leadpilot.tools.crm.email import Mailer

        senders["email"] = Mailer.from_settings(settings, db=db).send
    from functools import partial

    from leadpilot.memory.outbox import subscription_secrets
    from leadpilot.tools.crm.webhooks import send_webhooks

    def secrets(ids: list[int]) -> dict[int, str]:
        with db.session() as session:
            return subscription_secrets(session, ids)

    senders["webhook"] = partial(send_webhooks, secrets=secrets)
    options = dict(max_attempts=settings.outbox_max_attempts, backoff_s=settings.outbox_backoff_s, lease_s=settings.outbox_lease_s)
    options.update(overrides)
    return OutboxSender(db=db, senders=senders, **options)


def require_connector(settings: Any, name: str) -> Connector:
    connectors = connectors_from_settings(settings)
    if name not in connectors:
        variables = {"hubspot": "LEADPILOT_HUBSPOT_TOKEN",
                     "salesforce": "LEADPILOT_SALESFORCE_USERNAME (+ _PASSWORD, _SECURITY_TOKEN) or LEADPILOT_SALESFORCE_INSTANCE_URL + _SESSION_ID"}
        raise CrmError(f"{name} is not configured — set {variables.get(name, name)}")
    return connectors[name]
