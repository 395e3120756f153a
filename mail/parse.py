"""Bytes as they arrived → what the desk needs: who wrote, the thread headers, the readable
text in any of the customers' encodings, attachments with safe names and a size limit, and
whether a person wrote it at all (auto-replies, bounces and lists are not people).

Standard library only (``email`` with its modern policy); every header is read defensively —
malformed mail gets the best reading possible and its defects are kept, never an exception.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from mail.text import html_to_text, own_words, tidy

_ID = re.compile(r"<([^<>\s]{1,398})>")
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|autoreply|auto:|out of (the )?office|undeliverable|"
    r"undelivered mail|delivery status notification|mail delivery failed|"
    r"returned mail|автоответ|автоматический ответ|αυτόματη απάντηση|automatski odgovor)",
    re.IGNORECASE,
)
_DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})


class UnreadableMail(ValueError):
    """Not an email at all (no headers, no sender): kept raw for an admin, nothing created."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    data: bytes | None  # None: over the size limit, not kept

    @property
    def kept(self) -> bool:
        return self.data is not None


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    from_address: str
    from_name: str
    to_addresses: tuple[str, ...]
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]
    #: The customer's own words (quotes and signature cut), and everything readable.
    text: str
    full_text: str
    attachments: tuple[Attachment, ...] = ()
    #: Why no person is behind it ("bounce", "auto_reply", "bulk"), or None.
    automatic: str | None = None
    defects: tuple[str, ...] = field(default=())

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this one answers, nearest first."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references))
        return tuple(dict.fromkeys(ids))


def _header(msg: Message, name: str) -> str:
    """A header as text, decoded from RFC 2047 words in any charset; '' when absent or beyond
    repair."""
    try:
        value = msg.get(name)
    except Exception:  # the modern policy's parser gave up on it: decode the raw words
        value = None
        raw = msg.get_all(name, failobj=[]) if hasattr(msg, "get_all") else []
        if raw:
            try:
                value = str(make_header(decode_header(str(raw[0]))))
            except Exception:
                value = str(raw[0])
    if value is None:
        return ""
    text = str(value)
    if "=?" in text:  # words the policy left encoded (bad charset names, broken folding)
        with contextlib.suppress(Exception):
            text = str(make_header(decode_header(text)))
    # no control characters (a NUL in an encoded word): PostgreSQL refuses them in text
    return " ".join("".join(ch for ch in text if unicodedata.category(ch) != "Cc").split())


def _ids(value: str) -> list[str]:
    found = _ID.findall(value)
    if found:
        return found
    bare = value.strip().strip("<>").strip()
    return [bare[:398]] if bare and " " not in bare else []


def address_of(value: str) -> tuple[str, str]:
    """(display name, address) of a From-like header; the address lower-cased."""
    name, address = parseaddr(value)
    return tidy(name), address.strip().lower()


def _decode(part: Message) -> str:
    """A text part's content in its declared charset; undeclared or unknown charsets are read
    as UTF-8 if they are, else as the declared one with replacements."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = (part.get_content_charset() or "").strip().lower() or None
    for candidate in (charset, "utf-8"):
        if candidate is None:
            continue
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode(charset if charset and _known(charset) else "utf-8", errors="replace")


def _known(charset: str | None) -> bool:
    if not charset:
        return False
    try:
        "".encode(charset)
    except LookupError:
        return False
    return True


def safe_filename(name: str, index: int, content_type: str) -> str:
    """A name that is only a name: no folders, no control or shell characters, not hidden,
    at most 100 characters with its extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = re.sub(r"[^\w .()+,-]", "_", name).strip(" .")
    if not name:
        subtype = content_type.split("/")[-1] if "/" in content_type else "bin"
        name = f"attachment-{index}.{re.sub(r'[^a-z0-9]', '', subtype.lower())[:8] or 'bin'}"
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 99 - len(ext)] + "." + ext) if dot and len(ext) <= 10 else name[:100]
    return name


