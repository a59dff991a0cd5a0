"""Schema version 11: posteriors over the tuned inputs (``sim calibrate --posterior``).

A posterior is stored as a calibration (its spec's ``method`` is ``posterior``) whose trials are
its simulations from the prior. ``posterior_fits`` holds what its network was trained on (the
simulations used, those that failed), how (the method, epochs, training time, validation loss);
``posterior_draws`` one row per draw with each parameter's value. Both are new tables, so
existing runs and calibrations stay as they were.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``posterior_fits`` and ``posterior_draws`` and record version 11."""
    op.create_table(
        "posterior_fits",
        sa.Column(
            "calibration_id",
            sa.Integer(),
            sa.ForeignKey("calibrations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("simulations", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("epochs", sa.Integer(), nullable=False),
        sa.Column("train_seconds", sa.Float(), nullable=False),
        sa.Column("validation_loss", sa.Float(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "posterior_draws",
        sa.Column(
            "calibration_id",
            sa.Integer(),
            sa.ForeignKey("calibrations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("params", sa.JSON(), nullable=False),
    )
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="11"))
