"""sms send ledger

Revision ID: 5e2b7d91c0a4
Revises: f4968776e28b
Create Date: 2026-12-01 16:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5e2b7d91c0a4"
down_revision: str | None = "f4968776e28b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Each message is claimed here before the gateway is called (readmodels/notifications/sends.py).
    op.create_table(
        "sms_sends",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("claim", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="notifications",
    )


def downgrade() -> None:
    op.drop_table("sms_sends", schema="notifications")