def _automatic(msg: Message, sender: str, envelope_from: str | None) -> str | None:
    """RFC 3834 and the conventions around it: why this was not written by a person."""
    local = sender.split("@")[0]
    content_type = msg.get_content_type()
    if envelope_from == "" or _header(msg, "Return-Path").strip() == "<>":
        return "bounce"
    if local in _DAEMONS or content_type == "multipart/report":
        return "bounce"
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return "auto_reply"
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")):
        return "auto_reply"
    if _header(msg, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return "bulk"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "bulk"  # a mailing list or a newsletter
    if _header(msg, "X-Loop"):
        return "loop"
    if _AUTO_SUBJECT.match(_header(msg, "Subject")):
        return "auto_reply"
    return None


def _parts(msg: Message) -> tuple[str, str, list[Message]]:
    """(plain text, HTML, attachment parts) of a message, walking whatever structure it has."""
    plain, html, files = [], [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        has_name = bool(part.get_filename())
        if disposition == "attachment" or (has_name and content_type not in ("text/plain",)):
            files.append(part)
        elif content_type == "text/plain":
            plain.append(_decode(part))
        elif content_type == "text/html":
            html.append(_decode(part))
        elif content_type.startswith("message/") or content_type.startswith("text/"):
            continue
        else:
            files.append(part)
    return "\n\n".join(plain), "\n\n".join(html), files


def parse(raw: bytes, *, envelope_from: str | None = None, max_attachment: int) -> ParsedMail:
    try:
        msg = message_from_bytes(raw, policy=email_policy.default)
    except Exception as exc:  # the parser itself is lenient; this is not mail
        raise UnreadableMail(f"not a readable email: {exc}") from exc
    name, sender = address_of(_header(msg, "From"))
    if not sender:
        name, sender = address_of(_header(msg, "Sender") or _header(msg, "Reply-To"))
    author = sender  # who sent it (loops, bounces); answers go to Reply-To when it names someone
    reply_name, reply_to = address_of(_header(msg, "Reply-To"))
    if "@" in reply_to and reply_to != sender:  # a contact form mailing on a customer's behalf
        name, sender = reply_name or name, reply_to
    if "@" not in sender:
        raise UnreadableMail("the message names no sender")
    message_ids = _ids(_header(msg, "Message-ID"))
    message_id = message_ids[0] if message_ids else (
        f"tz-missing-{hashlib.sha256(raw).hexdigest()[:32]}@{sender.split('@')[1]}"
    )  # fmt: skip
    replied_to = _ids(_header(msg, "In-Reply-To"))
    plain, html, file_parts = _parts(msg)
    full = tidy(plain) if plain.strip() else html_to_text(html, quotes=True)
    own = own_words(full) if plain.strip() else own_words(html_to_text(html))
    attachments = []
    for index, part in enumerate(file_parts, start=1):
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        data = data if isinstance(data, bytes) else b""
        content_type = part.get_content_type()[:100]
        filename = safe_filename(_filename(part), index, content_type)
        kept = data if len(data) <= max_attachment else None
        attachments.append(Attachment(filename, content_type, len(data), kept))
    defects = [type(d).__name__ for part in msg.walk() for d in getattr(part, "defects", [])]
    to = tuple(a.lower() for _, a in getaddresses([_header(msg, "To"), _header(msg, "Cc")]) if a)
    return ParsedMail(
        message_id=message_id,
        from_address=sender,
        from_name=name,
        to_addresses=to,
        subject=_header(msg, "Subject")[:500],
        in_reply_to=replied_to[0] if replied_to else None,
        references=tuple(_ids(_header(msg, "References"))),
        text=own if full else "",
        full_text=full,
        attachments=tuple(attachments),
        automatic=_automatic(msg, author, envelope_from),
        defects=tuple(dict.fromkeys(defects)),
    )


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


def as_message(raw: bytes) -> EmailMessage:
    """A parsed message with the modern API (for tests and tools)."""
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert isinstance(msg, EmailMessage)
    return msg
