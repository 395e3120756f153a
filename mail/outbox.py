"""The outbox: every queued email is tried until the mail server takes it, with backoff.

Rows are claimed with one conditional UPDATE (status and due time in the WHERE), so with
several api workers each mail is sent by one of them; a claim is a lease: a worker that dies
mid-send leaves the row ``sending`` until its lease ends, then it is due again (the mail keeps
its Message-ID, so a rare second copy is recognised as the same mail by mail programs).
Each try and its error are kept on the row, which the agent's console shows.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mail.models import Direction, Email, MailStatus
from mail.schemas import email_frame
from tierzero.hub import Hub, ticket_topic

#: How long a worker may take to hand one mail to the server before another may try it.
LEASE = timedelta(seconds=120)
MAX_BACKOFF = timedelta(hours=1)
NOT_CONFIGURED = "no outgoing mail server is set (TIERZERO_SMTP_URL)"


class SendFailed(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Server:
    """``smtp://host:port``, ``smtps://user:password@host:465``,
    ``smtp+starttls://user:password@host:587``."""

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> Server:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError("TIERZERO_SMTP_URL must look like smtp://host:port")
        default = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
        return cls(
            parts.scheme, parts.hostname, parts.port or default,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )  # fmt: skip

    def send(self, raw: bytes, *, sender: str, to: str, timeout: float = 30.0) -> None:
        """Hand one mail to the server; SendFailed says why not, and whether trying again can
        help (``permanent``: a 5xx refusal, an address no server can take)."""
        recipient, needs_utf8 = smtp_address(to)
        try:
            client: smtplib.SMTP
            if self.scheme == "smtps":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout,
                                          context=ssl.create_default_context())  # fmt: skip
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=timeout)
            with client:
                if self.scheme == "smtp+starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password or "")
                client.ehlo_or_helo_if_needed()
                options = []
                if needs_utf8:  # a non-ASCII mailbox name needs the server's SMTPUTF8
                    if not client.has_extn("smtputf8"):
                        raise SendFailed(f"the mail server cannot deliver to {to} (no SMTPUTF8)",
                                         permanent=True)  # fmt: skip
                    options.append("SMTPUTF8")
                client.sendmail(sender, [recipient], raw, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailed(f"the server refused {to}: {exc.recipients}",
                             permanent=all(500 <= c < 600 for c in codes)) from exc  # fmt: skip
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)  # fmt: skip
            raise SendFailed(
                f"{exc.smtp_code} {text}", permanent=500 <= exc.smtp_code < 600
            ) from exc
        except SendFailed:
            raise
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # anything else of one mail must not stop the outbox
            raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=True) from exc


def smtp_address(address: str) -> tuple[str, bool]:
    """The address as SMTP carries it: an internationalised domain in its ASCII (IDNA) form;
    True when the mailbox name itself is not ASCII (it needs SMTPUTF8)."""
    local, _, domain = address.strip().rpartition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError as exc:
        raise SendFailed(f"{address} is not a deliverable address", permanent=True) from exc
    return f"{local}@{ascii_domain}", not local.isascii()


def announce(session: Session, hub: Hub, email: Email) -> None:
    """After commit: the ticket's watchers see the mail's new state (sent, waiting, failed,
    bounced)."""
    if email.ticket_id is not None:
        hub.publish_after_commit(session, ticket_topic(email.ticket_id), email_frame(email))


def due(session: Session, now: datetime, limit: int = 20) -> list[int]:
    return list(
        session.scalars(
            select(Email.id)
            .where(
                Email.direction == Direction.OUT.value,
                Email.status.in_([MailStatus.QUEUED.value, MailStatus.SENDING.value]),
                or_(Email.next_attempt_at.is_(None), Email.next_attempt_at <= now),
            )
            .order_by(Email.next_attempt_at, Email.id)
            .limit(limit)
        )
    )


def claim(session: Session, email_id: int, now: datetime) -> Email | None:
    """This worker's turn to send it (None: another worker has it, or it is done)."""
    taken = session.execute(
        update(Email)
        .where(
            Email.id == email_id,
            Email.status.in_([MailStatus.QUEUED.value, MailStatus.SENDING.value]),
            or_(Email.next_attempt_at.is_(None), Email.next_attempt_at <= now),
        )
        .values(
            status=MailStatus.SENDING.value,
            next_attempt_at=now + LEASE,
            attempts=Email.attempts + 1,
        )
        .returning(Email.id)
        .execution_options(synchronize_session=False)
    ).first()
    if taken is None:
        return None
    return session.scalars(
        select(Email).where(Email.id == email_id).execution_options(populate_existing=True)
    ).one()


def backoff(attempts: int, base_seconds: float) -> timedelta:
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def settle(
    session: Session,
    email: Email,
    now: datetime,
    *,
    error: SendFailed | None,
    base_seconds: float,
    max_attempts: int,
) -> None:
    """After a try: sent; or due again after the backoff; or failed for good (a permanent
    refusal, or the last try)."""
    if error is None:
        email.status, email.sent_at, email.reason, email.next_attempt_at = (
            MailStatus.SENT.value, now, None, None,
        )  # fmt: skip
    elif error.permanent or email.attempts >= max_attempts:
        email.status, email.reason, email.next_attempt_at = (
            MailStatus.FAILED.value,
            str(error),
            None,
        )
    else:
        email.status, email.reason = MailStatus.QUEUED.value, str(error)
        email.next_attempt_at = now + backoff(email.attempts, base_seconds)
    session.flush()


def not_configured(session: Session, email: Email, now: datetime, retry_seconds: float) -> None:
    """No server to send through: it waits (the try does not count), saying why."""
    email.status, email.reason = MailStatus.QUEUED.value, NOT_CONFIGURED
    email.attempts = max(email.attempts - 1, 0)
    email.next_attempt_at = now + timedelta(seconds=retry_seconds)
    session.flush()


def retry_now(session: Session, email: Email, now: datetime) -> None:
    """An agent asks for another try of a failed or waiting mail (one being sent right now, or
    sent, stays as it is: no second copy)."""
    if email.direction != Direction.OUT.value or email.status not in (
        MailStatus.QUEUED.value, MailStatus.FAILED.value,
    ):  # fmt: skip
        return
    email.status, email.next_attempt_at, email.attempts = MailStatus.QUEUED.value, now, 0
    session.flush()


def still_mine(session: Session, email_id: int, attempts: int) -> Email | None:
    """The mail this worker claimed, locked, if the claim still holds (no other worker took it
    over after the lease, no agent reset it): only then may the try's result be written."""
    email = session.scalars(
        select(Email).where(Email.id == email_id).with_for_update()
        .execution_options(populate_existing=True)
    ).first()  # fmt: skip
    if email is None or email.status != MailStatus.SENDING.value or email.attempts != attempts:
        return None
    return email
