"""Schema version 6: calibrations and their trials (``sim calibrate``).

``calibrations`` holds each calibration's name (unique), spec (scenario, targets, tuning space,
seeds, sampler seed), status, times and the process running it; ``calibration_trials`` one row
per trial with the values tried, the loss and each target's simulated value. Both are new
tables, so existing runs stay as they were.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``calibrations`` and ``calibration_trials`` and record version 6."""
    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
    )
    op.create_index("ix_calibrations_name", "calibrations", ["name"], unique=True)
    op.create_index("ix_calibrations_status", "calibrations", ["status"])
    op.create_table(
        "calibration_trials",
        sa.Column(
            "calibration_id",
            sa.Integer(),
            sa.ForeignKey("calibrations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("loss", sa.Float(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
    )
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="6"))
