"""The fixed vocabularies of the model: developer regions, segments, work, jurisdictions, channels.

They index arrays everywhere (a developer's region is an ``int8`` into ``DEV_REGIONS``), so they
are tuples, fixed for the life of the package.
"""

from typing import Literal

DEV_REGIONS: tuple[str, ...] = ("US", "EU", "CN", "ROW")
"""Where developers are. ``CN`` is China's domestic market; the others are "global platforms"."""

SEGMENTS: tuple[str, ...] = ("indie", "startup", "enterprise", "government")

WORK: tuple[str, ...] = ("general", "programming")
"""What a developer's tokens are for. Programming work can prefer other labs (its share of
developers follows a dated path; ``choice.programming_share``)."""

GROUPS = len(SEGMENTS) * len(WORK)
"""Buyer groups, segment x work (group ``s * len(WORK) + w``): developers who buy the same mix of
a lab's products (``simulator.product_choice``)."""

JURISDICTIONS: tuple[str, ...] = ("US", "EU", "CN")
"""Where providers are headquartered and host their compute."""

CHANNELS: tuple[str, ...] = ("legal", "domestic", "smuggled", "remote")
"""How an accelerator reached a provider: bought legally, made at home, smuggled, or rented."""

CONTROL_TIERS: tuple[str, ...] = ("2022-10", "2023-10", "2025-04")
"""The US export-control steps on chips for China, named by the month they took effect."""

CHINA = DEV_REGIONS.index("CN")

DevRegion = Literal[DEV_REGIONS]  # type: ignore[valid-type]
"""A developer region, as a pydantic field type (its error lists the allowed values)."""
Jurisdiction = Literal[JURISDICTIONS]  # type: ignore[valid-type]
"""A provider jurisdiction, as a pydantic field type."""
Segment = Literal[SEGMENTS]  # type: ignore[valid-type]
"""A developer segment, as a pydantic field type."""
