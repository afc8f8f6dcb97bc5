"""Progressive delivery: each prediction's role, and a shadow's primary request.

``predictions.role`` is ``primary`` (the answer of the version in the stage),
``canary`` (an answer served to a client by the canary version, in place of the
primary's) or ``shadow`` (the candidate's answer to a copy of a request, never
returned). Rows written before this revision were all served by the stage's
version: they become ``primary``. ``primary_request_id`` is, on a shadow record,
the request id of the primary answer it shadows (the shadow record keeps a request
id of its own: ``request_id`` stays unique); NULL on every other record.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a CHECK constraint to an existing table in place
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="primary"))
        batch.add_column(sa.Column("primary_request_id", sa.String(32), nullable=True))
        batch.create_check_constraint(
            "ck_predictions_role", "role IN ('primary', 'shadow', 'canary')"
        )
    op.create_index("ix_predictions_role", "predictions", ["role"])
    op.create_index("ix_predictions_primary_request_id", "predictions", ["primary_request_id"])


def downgrade() -> None:
    op.drop_index("ix_predictions_primary_request_id", table_name="predictions")
    op.drop_index("ix_predictions_role", table_name="predictions")
    with op.batch_alter_table("predictions") as batch:
        batch.drop_constraint("ck_predictions_role", type_="check")
        batch.drop_column("primary_request_id")
        batch.drop_column("role")
