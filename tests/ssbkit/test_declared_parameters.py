"""Declared section parameters: one declaration checks manifests, fills defaults and documents itself.

The ten-mistakes manifest is issue 13's acceptance: every mistake a user made
in a real study (with real instrument files from ../shared/data) is named by
``ssbkit validate`` with its manifest key, before any analysis runs.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from ssbkit.cli import main
from ssbkit.report.parameters import Param, check_parameters, coerce
from ssbkit.report.registry import registered_techniques, section_spec

SPEC = (
    Param("reference_cycle", "integer", "cycle taken as 100 %", minimum=1),
    Param("fade_model", "string", "model", default="linear", choices=("linear", "exponential")),
    Param("angle_mrad", "number", "an angle", "mrad", minimum=0, exclusive_minimum=True),
    Param("cycles", "integer_list", "cycles", minimum=1),
    Param("start_px", "number_list", "[y, x]", "px", length=2),
)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"refrence_cycle": 2}, "parameter 'refrence_cycle': unknown (did you mean 'reference_cycle'?)"),
        ({"reference_cycle": "two"}, "parameter 'reference_cycle': must be an integer, got 'two'"),
        ({"reference_cycle": 2.5}, "parameter 'reference_cycle': must be an integer, got 2.5"),
        ({"reference_cycle": 0}, "parameter 'reference_cycle': must be integer >= 1, got 0"),
        ({"fade_model": "quadratic"}, "must be one of 'linear', 'exponential', got 'quadratic'"),
        ({"angle_mrad": -10}, "parameter 'angle_mrad': must be number > 0, got -10"),
        ({"angle_mrad": 0}, "parameter 'angle_mrad': must be number > 0, got 0"),
        ({"angle_mrad": float("nan")}, "must be a finite number"),
        ({"angle_mrad": True}, "must be a finite number, got True"),
        ({"cycles": [1, "x"]}, "parameter 'cycles': must be an integer, got 'x'"),
        ({"start_px": [1, 2, 3]}, "must be a list of numbers of length 2"),
        ({"zzz": 1}, "parameter 'zzz': unknown (known: "),
    ],
)
def test_check_names_the_key_and_what_is_allowed(values, expected):
    typed, problems = check_parameters(SPEC, values)
    assert len(problems) == 1 and expected in problems[0]
    assert typed == {}


def test_check_types_valid_values():
    typed, problems = check_parameters(SPEC, {"reference_cycle": 2.0, "angle_mrad": 3, "cycles": 4,
                                              "start_px": [1, 2]})
    assert problems == []
    assert typed == {"reference_cycle": 2, "angle_mrad": 3.0, "cycles": [4], "start_px": [1.0, 2.0]}
    assert isinstance(typed["reference_cycle"], int) and isinstance(typed["angle_mrad"], float)


def test_a_bad_declaration_is_refused():
    with pytest.raises(ValueError, match="kind='float'"):
        Param("x", "float", "bad kind")
    with pytest.raises(ValueError):
        coerce(SPEC[1], 3)


def _subscripted_keys(func) -> set[str]:
    """Constant keys read as ``p["..."]`` / ``params["..."]`` / ``inp.parameters["..."]`` in ``func``'s module."""
    tree = ast.parse(inspect.getsource(inspect.getmodule(func)))
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            target = node.value
            if (isinstance(target, ast.Name) and target.id in ("p", "params")) or \
                    (isinstance(target, ast.Attribute) and target.attr == "parameters"):
                keys.add(node.slice.value)
    return keys


@pytest.mark.parametrize("technique", registered_techniques())
def test_every_parameter_a_section_reads_is_declared(technique):
    spec = section_spec(technique)
    declared = {p.name for p in spec.parameters}
    read = _subscripted_keys(spec.build.__wrapped__)
    assert read, f"{technique}: no parameter read found; the scan would pass vacuously"
    assert read <= declared, f"{technique} reads undeclared parameters {sorted(read - declared)}"


