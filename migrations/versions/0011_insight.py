"""insight: every bot answer with its article version (bot_answers), agents' flags on answers
(answer_flags), the questions the bot could not answer (unanswered_questions), and an index for
reports on ticket_events (kind, created_at)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierzero.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = tierzero.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bot_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_seq", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("article_version", sa.Integer(), nullable=True),
        sa.Column("article_language", sa.String(length=8), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("verdict", sa.String(length=12), nullable=True),
        sa.Column("verdict_at", _WHEN, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "decision in ('answer','clarify','offer_person')", name=op.f("ck_bot_answers_decision")
        ),
        sa.CheckConstraint(
            "verdict is null or verdict in ('helpful','not_helpful')",
            name=op.f("ck_bot_answers_verdict"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["kb_articles.id"], name=op.f("fk_bot_answers_article_id_kb_articles")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_bot_answers_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_answers")),
    )
    op.create_index("ix_bot_answers_article", "bot_answers", ["article_id", "article_version"])
    op.create_index("ix_bot_answers_created_at", "bot_answers", ["created_at"])
    op.create_index(op.f("ix_bot_answers_conversation_id"), "bot_answers", ["conversation_id"])
    op.create_table(
        "answer_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_answer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "reason in ('incorrect','incomplete','outdated','wrong_language','other')",
            name=op.f("ck_answer_flags_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_answer_flags_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["bot_answer_id"],
            ["bot_answers.id"],
            name=op.f("fk_answer_flags_bot_answer_id_bot_answers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_flags")),
    )
    op.create_index(op.f("ix_answer_flags_bot_answer_id"), "answer_flags", ["bot_answer_id"])
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("bot_answer_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("applied_article_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "reason in ('abstained','low_confidence','unhelpful','handed_off','flagged')",
            name=op.f("ck_unanswered_questions_reason"),
        ),
        sa.CheckConstraint(
            "state in ('new','in_review','applied','discarded')",
            name=op.f("ck_unanswered_questions_state"),
        ),
        sa.ForeignKeyConstraint(
            ["applied_article_id"],
            ["kb_articles.id"],
            name=op.f("fk_unanswered_questions_applied_article_id_kb_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_unanswered_questions_article_id_kb_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["bot_answer_id"],
            ["bot_answers.id"],
            name=op.f("fk_unanswered_questions_bot_answer_id_bot_answers"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_unanswered_questions_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["agents.id"],
            name=op.f("fk_unanswered_questions_reviewed_by_agents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
        sa.UniqueConstraint("bot_answer_id", name=op.f("uq_unanswered_questions_bot_answer_id")),
    )
    op.create_index(
        op.f("ix_unanswered_questions_conversation_id"),
        "unanswered_questions",
        ["conversation_id"],
    )
    op.create_index(
        "ix_unanswered_questions_state_created", "unanswered_questions", ["state", "created_at"]
    )
    op.create_index("ix_ticket_events_kind_created_at", "ticket_events", ["kind", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_events_kind_created_at", table_name="ticket_events")
    op.drop_table("unanswered_questions")
    op.drop_table("answer_flags")
    op.drop_table("bot_answers")
