"""Schema version 7: each product's tokens, spend and price per step (``product_steps``).

A lab sells several products (Claude Opus, Sonnet and Haiku; Gemini Pro and Flash), each with
its own price; targets and summaries report by product as well as by lab. The new table holds
one row per run, step and product on sale: the product, the lab selling it, tokens served (all
developers and those outside China), what developers paid and the list price. It is a new table,
so runs stored before keep every row and simply have no product rows.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``product_steps`` with its ``run_id, step`` index and record version 7."""
    op.create_table(
        "product_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("product", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("tokens_global", sa.Float(), nullable=False),
        sa.Column("spend_usd", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
    )
    op.create_index("ix_product_steps_run_step", "product_steps", ["run_id", "step"])
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="7"))