def test_params_command_prints_every_declaration(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    for technique in registered_techniques():
        assert f"[{technique}]" in out
        for param in section_spec(technique).parameters:
            assert f"  {param.name}" in out
    assert main(["params", "nope"]) == 1


def test_ten_mistakes_are_all_named_by_validate(tmp_path, shared_data, capsys):
    """Issue 13 acceptance: each of ten deliberate mistakes gives its own named problem."""
    cyc = shared_data / "echem/cycling/yadg__gcpl.mpr"
    xy = shared_data / "xrd/powerxrd_sample1.xy"
    eis = shared_data / "echem/eis/pyimpspec__data.mpt"
    prj = shared_data / "xas/P_CAMD.prj"
    lowloss = shared_data / "eels/exspy_lowloss_spectrum.msa"
    manifest = tmp_path / "study.toml"
    manifest.write_text(textwrap.dedent(f"""
        [study]
        name = "ten mistakes"

        [[samples]]
        id = "LCO"
        cathode = {{material = "LiCoO2", active_mass_mg = 8.0}}
        cell = {{kind = "assb-pellet", diameter_cm = 1.0}}

        [[measurements]]
        sample = "LCO"
        technique = "cycling"
        file = "{cyc}"
        label = "m1"
        [measurements.parameters]
        refrence_cycle = 2

        [[measurements]]
        sample = "LCO"
        technique = "cycling"
        file = "{cyc}"
        label = "m2"
        [measurements.parameters]
        reference_cycle = "two"
        fade_model = "quadratic"

        [[measurements]]
        sample = "LCO"
        technique = "eels"
        file = "{lowloss}"
        label = "m3"
        [measurements.parameters]
        collection_semiangle_mrad = -10

        [[measurements]]
        sample = "LCO"
        technique = "cycling"
        file = "{xy}"
        label = "m4"

        [[measurements]]
        sample = "LCO"
        technique = "eis"
        file = "{eis}"
        label = "m5"

        [[measurements]]
        sample = "LCO"
        technique = "xas"
        file = "{prj}"
        label = "m6"

        [[measurements]]
        sample = "LCO"
        technique = "xas"
        file = ["{prj}", "{prj}"]
        label = "m7"
        [measurements.parameters]
        group_before = "AlPO4"
        group_after = "no such group"

        [[measurements]]
        sample = "LCO"
        technique = "xrd"
        file = "{xy}"
        label = "m8"
        [measurements.parameters]
        candidates = ["LiMn2O4x"]

        [[measurements]]
        sample = "LCO"
        technique = "cycling"
        file = "{cyc}"
        label = "m9"
        [measurements.parameters]
        nominal_capacity_mah_g = 140
        """))
    assert main(["validate", str(manifest)]) == 1
    err = capsys.readouterr().err
    expected = [
        "(m1, sample LCO, cycling): parameter 'refrence_cycle': unknown (did you mean 'reference_cycle'?)",
        "(m2, sample LCO, cycling): parameter 'reference_cycle': must be an integer, got 'two'",
        "(m2, sample LCO, cycling): parameter 'fade_model': must be one of 'linear', 'exponential'",
        "(m3, sample LCO, eels): parameter 'collection_semiangle_mrad': must be number > 0, got -10",
        f"(m4, sample LCO, cycling): key 'file': cannot be analysed: FormatError: {xy}",
        "(m5, sample LCO, eis): parameter 'thickness_cm' [cm] is required",
        "(m6, sample LCO, xas): key 'file': xas needs 2 file(s)",
        "(m7, sample LCO, xas): parameter 'group_after': does not name one of the 15 groups",
        "(m8, sample LCO, xrd): parameter 'candidates': 'LiMn2O4x' is neither a built-in reference",
        "(m9, sample LCO, cycling): parameter 'nominal_capacity_mah_g': unknown",
    ]
    for text in expected:
        assert text in err, f"not named: {text}\n{err}"
    assert "10 problem(s)" in err
