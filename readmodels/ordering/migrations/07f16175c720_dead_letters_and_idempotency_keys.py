"""dead letters and idempotency keys

Revision ID: 07f16175c720
Revises: d93914dd5609
Create Date: 2026-12-01 09:28:43.538835
"""

from __future__ import annotations

from collections.abc import Sequence

from readmodels.shared.migration_ops import (
    create_dead_letters_and_idempotency_keys,
    drop_dead_letters_and_idempotency_keys,
)

revision: str = "07f16175c720"
down_revision: str | None = "d93914dd5609"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The tables every service keeps beside its read models (readmodels/shared/service_tables.py): events a
    # projection parked, and the first answer to each Idempotency-Key.
    create_dead_letters_and_idempotency_keys("ordering")


def downgrade() -> None:
    drop_dead_letters_and_idempotency_keys("ordering")
