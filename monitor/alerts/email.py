"""Email channel: SMTP with STARTTLS, implicit TLS or plain, optional login; multipart text and HTML."""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from monitor.alerts.delivery import DeliveryError
from monitor.alerts.message import AlertMessage
from monitor.config import EmailChannel


def message_id(key: str) -> str:
    """A stable Message-ID from the idempotency key, so a repeated send can be recognised."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@frontier-monitor>"


def render_text(message: AlertMessage) -> str:
    payload = message.payload
    lines = [payload.get("summary", message.subject), ""]
    episode = payload.get("episode") or {}
    if episode:
        lines.append(
            f"Observed {episode.get('observed')} against an expected {episode.get('expected')} "
            f"since {episode.get('started_at')}."
        )
        lines.append("")
    for story in payload.get("stories", []):
        lines.append(f"- {story.get('title') or '(untitled)'}")
        lines.append(f"  {story.get('source')} · {story.get('published_at') or ''}")
        lines.append(f"  {story.get('url')}")
        for repost in story.get("reposts", []):
            lines.append(f"    repost: {repost.get('source')} {repost.get('url')}")
    return "\n".join(lines).rstrip() + "\n"


def render_html(message: AlertMessage) -> str:
    payload = message.payload
    esc = html.escape
    items = []
    for story in payload.get("stories", []):
        reposts = "".join(
            f'<li>repost: {esc(str(r.get("source")))} <a href="{esc(str(r.get("url")))}">link</a></li>'
            for r in story.get("reposts", [])
        )
        items.append(
            f'<li><a href="{esc(str(story.get("url")))}">{esc(str(story.get("title") or "(untitled)"))}</a>'
            f"<br><small>{esc(str(story.get('source')))} · {esc(str(story.get('published_at') or ''))}</small>"
            f"{f'<ul>{reposts}</ul>' if reposts else ''}</li>"
        )
    return (
        f"<html><body><h2>{esc(payload.get('summary', message.subject))}</h2>"
        f"<ul>{''.join(items)}</ul></body></html>"
    )


class EmailSender:
    def __init__(self, channel: EmailChannel, password: str | None) -> None:
        self.channel = channel
        self.password = password

    def build(self, message: AlertMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.channel.sender
        mail["To"] = ", ".join(self.channel.recipients)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(message.key)
        mail["X-Monitor-Idempotency-Key"] = message.key
        mail.set_content(render_text(message))
        mail.add_alternative(render_html(message), subtype="html")
        return mail

    def send(self, message: AlertMessage) -> str:
        ch = self.channel
        timeout = ch.timeout.total_seconds()
        try:
            smtp: smtplib.SMTP
            if ch.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    ch.host, ch.port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(ch.host, ch.port, timeout=timeout)
            with smtp:
                if ch.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if ch.username and self.password:
                    smtp.login(ch.username, self.password)
                refused = smtp.send_message(self.build(message))
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(
                f"SMTP {ch.host}:{ch.port}: {exc.smtp_code} {exc.smtp_error!r}", not permanent
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"SMTP {ch.host}:{ch.port}: {type(exc).__name__}: {exc}", retryable=True
            ) from None
        if refused:
            return f"sent; refused by {sorted(refused)}"
        return f"sent to {len(ch.recipients)} recipient(s)"
