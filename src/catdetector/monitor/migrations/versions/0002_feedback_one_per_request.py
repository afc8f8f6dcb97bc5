"""One feedback label per request: a unique index on ``feedback.request_id``.

Logs written before this revision may hold two labels for one request (the old
check-then-insert lost races). The later ones move to ``feedback_duplicates`` (same
columns), so the unique index can be built and nothing is deleted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LATER = (
    "SELECT f.id FROM feedback f WHERE EXISTS (SELECT 1 FROM feedback g "
    "WHERE g.request_id = f.request_id AND g.id < f.id)"
)


def upgrade() -> None:
    op.create_table(
        "feedback_duplicates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.execute(
        "INSERT INTO feedback_duplicates (id, request_id, label, source, created_at) "
        f"SELECT id, request_id, label, source, created_at FROM feedback WHERE id IN ({_LATER})"
    )
    op.execute("DELETE FROM feedback WHERE id IN (SELECT id FROM feedback_duplicates)")
    op.drop_index("ix_feedback_request_id", table_name="feedback")
    op.create_index("ix_feedback_request_id", "feedback", ["request_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_feedback_request_id", table_name="feedback")
    op.create_index("ix_feedback_request_id", "feedback", ["request_id"])
    op.execute(
        "INSERT INTO feedback (id, request_id, label, source, created_at) "
        "SELECT id, request_id, label, source, created_at FROM feedback_duplicates"
    )
    op.drop_table("feedback_duplicates")
