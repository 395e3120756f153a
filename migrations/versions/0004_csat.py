"""csat: the customer's rating of a resolved ticket

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierzero.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("csat_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("csat_comment", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("csat_at", tierzero.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch.create_check_constraint(
            "csat_score", "csat_score is null or (csat_score between 1 and 5)"
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(op.f("ck_tickets_csat_score"), type_="check")
        for column in ("csat_at", "csat_comment", "csat_score"):
            batch.drop_column(column)
