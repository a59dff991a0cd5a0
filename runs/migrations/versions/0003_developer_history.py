"""Schema version 3: opt-in per-developer history (``developer_steps``).

One row per developer and step for runs that ask for it (``sim run --developer-history``),
keyed by (run, step, developer) so a row can be neither lost nor doubled. Existing runs have
none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``developer_steps`` and record version 3."""
    op.create_table(
        "developer_steps",
        sa.Column("run_id", sa.Integer(), primary_key=True),  # no FK: see runs/schema.py
        sa.Column("step", sa.Integer(), primary_key=True),
        sa.Column("developer", sa.Integer(), primary_key=True),
        sa.Column("provider", sa.SmallInteger(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sqlite_with_rowid=False,
    )
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="3"))
