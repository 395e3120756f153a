"""the scheduler's jobs, and which ticket changes it has planned timers for

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierzero.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEHIND = "timers_version < version"


def upgrade() -> None:
    op.create_table(
        "scheduled_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(60), nullable=False),
        sa.Column("due_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("created_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", tierzero.db.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('pending','done','cancelled','failed')",
            name=op.f("ck_scheduled_jobs_status"),
        ),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_jobs_key")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_jobs")),
    )
    op.create_index("ix_scheduled_jobs_subject", "scheduled_jobs", ["subject"])
    op.create_index("ix_scheduled_jobs_due", "scheduled_jobs", ["status", "due_at"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("timers_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_tickets_timers_behind",
        "tickets",
        ["id"],
        sqlite_where=sa.text(_BEHIND),
        postgresql_where=sa.text(_BEHIND),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_timers_behind", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("timers_version")
    op.drop_table("scheduled_jobs")
