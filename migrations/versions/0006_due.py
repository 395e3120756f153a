"""the next deadline of a ticket, for sorting queues by it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierzero.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("due_at", tierzero.db.UtcDateTime(timezone=True), nullable=True))
        batch.create_index("ix_tickets_due", ["status", "tier", "due_at"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_due")
        batch.drop_column("due_at")
