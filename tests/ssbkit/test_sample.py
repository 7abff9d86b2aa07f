"""The sample-metadata model: validation, good and bad, and round-trips."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssbkit.errors import MetadataError
from ssbkit.sample import Sample

GOOD = {
    "id": "BTO5-LCO",
    "label": "LiCoO2 + 5 at% BaTiO3",
    "cathode": {"material": "LiCoO2", "active_mass_mg": 10.0, "loading_mg_cm2": 12.7},
    "coating": {"material": "BaTiO3", "amount": 5, "unit": "at%", "method": "sol-gel"},
    "electrolyte": {"material": "Li6PS5Cl"},
    "anode": {"material": "In-Li"},
    "cell": {"kind": "assb-pellet", "diameter_cm": 1.0, "thickness_cm": 0.06},
    "tags": ["demo"],
    "notes": "pressed at 370 MPa",
}


def test_good_sample_fields():
    sample = Sample.from_dict(GOOD)
    assert sample.coating.amount == 5.0
    assert sample.coating.unit == "at%"
    assert sample.anode.material == "In-Li"
    assert sample.tags == ("demo",)
    # area of a 1 cm disc: pi/4 cm2 (analytic)
    assert sample.cell.electrode_area_cm2 == pytest.approx(math.pi / 4)


@pytest.mark.parametrize(
    "path, value, key",
    [
        (("coating", "unit"), "mol%", "coating.unit"),
        (("coating", "amount"), -1.0, "coating.amount"),
        (("coating", "amount"), float("nan"), "coating.amount"),
        (("cathode", "material"), "LiXxO2", "cathode.material"),
        (("cathode", "active_mass_mg"), float("inf"), "cathode.active_mass_mg"),
        (("cell", "kind"), "pouch", "cell.kind"),
        (("cell", "thickness_cm"), -0.1, "cell.thickness_cm"),
        (("electrolyte", "material"), "", "electrolyte.material"),
    ],
)
def test_bad_entry_names_sample_and_key(path, value, key):
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    data[path[0]][path[1]] = value
    with pytest.raises(MetadataError) as info:
        Sample.from_dict(data)
    assert "BTO5-LCO" in str(info.value)
    assert key in str(info.value)


def test_unknown_key_is_refused():
    with pytest.raises(MetadataError, match="colour"):
        Sample(id="x", colour="blue")


def test_several_problems_reported_together():
    data = dict(GOOD, coating={"material": "BaTiO3", "amount": -2, "unit": "ppm"})
    with pytest.raises(MetadataError) as info:
        Sample.from_dict(data)
    keys = " ".join(info.value.problems)
    assert "coating.amount" in keys and "coating.unit" in keys


def test_round_trips():
    sample = Sample.from_dict(GOOD)
    assert Sample.from_dict(sample.to_dict()) == sample
    assert Sample.from_json(sample.to_json()) == sample
    assert Sample.from_toml(sample.to_toml()) == sample


def test_series_key_ignores_only_coating_and_names():
    bare = Sample.from_dict({**GOOD, "id": "LCO", "coating": None, "label": None})
    coated = Sample.from_dict(GOOD)
    assert bare.without_coating() == coated.without_coating()
    assert bare.coating_amount == 0.0 and coated.coating_amount == 5.0


@settings(max_examples=30, deadline=None)
@given(
    amount=st.floats(min_value=0, max_value=1e3, allow_nan=False),
    unit=st.sampled_from(["at%", "wt%", "nm"]),
    mass=st.one_of(st.none(), st.floats(min_value=0, max_value=1e4, allow_nan=False)),
)
def test_round_trip_property(amount, unit, mass):
    sample = Sample(
        id="s",
        cathode={"material": "LiCoO2", "active_mass_mg": mass},
        coating={"material": "BaTiO3", "amount": amount, "unit": unit},
    )
    assert Sample.from_toml(sample.to_toml()) == sample
