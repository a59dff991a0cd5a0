"""Schema version 4: sweeps, and which point, replicate and arm of a sweep each run is.

``sweeps`` holds each sweep's name (unique), full spec, the settings of its points, status,
times and the process running it; ``sweep_runs`` links a run to its sweep's task. Both are new
tables, so existing runs stay as they were: runs stored before belong to no sweep.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``sweeps`` and ``sweep_runs`` and record version 4."""
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
    )
    op.create_index("ix_sweeps_name", "sweeps", ["name"], unique=True)
    op.create_index("ix_sweeps_status", "sweeps", ["status"])
    op.create_table(
        "sweep_runs",
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "sweep_id", sa.Integer(), sa.ForeignKey("sweeps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("point", sa.Integer(), nullable=False),
        sa.Column("replicate", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(8), nullable=False),
    )
    op.create_index("ix_sweep_runs_task", "sweep_runs", ["sweep_id", "point", "replicate", "arm"])
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(store_meta.update().where(store_meta.c.key == "schema_version").values(value="4"))
