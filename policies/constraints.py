"""The market's constraints for one step: the only channel through which policies act.

The model builds a fresh, unconstrained :class:`Constraints` every step, lets each active policy
tighten or loosen it, and then reads it in the chip market, the providers' capacity and the
developers' choice. Policies never touch agents, so a policy's whole effect can be seen here.
"""

from dataclasses import dataclass, field

from vocabulary.regions import JURISDICTIONS, SEGMENTS


@dataclass(frozen=True)
class Barring:
    """Developers of some regions and segments may not use some providers.

    A provider is barred by where it is (``jurisdictions``: API restrictions) or by where the
    models it serves were made (``made_in``: a ban on Chinese models whoever hosts them); a
    provider serving models of several origins is barred by origin only if all are barred.

    Attributes:
        developer_regions: regions whose developers are bound.
        jurisdictions: provider jurisdictions they may not use.
        share_by_segment: share of each segment's developers that is bound (already multiplied
            by the compliance level and the schedule's intensity).
        made_in: jurisdictions whose labs' models they may not use, whoever serves them.
    """

    developer_regions: frozenset[str]
    jurisdictions: frozenset[str]
    share_by_segment: dict[str, float]
    made_in: frozenset[str] = frozenset()

    def binds(self, developer_region: str, jurisdiction: str, origins: frozenset[str]) -> bool:
        """Whether it binds a region's developers on a provider of a jurisdiction.

        ``origins``: the jurisdictions of the labs whose models the provider serves.
        """
        return developer_region in self.developer_regions and (
            jurisdiction in self.jurisdictions or bool(origins) and origins <= self.made_in
        )


@dataclass
class Constraints:
    """What the market may do this step. Keys are jurisdictions of buyers or providers.

    Attributes:
        banned_tiers: export-control tiers (see ``vocabulary.regions.CONTROL_TIERS``) whose chips
            may not be sold legally to buyers of each jurisdiction.
        licensed_chips: chips sold to a jurisdiction's buyers under licence despite a ban, with
            the export fee (a share of the price, e.g. 0.15 for the H20's revenue share).
        remote_keep: share of rented foreign compute a jurisdiction's providers keep.
        smuggling_leakage: share of a jurisdiction's demand for banned chips that still arrives.
        smuggling_premium: price premium on smuggled chips (0.5 = +50%).
        smuggling_cap_per_year: most banned chips that can be smuggled in a year.
        seizure_rate: share of smuggled chips seized after they were paid for.
        barrings: API restrictions on developers.
        energy_multiplier: multiplier on providers' electricity prices.
        extra_lead_months: extra months before new chips serve (permitting, power).
        foreign_chip_refusal: share of its providers' purchases of foreign-made chips that a
            jurisdiction's own government steers to other chips (Beijing's measures).
        foreign_capacity_open: share of the foreign capacity for rent that host countries'
            rules leave open to a jurisdiction's providers (Malaysia's permits).
    """

    banned_tiers: dict[str, set[str]] = field(
        default_factory=lambda: {j: set() for j in JURISDICTIONS}
    )
    licensed_chips: dict[str, dict[str, float]] = field(
        default_factory=lambda: {j: {} for j in JURISDICTIONS}
    )
    remote_keep: dict[str, float] = field(default_factory=lambda: dict.fromkeys(JURISDICTIONS, 1.0))
    smuggling_leakage: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(JURISDICTIONS, 0.0)
    )
    smuggling_premium: float = 0.0
    smuggling_cap_per_year: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(JURISDICTIONS, 0.0)
    )
    seizure_rate: float = 0.0
    barrings: list[Barring] = field(default_factory=list)
    energy_multiplier: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(JURISDICTIONS, 1.0)
    )
    extra_lead_months: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(JURISDICTIONS, 0)
    )
    foreign_chip_refusal: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(JURISDICTIONS, 0.0)
    )
    foreign_capacity_open: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(JURISDICTIONS, 1.0)
    )

    def chip_banned(self, buyer: str, chip: str, control_tier: str) -> bool:
        """Whether ``chip`` (caught by ``control_tier``) may not be sold legally to ``buyer``."""
        return (
            bool(control_tier)
            and control_tier in self.banned_tiers[buyer]
            and chip not in self.licensed_chips[buyer]
        )

    def export_fee(self, buyer: str, chip: str) -> float:
        """Share of the price added as export fee on a chip licensed to ``buyer`` (0 if none)."""
        return self.licensed_chips[buyer].get(chip, 0.0)

    def barred_share(
        self,
        developer_region: str,
        segment: str,
        jurisdiction: str,
        origins: frozenset[str] = frozenset(),
    ) -> float:
        """Share of a region's segment that may not use a provider.

        Args:
            developer_region: where the developers are.
            segment: their segment.
            jurisdiction: where the provider is.
            origins: where the labs whose models the provider serves are (its own
                jurisdiction for a lab serving its own models).
        """
        assert segment in SEGMENTS
        kept = 1.0
        for barring in self.barrings:
            if barring.binds(developer_region, jurisdiction, origins):
                kept *= 1.0 - barring.share_by_segment.get(segment, 0.0)
        return 1.0 - kept
