"""Schema version 1: runs and their per-step history, as the store first shipped.

A store created before the migrations existed has exactly these tables (and ``store_meta``
saying version 1) but no ``alembic_version``; :mod:`runs.migrate` stamps it with this revision
before upgrading it. Frozen: later changes go into later revisions, never here. Revisions have
no downgrade: to go back, restore a copy of the database.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MARKET_METRICS = (
    "tokens_total",
    "tokens_global",
    "tokens_china",
    "tokens_demanded",
    "tokens_unserved",
    "cn_share",
    "cn_share_global",
    "cn_share_china",
    "cn_share_of_cn_us_global",
    "price_cn",
    "price_us",
    "price_eu",
    "price_avg",
    "revenue",
    "revenue_cn",
    "energy_kwh",
    "energy_kwh_cn",
    "value_added_per_kwh_cn",
    "value_added_per_kwh_west",
    "capacity",
    "utilisation",
    "capability_frontier",
    "capability_best_cn",
    "capability_best_us",
    "capability_gap",
    "hhi_global",
    "hhi_china",
    "developers_on_cn",
    "seized_units",
    "compute_us_legal",
    "compute_us_domestic",
    "compute_us_smuggled",
    "compute_us_remote",
    "compute_us",
    "compute_eu_legal",
    "compute_eu_domestic",
    "compute_eu_smuggled",
    "compute_eu_remote",
    "compute_eu",
    "compute_cn_legal",
    "compute_cn_domestic",
    "compute_cn_smuggled",
    "compute_cn_remote",
    "compute_cn",
)
PROVIDER_METRICS = (
    "demand",
    "served",
    "served_global",
    "capacity",
    "utilisation",
    "price",
    "markup",
    "latency_s",
    "revenue",
    "energy_kwh",
    "profit",
    "cash",
    "capex",
    "capability",
    "efficiency",
)
PROVIDER_COMPUTE = ("compute_legal", "compute_domestic", "compute_smuggled", "compute_remote")


def _step_keys() -> list[sa.Column]:
    """The columns every history table starts with: its own id, the run, the step, the month."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
    ]


def upgrade() -> None:
    """Create the version-1 tables and record the version in ``store_meta``."""
    store_meta = op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.bulk_insert(store_meta, [{"key": "schema_version", "value": "1"}])

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("seed", sa.String(40), nullable=False),
        sa.Column("steps_planned", sa.Integer(), nullable=False),
        sa.Column("steps_done", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("policies", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
    )
    op.create_index("ix_runs_name", "runs", ["name"])
    op.create_index("ix_runs_status", "runs", ["status"])

    op.create_table(
        "market_steps",
        *_step_keys(),
        *(sa.Column(name, sa.Float(), nullable=True) for name in MARKET_METRICS),
    )
    op.create_index("ix_market_steps_run_step", "market_steps", ["run_id", "step"], unique=True)

    op.create_table(
        "provider_steps",
        *_step_keys(),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in PROVIDER_METRICS),
        sa.Column("developers", sa.Integer(), nullable=False),
        sa.Column("share_global", sa.Float(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in PROVIDER_COMPUTE),
    )
    op.create_index("ix_provider_steps_run_step", "provider_steps", ["run_id", "step"])

    op.create_table(
        "segment_steps",
        *_step_keys(),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("segment", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("developers", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("demand", sa.Float(), nullable=False),
    )
    op.create_index("ix_segment_steps_run_step", "segment_steps", ["run_id", "step"])

    op.create_table(
        "policy_events",
        *_step_keys(),
        sa.Column("policy", sa.String(100), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
    )
    op.create_index("ix_policy_events_run", "policy_events", ["run_id", "step"])
