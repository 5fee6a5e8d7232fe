"""Email channel: SMTP with STARTTLS, implicit TLS or plain, optional login; text and HTML alternatives,
the HTML with its chart as a related inline image (Content-ID)."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from monitor.alerts.delivery import DeliveryError
from monitor.alerts.message import AlertMessage
from monitor.alerts.render import CHART_CID, history_chart, render_html, render_text
from monitor.config import EmailChannel


def message_id(key: str) -> str:
    """A stable Message-ID from the idempotency key, so a repeated send can be recognised."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@frontier-monitor>"


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
        chart = history_chart(message.payload)
        mail.add_alternative(render_html(message, CHART_CID if chart else None), subtype="html")
        if chart:
            html_part = mail.get_body(preferencelist=("html",))
            assert html_part is not None
            html_part.add_related(chart, "image", "png", cid=f"<{CHART_CID}>", filename="chart.png")
        return mail

    def send(self, message: AlertMessage) -> str:
        ch = self.channel
        timeout = ch.timeout.total_seconds()
        try:
            smtp: smtplib.SMTP
            if ch.security == "ssl":
                smtp = smtplib.SMTP_SSL(ch.host, ch.port, timeout=timeout, context=ssl.create_default_context())
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
            raise DeliveryError(f"SMTP {ch.host}:{ch.port}: {type(exc).__name__}: {exc}", retryable=True) from None
        if refused:
            return f"sent; refused by {sorted(refused)}"
        return f"sent to {len(ch.recipients)} recipient(s)"
