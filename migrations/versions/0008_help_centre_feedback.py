"""where a KB answer event happened (bot or help centre) and the help-centre reader who voted

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_answer_events") as batch:
        batch.add_column(sa.Column("source", sa.String(12), nullable=False, server_default="bot"))
        batch.add_column(sa.Column("visitor", sa.String(64), nullable=True))
        batch.create_check_constraint(
            op.f("ck_kb_answer_events_source"), "source in ('bot','help_centre')"
        )
        batch.create_index("ix_kb_answer_events_visitor", ["article_id", "visitor"])


def downgrade() -> None:
    with op.batch_alter_table("kb_answer_events") as batch:
        batch.drop_index("ix_kb_answer_events_visitor")
        batch.drop_constraint(op.f("ck_kb_answer_events_source"), type_="check")
        batch.drop_column("visitor")
        batch.drop_column("source")
