"""Email over SMTP: "new lead assigned to you" and nurture emails, rendered from prompts/email_*.md
with the lead's facts when the decision is made, queued in the outbox, sent by the workers.

Each mail carries Message-ID <outbox key@leadpilot> (the same on a resend), an unsubscribe link
(`{public_url}/unsubscribe?token=...`, an HMAC of the lead and address) and the List-Unsubscribe /
List-Unsubscribe-Post headers (RFC 8058 one-click). `unsubscribe` (the API's /unsubscribe, or
`leadpilot crm unsubscribe`) suppresses the address, stops the lead's nurture sequence and cancels
its queued mails; `record_bounce` (`leadpilot crm bounce`) does the same for an address that
bounced, and a recipient the server refuses outright is recorded as bounced when sending. A
suppressed address is never mailed: its queued mails are cancelled at send time.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate
from importlib.resources import files
from typing import Any

from sqlalchemy import select, update

from leadpilot.memory.models import Lead
from leadpilot.memory.outbox import OutboxItem, OutboxStatus, suppress, suppressed
from leadpilot.memory.pipeline import NurtureEnrollment, add_event
from leadpilot.tools.crm.connector import Change, CrmError, Pushed


# Long headers (List-Unsubscribe URLs) stay plain text instead of being folded into encoded words.
_POLICY = email_policy.SMTP.clone(max_line_length=998)


def _template(name: str) -> tuple[str, str]:
    text = files("leadpilot.prompts").joinpath(f"email_{name}.md").read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"prompts/email_{name}.md must start with a 'Subject: ...' line")
    return first.removeprefix("Subject:").strip(), body.strip() + "\n"


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def _secret(settings: Any) -> bytes:
    secret = settings.email_link_secret or settings.webhook_secret
    if secret is None:
        raise CrmError("unsubscribe links need a secret — set LEADPILOT_EMAIL_LINK_SECRET (or LEADPILOT_WEBHOOK_SECRET)")
    return secret.get_secret_value().encode()


def unsubscribe_token(settings: Any, *, lead_id: int, email: str) -> str:
    digest = hmac.new(_secret(settings), f"{lead_id}:{email.lower()}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{lead_id}.{digest}"


def session_rep(lead: Lead) -> Any:
    """The lead's owner, read through the lead's own session (owner_id may be newer than the relationship)."""
    from sqlalchemy.orm import object_session

    from leadpilot.memory.models import Rep

    session = object_session(lead)
    return session.get(Rep, lead.owner_id) if session is not None and lead.owner_id is not None else lead.owner


def render_email_for(settings: Any):
    """The renderer pipeline steps and the nurture run use: (template, lead, to, data, at) -> outbox payload."""
    base = settings.public_url.rstrip("/")

    def render(template: str, *, lead: Lead, to: str, data: dict[str, Any], at: datetime) -> dict[str, Any] | None:
        if not to:
            return None
        facts = _Facts({name: getattr(lead, name) for name in ("company", "contact_name", "email", "phone", "job_title", "industry",
                                                                "company_size", "city", "country", "source", "score", "tier")})
        facts = _Facts({k: v for k, v in facts.items() if v not in (None, "")})
        owner = session_rep(lead)
        facts.update(owner_name=owner.name.split()[0] if owner is not None else "there", reason=data.get("reason") or "—",
                     task=data.get("task") or "first contact", due_at=data.get("due_at") or "soon",
                     first_name=(lead.contact_name or "there").split()[0],
                     company_clause=f" in working with us at {lead.company}" if lead.company else "",
                     subject=data.get("subject") or "")
        headers: dict[str, str] = {}
        if template == "nurture":
            url = f"{base}/unsubscribe?token={unsubscribe_token(settings, lead_id=lead.id, email=to)}"
            facts["unsubscribe_url"] = url
            headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        subject, body = _template(template)
        return {"to": to, "subject": subject.format_map(facts)[:200], "text": body.format_map(facts), "headers": headers,
                "template": template, "lead_id": lead.id, "at": at.isoformat()}

    return render


@dataclass
class Mailer:
    db: Any
    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str
    timeout_s: float = 15.0

    @classmethod
    def from_settings(cls, settings: Any, *, db: Any) -> "Mailer":
        return cls(db=db, host=settings.smtp_host, port=settings.smtp_port, tls=settings.smtp_tls, user=settings.smtp_user,
                   password=settings.smtp_password.get_secret_value() if settings.smtp_password else None, sender=settings.smtp_from)

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.tls == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
                if self.tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
        except (OSError, smtplib.SMTPException) as error:
            raise CrmError(f"SMTP server {self.host}:{self.port} unavailable: {type(error).__name__}: {error}") from None
        return smtp

    def send(self, changes: list[Change]) -> Pushed:
        pushed = Pushed()
        with self.db.session() as session:
            blocked = {c.id: s.reason for c in changes if (s := suppressed(session, email=c.payload.get("to") or ""))}
        for change_id, reason in blocked.items():
            pushed.cancelled[change_id] = f"not sent: the address {reason}"
        todo = [c for c in changes if c.id not in blocked]
        if not todo:
            return pushed
        smtp = self._connect()
        try:
            for change in todo:
                message = self._message(change)
                try:
                    smtp.send_message(message)
                    pushed.sent.append(change.id)
                except smtplib.SMTPRecipientsRefused as error:
                    detail = "; ".join(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                                       for code, text in error.recipients.values())
                    record_bounce(self.db, email=change.payload["to"], detail=f"refused by the SMTP server: {detail}",
                                  now=datetime.fromisoformat(change.payload.get("at")) if change.payload.get("at") else None)
                    pushed.cancelled[change.id] = f"bounced: {detail}"
                except (OSError, smtplib.SMTPException) as error:
                    pushed.failed[change.id] = f"SMTP: {type(error).__name__}: {error}"
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
        return pushed

    def _message(self, change: Change) -> EmailMessage:
        p = change.payload
        message = EmailMessage(policy=_POLICY)
        message["From"], message["To"], message["Subject"] = self.sender, p["to"], p["subject"]
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{change.key}@leadpilot>"
        message["X-Leadpilot-Key"] = change.key
        for name, value in (p.get("headers") or {}).items():
            message[name] = value
        message.set_content(p["text"])
        return message


def _stop(session: Any, *, email: str, reason: str, at: datetime) -> list[int]:
    """Stop the nurture of every lead with this address and cancel their queued mails; the lead ids."""
    lead_ids = list(session.scalars(select(Lead.id).where(Lead.email == email)))
    for enrollment in session.scalars(select(NurtureEnrollment).where(NurtureEnrollment.lead_id.in_(lead_ids),
                                                                     NurtureEnrollment.status == "active")):
        enrollment.status, enrollment.stop_reason, enrollment.updated_at = "stopped", reason, at
        add_event(session, lead_id=enrollment.lead_id, step="nurture", outcome="skipped", at=at,
                  message=f"nurture '{enrollment.sequence}' stopped: {reason}")
    if lead_ids:
        session.execute(update(OutboxItem).where(OutboxItem.lead_id.in_(lead_ids), OutboxItem.channel == "email",
                                                 OutboxItem.status == OutboxStatus.PENDING.value)
                        .values(status=OutboxStatus.CANCELLED.value, last_error=f"not sent: {reason}"))
    return lead_ids


def unsubscribe(db: Any, settings: Any, *, token: str, now: datetime) -> str:
    """Honour an unsubscribe link: the address is suppressed and its nurture stopped; what was done.
    Raises ValueError for a token that is not one of ours."""
    lead_part, _, _digest = token.partition(".")
    if not lead_part.isdigit():
        raise ValueError("this unsubscribe link is malformed — use the link from the email as it is")
    with db.transaction() as session:
        lead = session.get(Lead, int(lead_part))
        if lead is None or not lead.email or not hmac.compare_digest(
                unsubscribe_token(settings, lead_id=lead.id, email=lead.email), token):
            raise ValueError("this unsubscribe link is not valid — use the link from the email as it is")
        suppress(session, email=lead.email, reason="unsubscribed", detail="unsubscribe link", at=now)
        _stop(session, email=lead.email.lower(), reason="unsubscribed", at=now)
        return f"{lead.email} unsubscribed: no more emails"


def record_bounce(db: Any, *, email: str, detail: str | None = None, now: datetime | None = None) -> str:
    from leadpilot.memory.pipeline import wall_clock

    at = now or wall_clock()
    address = email.strip().lower()
    if "@" not in address:
        raise ValueError(f"{email!r} is not an email address — pass the address that bounced")
    with db.transaction() as session:
        suppress(session, email=address, reason="bounced", detail=detail, at=at)
        leads = _stop(session, email=address, reason=f"email bounced ({detail or 'reported'})", at=at)
    return f"{address} recorded as bounced ({len(leads)} lead(s)); no more emails to it"
