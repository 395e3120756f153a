"""canned responses; KB articles promoted from a ticket

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierzero.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["agents.id"], name=op.f("fk_canned_responses_created_by_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_responses")),
        sa.UniqueConstraint("title", "language", name="uq_canned_responses_title"),
    )
    with op.batch_alter_table("kb_articles") as batch:
        batch.add_column(sa.Column("source_ticket_id", sa.Integer(), nullable=True))
        batch.create_index("ix_kb_articles_source_ticket_id", ["source_ticket_id"])


def downgrade() -> None:
    with op.batch_alter_table("kb_articles") as batch:
        batch.drop_index("ix_kb_articles_source_ticket_id")
        batch.drop_column("source_ticket_id")
    op.drop_table("canned_responses")
