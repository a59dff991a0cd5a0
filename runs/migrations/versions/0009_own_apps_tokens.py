"""Schema version 9: the tokens of the labs' own consumer apps in China (``provider_steps``).

China's token count (the National Data Administration's) includes the labs' own apps (Doubao,
Qwen, Yuanbao, DeepSeek, Kimi), which load the same fleets but earn no API revenue (TARGETS.md
version 3, T11). Each provider row gains ``served_apps``: of its served tokens, those of its own
apps. Runs stored before have no such figure: NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the apps' tokens (NULL for runs stored before) and record version 9."""
    op.add_column("provider_steps", sa.Column("served_apps", sa.Float(), nullable=True))
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="9"))
