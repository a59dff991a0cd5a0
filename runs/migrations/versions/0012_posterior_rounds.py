"""Schema version 12: a posterior's later rounds (``sim calibrate --posterior --rounds``).

A posterior trained in rounds draws each later round's simulations from the prior truncated to
where the last round's posterior puts its mass. Those inputs come from a trained network, not
from a seeded generator alone, so they are stored before the round is simulated:
``posterior_proposals`` holds one row per planned simulation (its number, round and inputs), and
a killed round resumes with exactly the inputs it had. A new table: existing runs, calibrations
and posteriors stay as they were (a posterior without proposals is one round from the prior).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``posterior_proposals`` and record version 12."""
    op.create_table(
        "posterior_proposals",
        sa.Column(
            "calibration_id",
            sa.Integer(),
            sa.ForeignKey("calibrations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
    )
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="12"))
