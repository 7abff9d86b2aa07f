"""The samples of the demo study: the reference study's coating series and pellet."""

from __future__ import annotations

from ssbkit.sample import Sample

__all__ = ["DEMO_SAMPLES", "COATING_SERIES"]

#: Coating amounts of the BaTiO3 series, at% (0 is the bare cathode).
COATING_SERIES = {"LCO": 0.0, "BTO2-LCO": 2.0, "BTO5-LCO": 5.0, "BTO8-LCO": 8.0}

_CELL = {"kind": "assb-pellet", "diameter_cm": 1.0, "thickness_cm": 0.06}


def _cathode_sample(sample_id: str, amount: float) -> Sample:
    coating = None
    label = "bare LiCoO2"
    if amount > 0:
        coating = {"material": "BaTiO3", "amount": amount, "unit": "at%", "method": "sol-gel"}
        label = f"LiCoO2 + {amount:g} at% BaTiO3"
    return Sample(
        id=sample_id,
        label=label,
        cathode={"material": "LiCoO2", "active_mass_mg": 10.0},
        coating=coating,
        electrolyte={"material": "Li6PS5Cl"},
        anode={"material": "In-Li"},
        cell=_CELL,
        tags=("demo", "coating-series"),
    )


DEMO_SAMPLES: tuple[Sample, ...] = tuple(
    _cathode_sample(sid, amount) for sid, amount in COATING_SERIES.items()
) + (
    Sample(
        id="LPSCl",
        label="cold-pressed Li6PS5Cl pellet",
        electrolyte={"material": "Li6PS5Cl"},
        cell={"kind": "symmetric-pellet", "diameter_cm": 1.0, "thickness_cm": 0.1},
        tags=("demo", "electrolyte"),
    ),
)
