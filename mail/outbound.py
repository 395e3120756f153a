"""Which of a conversation's messages go out by email, composed as a reply in the customer's
thread: ``In-Reply-To``/``References`` to their last mail, the signed request token in the
subject, the agent's name, a plain-text and an HTML body, ``Auto-Submitted`` on everything a
person did not write (so other auto-responders stay quiet). Composed once and queued in the
outbox (``mail.outbox``) in the transaction that stores the message.

- An email conversation gets the agents' replies, the bot's KB answer, the desk's receipt of
  a request, the note about an attachment it could not keep, and the resolution.
- A chat whose customer left an address when nobody was available (``reply_by_email``) gets
  the agents' replies and the resolution, in the same ticket; replies to them come back into
  that ticket.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY  # CRLF line ends, as SMTP sends them
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff import channels
from handoff import repository as repo
from handoff.conversations import REPLY_BY_EMAIL
from handoff.language import render
from handoff.lifecycle import Channel, Sender
from handoff.models import Conversation, Message
from kb.render import render_html
from mail import texts
from mail.inbound import token
from mail.models import Direction, Email, MailStatus
from tierzero.db import utcnow

#: System messages an email conversation receives by mail (the chat's queue news are not).
EMAIL_KINDS = frozenset({"mail_received", "mail_received_soon", "mail_not_kept",
                         "mail_reopened", "ticket_resolved"})  # fmt: skip
#: What a chat's customer who left an address receives.
FOLLOW_UP_KINDS = frozenset({"ticket_resolved"})
#: Addresses that take no mail back (no-reply senders of forms and systems).
_NO_REPLY = re.compile(
    r"^(no-?reply|do-?not-?reply|donotreply|mailer-daemon|postmaster)[@+.-]", re.IGNORECASE
)
_ENV = Environment(loader=PackageLoader("mail", "templates"), autoescape=select_autoescape())


def _goes_by_mail(conversation: Conversation, message: Message) -> bool:
    """Does this message go out by mail? (Decided without the database: most messages are a
    chat's, and go nowhere.)"""
    kind = message.payload.get("kind")
    agent = message.sender == Sender.AGENT.value
    if conversation.channel == Channel.EMAIL.value:
        return (
            agent
            or kind in EMAIL_KINDS
            or (message.sender == Sender.BOT.value and kind == "answer")
        )
    follow_up = conversation.context.get(REPLY_BY_EMAIL)
    return isinstance(follow_up, str) and (agent or kind in FOLLOW_UP_KINDS)


def _recipient(session: Session, conversation: Conversation, last_in: Email | None) -> str | None:
    """A mail conversation answers the address the customer last wrote from; a chat, the
    address its customer left."""
    if conversation.channel == Channel.EMAIL.value:
        if last_in is not None:
            return last_in.from_address
        customer = repo.get_customer(session, conversation.customer_id)
        return customer.email if customer else None
    follow_up = conversation.context.get(REPLY_BY_EMAIL)
    return follow_up if isinstance(follow_up, str) else None


def _last_inbound(session: Session, conversation_id: int) -> Email | None:
    return session.scalar(
        select(Email)
        .where(Email.conversation_id == conversation_id, Email.direction == Direction.IN.value,
               Email.status == MailStatus.PROCESSED.value)
        .order_by(Email.id.desc())
        .limit(1)
    )  # fmt: skip


def _thread_headers(
    session: Session, conversation_id: int, last_in: Email | None
) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) for the next mail of a conversation: the customer's last
    message (``last_in``) and its references, else the desk's own last mail to them."""
    last = last_in
    if last is None:
        last = session.scalar(
            select(Email)
            .where(Email.conversation_id == conversation_id)
            .order_by(Email.id.desc())
            .limit(1)
        )
    if last is None:
        return None, []
    references = [*last.references.split(), last.message_id]
    if len(references) > 20:  # RFC 5322: keep the thread's first message and the latest ones
        references = [references[0], *references[-19:]]
    return last.message_id, references


