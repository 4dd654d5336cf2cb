"""Beside the CRM: HubSpot and Salesforce connectors, the outbox sender, email delivery and
outgoing webhooks.

Owns: the connector interface (connector: pull changes since a cursor, push a batch of changes,
Pulled/Page/Change/Pushed and the CRM errors), HubSpot through hubspot-api-client (hubspot),
Salesforce through simple-salesforce (salesforce) with each Lead's Task/Event history
(salesforce_history) and each HubSpot contact's emails, calls and meetings (hubspot_history), config/crm.yaml — field mapping, conflict rule,
webhook subscriptions (policy), what a decision owes the outside world, queued in the decision's
transaction (changes), the workers' sender of the outbox with retries, backoff, Retry-After and
dead letters (delivery), SMTP email with templates, unsubscribe links and bounces (email), signed
outgoing webhooks with Retry-After (webhooks) and the subscriptions added from the command line
(subscriptions), and the connectors built from settings (setup).
May import: memory, leadpilot.settings/clock, prompts, tools.common. The pipeline imports it (the
pulled records go through tools.pipeline's capture, which tools/crm must not import).

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "connector": ["Change", "Connector", "CrmError", "Page", "Pulled", "Pushed", "RateLimited"],
    "policy": ["CrmPolicy", "CrmPolicyError", "CrmPolicyHolder", "EVENTS", "load_policy"],
    "hubspot": ["HubSpotConnector"],
    "salesforce": ["SalesforceConnector"],
    "changes": ["crm_channels", "queue_changes", "queue_decision", "queue_event", "queue_reassignment"],
    "delivery": ["OutboxSender", "DeliveryReport"],
    "email": ["Mailer", "record_bounce", "render_email_for", "unsubscribe", "unsubscribe_token"],
    "setup": ["connectors_from_settings", "crm_policy", "outbox_sender_from_settings", "require_connector"],
    "subscriptions": ["SubscriptionError", "add_webhook", "list_webhooks", "remove_webhook", "send_test_event"],
})
