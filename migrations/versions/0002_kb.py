"""kb: articles, translations, immutable versions, answer events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:28:18.903550
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierzero.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
        sa.UniqueConstraint("key", name=op.f("uq_kb_articles_key")),
    )
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_articles_category"), ["category"], unique=False)

    op.create_table(
        "kb_article_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("published_at", tierzero.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'published' OR published_version IS NOT NULL",
            name=op.f("ck_kb_article_translations_published_has_version"),
        ),
        sa.CheckConstraint(
            "status in ('draft','published','archived')",
            name=op.f("ck_kb_article_translations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_article_translations_article_id_kb_articles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_translations")),
        sa.UniqueConstraint("article_id", "language", name="uq_kb_article_translations_lang"),
    )
    with op.batch_alter_table("kb_article_translations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kb_article_translations_status_language", ["status", "language"], unique=False
        )

    op.create_table(
        "kb_answer_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('shown','helpful','not_helpful','handoff_after')",
            name=op.f("ck_kb_answer_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_answer_events_article_id_kb_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_kb_answer_events_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_answer_events")),
    )
    with op.batch_alter_table("kb_answer_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kb_answer_events_article_kind", ["article_id", "kind"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kb_answer_events_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index("ix_kb_answer_events_created_at", ["created_at"], unique=False)

    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("translation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", tierzero.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agents.id"], name=op.f("fk_kb_article_versions_author_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["translation_id"],
            ["kb_article_translations.id"],
            name=op.f("fk_kb_article_versions_translation_id_kb_article_translations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_versions")),
        sa.UniqueConstraint("translation_id", "number", name="uq_kb_article_versions_number"),
    )
    with op.batch_alter_table("kb_article_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kb_article_versions_author_id"), ["author_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("kb_article_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_article_versions_author_id"))

    op.drop_table("kb_article_versions")
    with op.batch_alter_table("kb_answer_events", schema=None) as batch_op:
        batch_op.drop_index("ix_kb_answer_events_created_at")
        batch_op.drop_index(batch_op.f("ix_kb_answer_events_conversation_id"))
        batch_op.drop_index("ix_kb_answer_events_article_kind")

    op.drop_table("kb_answer_events")
    with op.batch_alter_table("kb_article_translations", schema=None) as batch_op:
        batch_op.drop_index("ix_kb_article_translations_status_language")

    op.drop_table("kb_article_translations")
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_articles_category"))

    op.drop_table("kb_articles")
