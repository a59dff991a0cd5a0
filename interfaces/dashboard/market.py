"""The model the dashboard drives: TokenMarket set up from the levers, keeping its history.

Mesa's model controller builds the model from keyword arguments named like the page's controls and
rebuilds it on Reset, so :class:`DashboardMarket` takes the levers flat (one argument per control)
and turns them into a scenario. Besides the live history it offers the baseline's: the ``baseline``
preset with the same population, horizon and seed, simulated once and cached, so the charts can draw
the whole baseline curve from the first month on.
"""

from functools import cached_property, lru_cache

from interfaces import api
from interfaces.dashboard.history import History
from interfaces.dashboard.levers import (
    BASELINE,
    BASELINE_LEVERS,
    BASELINE_SCENARIO,
    DEFAULT_DEVELOPERS,
    DEFAULT_SEED,
    DEFAULT_STEPS,
    Levers,
    parse_tiers,
)
from interfaces.dashboard.network_view import NETWORK_LIMIT, NetworkSample, sample_network

LIVE_LABEL = "this run"
BASELINE_LABEL = "baseline preset"


class DashboardMarket(api.TokenMarket):
    """The token market under the dashboard's levers, with its history and the baseline's.

    Args:
        export_ban, ban_tiers, licences, smuggling, smuggling_leakage, remote_access,
            remote_access_enforcement, cn_electricity: the levers (see
            :class:`~interfaces.dashboard.levers.Levers`); ``ban_tiers`` as the page's choice
            text, e.g. ``"2022-10, 2023-10"``. Each defaults to the baseline preset's setting.
        developers: population size.
        steps: months to simulate.
        seed: the run's seed.

    Raises:
        InputError: for a lever value the model does not accept.
    """

    def __init__(
        self,
        *,
        export_ban: bool = BASELINE_LEVERS.export_ban,
        ban_tiers: str = ", ".join(BASELINE_LEVERS.ban_tiers),
        licences: bool = BASELINE_LEVERS.licences,
        smuggling: bool = BASELINE_LEVERS.smuggling,
        smuggling_leakage: float = BASELINE_LEVERS.smuggling_leakage,
        remote_access: bool = BASELINE_LEVERS.remote_access,
        remote_access_enforcement: float = BASELINE_LEVERS.remote_access_enforcement,
        cn_electricity: float = BASELINE_LEVERS.cn_electricity,
        developers: int = DEFAULT_DEVELOPERS,
        steps: int = DEFAULT_STEPS,
        seed: int = DEFAULT_SEED,
    ) -> None:
        self.levers = Levers(
            export_ban=export_ban,
            ban_tiers=parse_tiers(ban_tiers),
            licences=licences,
            smuggling=smuggling,
            smuggling_leakage=smuggling_leakage,
            remote_access=remote_access,
            remote_access_enforcement=remote_access_enforcement,
            cn_electricity=cn_electricity,
        )
        super().__init__(self.levers.scenario(int(developers), int(steps)), seed=int(seed))
        self.records: list[api.StepRecord] = []
        self._history = History.from_records(LIVE_LABEL, [])

    def step(self) -> None:
        """Advance one month and keep its record for the charts."""
        super().step()
        self.records.append(self.last_record)

    def history(self) -> History:
        """This run's months so far (built once per step: every chart asks for it)."""
        if len(self._history.market) != len(self.records):
            self._history = History.from_records(LIVE_LABEL, self.records)
        return self._history

    @property
    def baseline(self) -> History:
        """The baseline preset's whole run with this population, horizon and seed."""
        return baseline_history(self.scenario.developers, self.horizon, self.seed)

    @cached_property
    def network_sample(self) -> NetworkSample | None:
        """The part of the developer network the page draws; None above NETWORK_LIMIT."""
        if self.developers.size > NETWORK_LIMIT:
            return None
        return sample_network(self.developers.adjacency, self.seed)

    def command(self) -> str | None:
        """The ``sim run`` command giving this run, or None if there is none."""
        return self.levers.command(self.scenario.developers, self.horizon, self.seed)

    def run_name(self) -> str:
        """The name a saved run gets: what differs from the baseline."""
        return "dashboard: " + (", ".join(self.levers.changes()) or BASELINE)


@lru_cache(maxsize=16)
def baseline_history(developers: int, steps: int, seed: int) -> History:
    """The ``baseline`` preset simulated with this population, horizon and seed (cached)."""
    scenario = api.scenario(BASELINE_SCENARIO, developers=developers, steps=steps)
    model = api.TokenMarket(scenario, seed=seed)
    records = []
    while model.running:
        model.step()
        records.append(model.last_record)
    return History.from_records(BASELINE_LABEL, records)


def save_run(model: DashboardMarket, db: str | None = None) -> api.SavedRun:
    """Store the dashboard's run as ``sim run`` would: the same scenario and seed, all months.

    The run is simulated again from its scenario and seed and stored whole
    (:func:`api.run_whole`), so its stored history and digest are those of the equivalent
    ``sim run`` however far the page had stepped, and a store another process keeps locked
    gets nothing of it rather than a run left "running" half-way. It is tagged ``dashboard``.

    Args:
        model: the dashboard's model.
        db: SQLAlchemy URL or SQLite file; ``$SIM_DB`` or ``runs.db`` when None.

    Raises:
        api.StoreError: the store cannot be opened or written (nothing of the run is stored),
            in one line saying why.
    """
    return api.run_whole(
        model.scenario, seed=model.seed, name=model.run_name(), tags=("dashboard",), db=db
    )
