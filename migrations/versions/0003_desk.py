"""the desk: ticket versions, reopenable conversations, offers, presence, event actors

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierzero.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status in ('assigned','queued','waiting_on_customer')"
PRIORITY_RANKS = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column("email_capacity", sa.Integer(), nullable=False, server_default="3")
        )
        batch.add_column(
            sa.Column("presence", sa.String(length=10), nullable=False, server_default="offline")
        )
        batch.add_column(
            sa.Column(
                "presence_changed_at",
                tierzero.db.UtcDateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        batch.add_column(
            sa.Column("last_offered_at", tierzero.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch.drop_constraint(op.f("ck_agents_role"), type_="check")
        batch.create_check_constraint("role", "role in ('agent','lead','editor','admin')")
        batch.create_check_constraint("presence", "presence in ('online','away','offline')")

    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("script", sa.String(length=4), nullable=True))

    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(op.f("uq_tickets_conversation_id"), type_="unique")
        batch.drop_index("ix_tickets_queue")
        batch.add_column(
            sa.Column("priority_rank", sa.Integer(), nullable=False, server_default="2")
        )
        batch.add_column(sa.Column("end_reason", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column("needs_lead", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("handoff_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("packet", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("assigned_at", tierzero.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch.create_check_constraint("priority", "priority in ('urgent','high','normal','low')")
        batch.create_index("ix_tickets_conversation_id", ["conversation_id"], unique=False)
        batch.create_index(
            "ix_tickets_queue", ["status", "tier", "priority_rank", "created_at"], unique=False
        )
    for name, rank in PRIORITY_RANKS.items():
        op.execute(sa.text(f"UPDATE tickets SET priority_rank = {rank} WHERE priority = '{name}'"))
    op.create_index(
        "uq_tickets_open_conversation",
        "tickets",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )

    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(
            sa.Column("actor", sa.String(length=10), nullable=False, server_default="system")
        )
        batch.add_column(sa.Column("from_status", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("to_status", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.create_check_constraint(
            "actor", "actor in ('system','bot','customer','agent','lead')"
        )
    # Events of the walking skeleton kept from/to in their data; claims and replies were agents'.
    op.execute(sa.text("UPDATE ticket_events SET actor = 'agent' WHERE agent_id IS NOT NULL"))

    op.create_table(
        "ticket_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", tierzero.db.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('pending','accepted','declined','expired','withdrawn')",
            name=op.f("ck_ticket_offers_status"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_ticket_offers_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_offers_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_offers")),
    )
    op.create_index("ix_ticket_offers_ticket_id", "ticket_offers", ["ticket_id"])
    op.create_index("ix_ticket_offers_agent_id", "ticket_offers", ["agent_id"])
    op.create_index(
        "uq_ticket_offers_pending",
        "ticket_offers",
        ["ticket_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("ticket_offers")
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_constraint(op.f("ck_ticket_events_actor"), type_="check")
        for column in ("reason", "to_status", "from_status", "actor"):
            batch.drop_column(column)
    op.drop_index("uq_tickets_open_conversation", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(op.f("ck_tickets_priority"), type_="check")
        batch.drop_index("ix_tickets_queue")
        batch.drop_index("ix_tickets_conversation_id")
        for column in (
            "assigned_at",
            "packet",
            "handoff_seq",
            "needs_lead",
            "version",
            "end_reason",
            "priority_rank",
        ):
            batch.drop_column(column)
        batch.create_index("ix_tickets_queue", ["status", "tier", "created_at"], unique=False)
        batch.create_unique_constraint("uq_tickets_conversation_id", ["conversation_id"])
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("script")
    with op.batch_alter_table("agents") as batch:
        batch.drop_constraint(op.f("ck_agents_presence"), type_="check")
        batch.drop_constraint(op.f("ck_agents_role"), type_="check")
        batch.create_check_constraint("role", "role in ('agent','editor','admin')")
        for column in ("last_offered_at", "presence_changed_at", "presence", "email_capacity"):
            batch.drop_column(column)
