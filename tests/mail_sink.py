"""A real SMTP server on loopback for tests (aiosmtpd): the outgoing mail server the api sends
through, keeping what it receives — the customers' mailboxes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from mail.parse import as_message


@dataclass(frozen=True)
class Delivered:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return as_message(self.raw)

    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return str(body.get_content()) if body is not None else ""

    def html(self) -> str:
        body = self.message.get_body(preferencelist=("html",))
        return str(body.get_content()) if body is not None else ""


class _Keep:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        with self.sink.lock:
            self.sink.delivered.append(
                Delivered(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(raw))
            )
        return "250 OK"


class MailSink:
    def __init__(self, port: int) -> None:
        self.port = port
        self.delivered: list[Delivered] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Delivered]:
        with self.lock:
            return [d for d in self.delivered if address in d.rcpt_tos]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list[Delivered]:
        """The first ``count`` mails to ``address``, once they have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(
            f"{count} mail(s) to {address} did not arrive: {len(self.to(address))}"
        )
