"""Schema version 8: what each provider bought, by channel, each step (``provider_steps``).

TARGETS.md version 3 tests the channels the policies act on: the Chinese-made share of the
accelerators Chinese providers bought (T14) and their purchases of licensed Nvidia chips in USD
(T15). Each provider row gains, for the legal, domestic and smuggled channels, the accelerators
its orders paid for and what they cost. Runs stored before have no such figures: NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = [
    f"bought_{channel}_{unit}"
    for channel in ("legal", "domestic", "smuggled")
    for unit in ("units", "usd")
]
"""The new columns, in table order (as :data:`vocabulary.metrics.PROVIDER_METRICS` lists them)."""


def upgrade() -> None:
    """Add the purchase columns (NULL for runs stored before) and record version 8."""
    for column in COLUMNS:
        op.add_column("provider_steps", sa.Column(column, sa.Float(), nullable=True))
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="8"))
