"""Outgoing email over SMTP (`SHAREFAB_SMTP_URL`, e.g. smtp://user:pass@host:587?starttls=1)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlparse


def mail_configured(smtp_url: str | None) -> bool:
    return bool(smtp_url)


def send_mail(smtp_url: str, *, sender: str, to: str, subject: str, body: str) -> None:
    """Send one plain-text message.

    Raises:
        OSError / smtplib.SMTPException when the server cannot be reached or refuses.
    """
    url = urlparse(smtp_url)
    options = parse_qs(url.query)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with smtp_class(url.hostname or "127.0.0.1", url.port or 25, timeout=30) as client:
        if options.get("starttls") == ["1"]:
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)
