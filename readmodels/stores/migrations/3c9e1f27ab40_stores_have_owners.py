"""stores have owners

Revision ID: 3c9e1f27ab40
Revises: efbe88eafed1
Create Date: 2026-12-01 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c9e1f27ab40"
down_revision: str | None = "efbe88eafed1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The subject of the store owner's token (api.access checks it). Stores made before owners existed have
    # none (""): only operators act on them.
    op.add_column("stores", sa.Column("owner", sa.String(), nullable=False, server_default=""), schema="stores")
    op.create_index("ix_stores_stores_owner", "stores", ["owner"], unique=False, schema="stores")


def downgrade() -> None:
    op.drop_index("ix_stores_stores_owner", table_name="stores", schema="stores")
    op.drop_column("stores", "owner", schema="stores")
