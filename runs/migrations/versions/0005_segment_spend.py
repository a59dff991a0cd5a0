"""Schema version 5: what each region x segment x provider cell paid (``segment_steps.spend_usd``).

Shares of spend (the calibration target T9, enterprise API spend by lab) need what each
population paid each provider, which with several products per lab can no longer be recomputed
from the lab's one price. Runs stored before have no such figure: their ``spend_usd`` is NULL,
and a target on spend says it cannot be measured on them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``segment_steps.spend_usd`` (USD per month, NULL for runs stored before); version 5."""
    op.add_column("segment_steps", sa.Column("spend_usd", sa.Float(), nullable=True))
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="5"))
