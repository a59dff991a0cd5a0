"""Schema version 10: tokens counted by who made the model as well as by who serves it.

Hosts (router hosts, cloud marketplaces) serve Chinese labs' open-weight models from their own
fleets abroad (docs/sources.md section 16). TARGETS.md counts T1-T10 by the lab that made the
model; the policies act on who serves it. ``market_steps`` gains ``cn_model_share`` and
``cn_model_share_global`` (Chinese-made models' shares, whoever serves them) and
``segment_steps`` gains ``hosted_cn_tokens`` (Chinese-made models' tokens a provider outside
China served); ``product_steps`` gains ``author``, the lab that made the product (the
``provider`` sells it). Runs stored before have no such figures: NULL (their rosters had no
hosts, so their ``cn_share`` columns already count by who made the model).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the by-author columns (NULL for runs stored before) and record version 10."""
    op.add_column("market_steps", sa.Column("cn_model_share", sa.Float(), nullable=True))
    op.add_column("market_steps", sa.Column("cn_model_share_global", sa.Float(), nullable=True))
    op.add_column("segment_steps", sa.Column("hosted_cn_tokens", sa.Float(), nullable=True))
    op.add_column("product_steps", sa.Column("author", sa.String(100), nullable=True))
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="10"))
