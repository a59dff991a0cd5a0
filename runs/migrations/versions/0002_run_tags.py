"""Schema version 2: runs carry tags (``["validation"]``, a sweep's label, a user's own).

Tags let ``sim validate`` mark its runs as validation runs and let users group runs without
encoding it in their names. Existing runs get no tags.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``runs.tags`` (a JSON list, empty for runs stored before) and record version 2."""
    op.add_column(
        "runs", sa.Column("tags", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="2"))
