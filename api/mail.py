"""The email channel inside the api: the SMTP listener and the IMAP poll (when configured),
the outbox sender, and the outbound hook that queues replies as their messages are stored.

With several api workers each one tries to listen; the first binds the port and the others
say so and go on (they still send from the shared outbox: claims are conditional in SQL).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from anyio import to_thread

from api.state import AppState
from mail import imap, listener, outbox
from mail.inbound import Desk, Outcome, receive
from mail.outbound import Outbound
from tierzero.db import unit_of_work, utcnow

log = logging.getLogger("tierzero.mail")
#: Received messages parsed and stored at the same time (others wait in the SMTP dialogue).
RECEIVING_AT_ONCE = 4


class MailService:
    def __init__(self, state: AppState) -> None:
        settings = state.settings
        self.state = state
        self.outbound = Outbound(
            address=settings.mail_address, brand=settings.brand_name,
            public_url=settings.public_url, secret=settings.secret_key,
            aliases=tuple(settings.mail_aliases),
        )  # fmt: skip
        self.desk = Desk(
            session_factory=state.session_factory, hub=state.hub, policy=state.policy,
            secret=settings.secret_key, search=None, own_addresses=self.outbound.own,
            max_attachment=settings.mail_attachment_max_bytes,
            per_sender_per_hour=settings.mails_per_sender_per_hour,
        )  # fmt: skip
        self.server = outbox.Server.from_url(settings.smtp_url) if settings.smtp_url else None
        self.listening: asyncio.AbstractServer | None = None
        self.receiving = asyncio.Semaphore(RECEIVING_AT_ONCE)

    def receive(self, raw: bytes, envelope_from: str | None = None) -> Outcome:
        """One message in (in a worker thread): the KB answers once its index is loaded."""
        kb = self.state.kb if self.state.kb_loaded else None
        desk = replace(self.desk, search=kb.search if kb is not None else None)
        outcome = receive(desk, raw, envelope_from=envelope_from)
        log.info("mail received: %s%s", outcome.status.value,
                 f" ({outcome.reason})" if outcome.reason else "")  # fmt: skip
        return outcome

    async def accept(self, raw: bytes, envelope_from: str | None) -> Outcome:
        async with self.receiving:  # a few at a time: each holds a whole message in memory
            return await to_thread.run_sync(self.receive, raw, envelope_from)

    async def start(self) -> list[asyncio.Task[None]]:
        settings = self.state.settings
        self.outbound.register()
        tasks = [asyncio.create_task(self.keep_sending())]
        if settings.smtp_listen:
            handler = listener.Handler(self.accept, self.outbound.own)
            hostname = settings.mail_address.rpartition("@")[2] or "localhost"
            try:
                self.listening = await listener.serve(
                    settings.smtp_listen, handler, max_bytes=settings.mail_max_bytes,
                    hostname=hostname,
                )  # fmt: skip
                log.info("listening for mail on %s", settings.smtp_listen)
            except OSError as exc:  # another worker listens already
                log.info("not listening for mail on %s: %s", settings.smtp_listen, exc)
        if settings.imap_url:
            tasks.append(asyncio.create_task(self.keep_polling()))
        return tasks

    async def stop(self) -> None:
        self.outbound.unregister()
        if self.listening is not None:
            self.listening.close()
            await self.listening.wait_closed()

    # --- outbox --------------------------------------------------------------------------

    def send_due(self) -> int:
        settings = self.state.settings
        with unit_of_work(self.state.session_factory, read_only=True) as session:
            ids = outbox.due(session, utcnow())
        sent = 0
        for email_id in ids:
            with unit_of_work(self.state.session_factory) as session:
                email = outbox.claim(session, email_id, utcnow())
                if email is None:
                    continue
                if self.server is None:
                    outbox.not_configured(session, email, utcnow(), settings.mail_retry_seconds)
                    outbox.announce(session, self.state.hub, email)
                    continue
                raw, to, attempts = email.raw or b"", email.to_address, email.attempts
            error = None
            try:  # outside any transaction: a slow server holds no lock
                self.server.send(raw, sender=settings.mail_address, to=to)
                sent += 1
            except outbox.SendFailed as exc:
                error = exc
                log.warning("mail %s to %s not sent: %s", email_id, to, exc)
            with unit_of_work(self.state.session_factory) as session:
                email = outbox.still_mine(session, email_id, attempts)
                if email is None:  # another worker took over after the lease
                    continue
                outbox.settle(session, email, utcnow(), error=error,
                              base_seconds=settings.mail_retry_seconds,
                              max_attempts=settings.mail_max_attempts)  # fmt: skip
                outbox.announce(session, self.state.hub, email)
        return sent

    async def keep_sending(self) -> None:
        while True:
            await asyncio.sleep(self.state.settings.mail_send_interval_seconds)
            try:
                await to_thread.run_sync(self.send_due)
            except Exception:
                log.exception("outbox round failed")

    # --- IMAP ----------------------------------------------------------------------------

    def _poll(self, mailbox: imap.Mailbox) -> int:
        return mailbox.poll(self.receive, max_bytes=self.state.settings.mail_max_bytes)

    async def keep_polling(self) -> None:
        settings = self.state.settings
        while True:
            try:
                mailbox = imap.Mailbox.from_url(settings.imap_url)
                count = await to_thread.run_sync(self._poll, mailbox)
                if count:
                    log.info("fetched %d message(s) from the mailbox", count)
            except Exception as exc:
                log.warning("mailbox poll failed: %s", exc)
            await asyncio.sleep(settings.imap_poll_seconds)
