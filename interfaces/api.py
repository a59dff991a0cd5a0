"""The public Python API: simulate, sweep, validate and replay the market; read what was stored.

Everything a researcher (and the ``sim`` command, the dashboard and the notebooks) does goes
through these calls; they return pandas objects and frozen dataclasses. Runs are stored in a
run store: a SQLAlchemy URL or SQLite file given as ``db``, else ``$SIM_DB``, else ``runs.db``.
Example::

    from interfaces import api

    result = api.run("baseline", developers=2_000, steps=24)  # seed 1 unless told otherwise
    run = api.load_run(result.run_id)                  # history tables as DataFrames
    run.market_steps["cn_share_global"].plot()
    report = api.validate("baseline", seeds=3)         # seeds in parallel
    report.results                                     # one row per target
    store = api.open_store()                           # list, compare, export, delete ...

This module is the one import for all of it, and only gathers names: each call lives in the
module of :mod:`interfaces.public` that has its job (scenarios, databases, stored runs,
running, sweeps, policy effects, calibration, the store handle), so that code built on one
part (such as :mod:`interfaces.plot`) imports that part and never this module back. The model
core and the experiments layer are imported only by the calls that need them, so importing
this module (and ``sim runs list``) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from interfaces.public.calibration import (
    CalibrationResult,
    PosteriorResult,
    StoredTrial,
    calibrate,
    lab_revenue_markdown,
    load_posterior,
    posterior,
    validate,
)
from interfaces.public.databases import (
    DB_ENV_VAR,
    StoreCheck,
    StoreError,
    StoreUpgrade,
    check_store,
    db_where_started,
    mask_credentials,
    upgrade_store,
)
from interfaces.public.effects import effect_arms, policy_effects, posterior_effects
from interfaces.public.running import (
    DEFAULT_SEED,
    MAX_SEED,
    RANDOM_SEED,
    Replay,
    RunResult,
    SavedRun,
    replay,
    run,
    run_whole,
    version_changes,
)
from interfaces.public.scenarios import (
    ParameterInfo,
    Policy,
    PolicyInfo,
    Scenario,
    default_policy,
    default_run_name,
    policies,
    presets,
    scenario,
    scenario_notes,
    scenario_policies,
    scenario_text,
    setting_value,
)
from interfaces.public.store import EXPORT_FORMATS, Store, open_store
from interfaces.public.stored_runs import (
    DAMAGED,
    TOP_PRODUCTS,
    Comparison,
    RunDetails,
    StoredRun,
    compare,
    load_run,
    monthly_means,
    policy_key,
    step_label,
    t_interval,
    top_products,
)
from interfaces.public.sweeps import (
    Sensitivity,
    SweepResult,
    SweepResults,
    load_sweep,
    resume_sweep,
    sensitivity,
    sweep,
)
from simulator import __version__ as __version__
from vocabulary.errors import InputError

if TYPE_CHECKING:
    from experiments.calibration import CalibrationReport as CalibrationReport
    from experiments.posterior import PosteriorReport as PosteriorReport
    from experiments.replay import Difference as Difference
    from experiments.runner import RunInterrupted as RunInterrupted
    from experiments.sweep_analysis import Interval as Interval
    from experiments.sweep_coordinator import SweepInterrupted as SweepInterrupted
    from experiments.sweep_cost import SweepStart as SweepStart
    from experiments.validation_runs import ValidationInterrupted as ValidationInterrupted
    from experiments.validation_runs import ValidationReport as ValidationReport
    from interfaces.fan_chart import fan_figure as fan_figure
    from interfaces.fan_chart import save_fan as save_fan
    from interfaces.plot import check_image_path as check_image_path
    from interfaces.plot import history_figure as history_figure
    from simulator.metrics import StepRecord as StepRecord
    from simulator.model import TokenMarket as TokenMarket

__all__ = [
    # scenarios and policies (interfaces.public.scenarios)
    "ParameterInfo",
    "Policy",
    "PolicyInfo",
    "Scenario",
    "default_policy",
    "default_run_name",
    "policies",
    "presets",
    "scenario",
    "scenario_notes",
    "scenario_policies",
    "scenario_text",
    "setting_value",
    # the run store's database (interfaces.public.databases)
    "DB_ENV_VAR",
    "StoreCheck",
    "StoreError",
    "StoreUpgrade",
    "check_store",
    "db_where_started",
    "mask_credentials",
    "upgrade_store",
    # stored runs (interfaces.public.stored_runs)
    "DAMAGED",
    "TOP_PRODUCTS",
    "Comparison",
    "RunDetails",
    "StoredRun",
    "compare",
    "load_run",
    "monthly_means",
    "policy_key",
    "step_label",
    "t_interval",
    "top_products",
    # one run, and replays (interfaces.public.running)
    "DEFAULT_SEED",
    "MAX_SEED",
    "RANDOM_SEED",
    "Replay",
    "RunResult",
    "SavedRun",
    "replay",
    "run",
    "run_whole",
    "version_changes",
    # sweeps (interfaces.public.sweeps)
    "Sensitivity",
    "SweepResult",
    "SweepResults",
    "load_sweep",
    "resume_sweep",
    "sensitivity",
    "sweep",
    # validation and calibration (interfaces.public.calibration)
    "CalibrationResult",
    "PosteriorResult",
    "StoredTrial",
    "calibrate",
    "lab_revenue_markdown",
    "load_posterior",
    "posterior",
    "validate",
    # the policy-effects table (interfaces.public.effects)
    "effect_arms",
    "policy_effects",
    "posterior_effects",
    # the store handle (interfaces.public.store)
    "EXPORT_FORMATS",
    "Store",
    "open_store",
    # the package
    "InputError",
    "__version__",
]
"""The API's names, by the module of :mod:`interfaces.public` each comes from; the names of
:data:`_LAZY` are the API too."""

_LAZY = {
    "TokenMarket": ("simulator.model", "TokenMarket"),
    "StepRecord": ("simulator.metrics", "StepRecord"),
    "Difference": ("experiments.replay", "Difference"),
    "CalibrationReport": ("experiments.calibration", "CalibrationReport"),
    "PosteriorReport": ("experiments.posterior", "PosteriorReport"),
    "Interval": ("experiments.sweep_analysis", "Interval"),
    "ValidationReport": ("experiments.validation_runs", "ValidationReport"),
    "RunInterrupted": ("experiments.runner", "RunInterrupted"),
    "SweepInterrupted": ("experiments.sweep_coordinator", "SweepInterrupted"),
    "SweepStart": ("experiments.sweep_cost", "SweepStart"),
    "ValidationInterrupted": ("experiments.validation_runs", "ValidationInterrupted"),
    "SAMPLE_METHODS": ("experiments.sweep", "SAMPLE_METHODS"),
    "SWEEP_OUTCOMES": ("experiments.sweep_analysis", "OUTCOMES"),
    "EFFECT_ARMS": ("experiments.policy_effects", "ARM_IDS"),
    "EFFECT_OUTCOMES": ("experiments.policy_effects", "OUTCOMES"),
    "SECONDS_PER_STEP": ("experiments.sweep_cost", "SECONDS_PER_STEP"),
    "SECONDS_PER_DEVELOPER_STEP": ("experiments.sweep_cost", "SECONDS_PER_DEVELOPER_STEP"),
    "SECONDS_PER_RUN": ("experiments.sweep_cost", "SECONDS_PER_RUN"),
    "SWEEP_SETUP_SECONDS": ("experiments.sweep_cost", "SETUP_SECONDS"),
    "duration": ("experiments.sweep_cost", "duration"),
    "history_figure": ("interfaces.plot", "history_figure"),
    "fan_figure": ("interfaces.fan_chart", "fan_figure"),
    "save_fan": ("interfaces.fan_chart", "save_fan"),
    "check_image_path": ("interfaces.plot", "check_image_path"),
}
"""Names this module offers from the model and experiments layers, imported on first use
(PEP 562), so that reading runs never loads the model: ``api.TokenMarket`` (the Mesa model),
``api.StepRecord``, ``api.Difference``, ``api.Interval``, ``api.ValidationReport``, the
exceptions a stopped run, sweep or validation raises (``RunInterrupted``, ``SweepInterrupted``,
``ValidationInterrupted``: each has ``exit_status``), ``SAMPLE_METHODS`` (what ``sweep``'s
``sample`` takes), ``SWEEP_OUTCOMES`` (the outcomes ``load_sweep`` summarises), ``SweepStart``
(what ``sweep`` tells ``on_start``), ``SECONDS_PER_STEP``, ``SECONDS_PER_DEVELOPER_STEP``,
``SECONDS_PER_RUN`` and ``SWEEP_SETUP_SECONDS`` (the measured costs its time estimate
assumes), ``duration`` (seconds in the words the estimates use), ``EFFECT_ARMS`` and
``EFFECT_OUTCOMES`` (the comparisons ``policy_effects`` runs, by id, and what it measures),
``history_figure`` (the four-panel figure of ``sim plot``: shares, prices, compute,
Chinese channels; matplotlib is slow to import), and ``fan_figure`` and ``save_fan`` (the
fan charts of ``api.posterior_effects``' table: each comparison against the baseline, month by
month, as bands over the posterior's draws and the seeds), and ``check_image_path`` (whether
an image can be written there, before the work that makes it)."""


def __getattr__(name: str) -> Any:
    """The lazily imported names of :data:`_LAZY`."""
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = where
    return getattr(importlib.import_module(module), attribute)


def __dir__() -> list[str]:
    """The API's names: :data:`__all__` and the lazily imported ones."""
    return sorted({*__all__, *_LAZY})
