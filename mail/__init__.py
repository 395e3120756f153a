"""Email, the desk's second channel: mail in (the SMTP listener, an IMAP mailbox), parsed into
the same conversations and tickets as chats, and replies out through a persistent outbox.

- ``parse``: bytes → what the desk needs (sender, thread headers, readable text, attachments)
- ``text``: HTML to text, quoted replies and signatures cut off
- ``inbound``: one received message → the conversation flow (dedupe, loops, threading, bot)
- ``outbound``: which desk messages go out by mail, composed with threading headers
- ``outbox``: sending with retries and backoff, visible to agents
- ``listener`` / ``imap``: where mail comes from
"""
