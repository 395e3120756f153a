"""email: every message in and out (emails: threading headers, outbox state, rejected raw
messages), received attachments (email_attachments) and an index on customers.email

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierzero.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = tierzero.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_index(op.f("ix_customers_email"), "customers", ["email"])
    op.create_table(
        "emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("message_id", sa.String(length=400), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("message_seq", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("in_reply_to", sa.String(length=400), nullable=True),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _WHEN, nullable=True),
        sa.Column("sent_at", _WHEN, nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.CheckConstraint("direction in ('in','out')", name=op.f("ck_emails_direction")),
        sa.CheckConstraint(
            "status in ('processed','ignored','rejected','queued','sending','sent','failed',"
            "'bounced')",
            name=op.f("ck_emails_status"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_emails_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_emails_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_emails_message_id")),
    )
    op.create_index("ix_emails_conversation", "emails", ["conversation_id", "id"])
    op.create_index("ix_emails_outbox", "emails", ["status", "next_attempt_at"])
    op.create_index("ix_emails_sender", "emails", ["from_address", "created_at"])
    op.create_table(
        "email_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"], ["emails.id"], name=op.f("fk_email_attachments_email_id_emails")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_attachments")),
    )
    op.create_index(op.f("ix_email_attachments_email_id"), "email_attachments", ["email_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_email_attachments_email_id"), table_name="email_attachments")
    op.drop_table("email_attachments")
    op.drop_index("ix_emails_sender", table_name="emails")
    op.drop_index("ix_emails_outbox", table_name="emails")
    op.drop_index("ix_emails_conversation", table_name="emails")
    op.drop_table("emails")
    op.drop_index(op.f("ix_customers_email"), table_name="customers")