class Outbound:
    """Registered with ``handoff.channels`` by the api (``register``)."""

    def __init__(
        self,
        *,
        address: str,
        brand: str,
        public_url: str,
        secret: str,
        aliases: tuple[str, ...] = (),
    ) -> None:
        self.address = address
        #: The desk's own addresses: never written to, the only ones the listener takes mail for.
        self.own = frozenset(a.strip().lower() for a in (address, *aliases) if a.strip())
        self.brand = brand
        self.public_url = public_url.rstrip("/")
        self.secret = secret

    def register(self) -> Outbound:
        channels.register(self)
        return self

    def unregister(self) -> None:
        channels.unregister(self)

    def __call__(self, session: Session, conversation: Conversation, message: Message) -> None:
        if not _goes_by_mail(conversation, message):
            return
        last_in = _last_inbound(session, conversation.id)
        to = _recipient(session, conversation, last_in)
        if (
            not to
            or to.lower() in self.own
            or (message.sender != Sender.AGENT.value and _NO_REPLY.match(to))
        ):  # never to itself; nothing automatic to an address that takes no mail
            return
        ticket_id = message.payload.get("ticket_id")
        ticket = (
            repo.get_ticket(session, int(ticket_id))
            if isinstance(ticket_id, int)
            else repo.open_ticket_for_conversation(session, conversation.id)
            or repo.latest_ticket_for_conversation(session, conversation.id)
        )
        in_reply_to, references = _thread_headers(session, conversation.id, last_in)
        mail = self.compose(conversation, message, to=to, ticket_id=ticket.id if ticket else None,
                            in_reply_to=in_reply_to, references=references)  # fmt: skip
        session.add(
            Email(
                direction=Direction.OUT.value, message_id=mail["Message-ID"].strip("<>"),
                conversation_id=conversation.id, message_seq=message.seq,
                ticket_id=ticket.id if ticket else None, from_address=self.address, to_address=to,
                subject=str(mail["Subject"])[:500], in_reply_to=in_reply_to,
                references=" ".join(references), status=MailStatus.QUEUED.value,
                next_attempt_at=utcnow(), raw=mail.as_bytes(policy=SMTP_POLICY),
            )
        )  # fmt: skip
        if message.payload.get("kind") in FOLLOW_UP_KINDS and (
            conversation.channel != Channel.EMAIL.value
        ):
            # the chat's follow-up ends with the request it was left for
            context = dict(conversation.context)
            context.pop(REPLY_BY_EMAIL, None)
            conversation.context = context
        session.flush()

    def subject(self, conversation: Conversation, ticket_id: int | None) -> str:
        base = str(conversation.context.get("subject") or "").strip()
        language = conversation.language
        if not base:
            base = texts.say("request", language, ticket=ticket_id) if ticket_id else (
                texts.say("team", language, brand=self.brand)
            )  # fmt: skip
        if not base.lower().startswith(("re:", "aw:", "sv:", "odg:", "отв:", "απ:")):
            base = f"Re: {base}"
        return f"{base} {token(self.secret, ticket_id)}" if ticket_id else base

    def compose(
        self,
        conversation: Conversation,
        message: Message,
        *,
        to: str,
        ticket_id: int | None,
        in_reply_to: str | None,
        references: list[str],
    ) -> EmailMessage:
        language, script = conversation.language, conversation.script

        def say(key: str, **values: object) -> str:
            return render(texts.say(key, language, **values), language, script)

        parts: dict[str, Any] = {"intro": "", "title": "", "url": "", "read_more": "",
                                 "footer": "", "signature": "", "reference": ""}  # fmt: skip
        person = message.sender == Sender.AGENT.value
        agent_name = str(message.payload.get("agent_name") or "") if person else ""
        article = message.payload.get("article")
        if isinstance(article, dict):
            url = str(article.get("url") or "")
            url = self.public_url + url if url.startswith("/") else url
            parts.update(intro=say("answer_intro"), title=str(article.get("title") or ""),
                         url=url, read_more=say("read_more", url=url) if url else "",
                         footer=say("answer_footer"))  # fmt: skip
        if person:
            parts["signature"] = say("signature", agent=agent_name, brand=self.brand)
        if ticket_id is not None:
            parts["reference"] = say("request", ticket=ticket_id)
        marker = f"##- {say('reply_marker')} -##"
        subject = self.subject(conversation, ticket_id)
        body = message.text
        if message.payload.get("kind") == "ticket_resolved" and ticket_id is not None:
            body = say("resolved", ticket=ticket_id)
        plain = [marker, ""]
        for key in ("intro", "title"):
            if parts[key]:
                plain += [parts[key], ""]
        plain += [body, ""]
        for key in ("read_more", "footer"):
            if parts[key]:
                plain += [parts[key], ""]
        if parts["signature"]:
            plain += [f"— {parts['signature']}", ""]
        if parts["reference"]:
            plain.append(parts["reference"])
        paragraphs = [p.splitlines() for p in body.split("\n\n") if p.strip()]
        # an agent's or the KB's Markdown, formatted as the widget shows it (allowlisted HTML)
        formatted = Markup(render_html(body)) if person or isinstance(article, dict) else None
        html = _ENV.get_template("message.html").render(
            language=language or "en", subject=subject, marker=marker, paragraphs=paragraphs,
            formatted=formatted,
            **parts,
        )  # fmt: skip
        display = f"{agent_name} ({texts.say('team', language, brand=self.brand)})" if (
            agent_name
        ) else texts.say("team", language, brand=self.brand)  # fmt: skip
        mail = EmailMessage()
        mail["From"] = formataddr((display, self.address))
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = format_datetime(utcnow())
        mail["Message-ID"] = make_msgid("tz", domain=self.address.rpartition("@")[2] or None)
        if in_reply_to:
            mail["In-Reply-To"] = f"<{in_reply_to}>"
            mail["References"] = " ".join(f"<{r}>" for r in references)
        if not person:
            mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: no auto-reply to this, please
        # quoted-printable: no line of any length (a long KB answer) breaks SMTP's 998 limit
        mail.set_content("\n".join(plain).strip() + "\n", cte="quoted-printable")
        mail.add_alternative(html, subtype="html", cte="quoted-printable")
        return mail
