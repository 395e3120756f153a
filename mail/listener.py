"""The desk's own SMTP listener (aiosmtpd): takes mail for the desk's addresses only (it relays
nothing), refuses what is too big with 552 before storing anything, and answers 250 only once
the message is committed — on any failure 451, so the sending server tries again and nothing
is lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

log = logging.getLogger("tierzero.mail")

Accept = Callable[[bytes, str | None], Awaitable[object]]


class Handler:
    def __init__(self, accept: Accept, addresses: frozenset[str]) -> None:
        self._accept = accept
        self._addresses = addresses

    async def handle_RCPT(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:  # fmt: skip
        if address.strip().lower() not in self._addresses:
            return (
                "550 5.1.1 No such mailbox here: this server takes mail for the support desk only"
            )
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        if not isinstance(raw, bytes):
            return "554 5.6.0 No message"
        sender = envelope.mail_from
        try:
            await self._accept(raw, sender if sender not in (None, "<>") else "")
        except Exception:
            log.exception("could not store a received message; the sender will retry")
            return "451 4.3.0 Could not store the message now; please try again later"
        return "250 2.0.0 Message received"


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("TIERZERO_SMTP_LISTEN must be host:port, e.g. 127.0.0.1:2525")
    return host.strip("[]"), int(port)


async def serve(
    listen: str, handler: Handler, *, max_bytes: int, hostname: str
) -> asyncio.AbstractServer:
    host, port = parse_listen(listen)
    loop = asyncio.get_running_loop()

    def protocol() -> Any:
        return SMTP(handler, data_size_limit=max_bytes, enable_SMTPUTF8=True,
                    hostname=hostname, ident="TierZero", loop=loop)  # fmt: skip

    return await loop.create_server(protocol, host=host, port=port)
