"""The embedded demo study: generated deterministically from physical models.

:func:`write_demo_study` writes the manifest and every technique's raw files;
the ``ssbkit demo`` command then analyses them through the public API.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import tomli_w

from ssbkit.demo.samples import COATING_SERIES, DEMO_SAMPLES

__all__ = ["write_demo_study", "demo_section_input", "COATING_SERIES", "DEMO_SAMPLES", "MANIFEST_NAME"]

MANIFEST_NAME = "study.toml"


def _generators():
    from ssbkit.demo import generators

    for info in sorted(pkgutil.iter_modules(generators.__path__), key=lambda i: i.name):
        yield importlib.import_module(f"{generators.__name__}.{info.name}")


def write_demo_study(directory, *, seed: int = 0) -> Path:
    """Write the demo study (manifest and raw files) into ``directory``.

    Parameters
    ----------
    directory : str or Path
        Target folder; created if missing. Files already there with the same
        names are overwritten, nothing else is touched.
    seed : int
        Seed of every random draw; the same seed gives the same files.

    Returns
    -------
    Path
        Path of the written manifest (``study.toml``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    measurements = []
    for module in _generators():
        measurements.extend(module.generate(directory, seed=seed))
    manifest = {
        "study": {
            "name": "LiCoO2 / Li6PS5Cl space-charge layer (demo)",
            "description": (
                "Generated demo of an in-situ DPC-STEM study of the LiCoO2/Li6PS5Cl "
                "interface with and without a BaTiO3 coating (2, 5, 8 at%)."
            ),
        },
        "samples": [sample.to_dict() for sample in DEMO_SAMPLES],
        "measurements": measurements,
    }
    path = directory / MANIFEST_NAME
    path.write_text(tomli_w.dumps(manifest), encoding="utf-8")
    return path


def demo_section_input(directory, table: dict, figure_dir):
    """The report's input for one generated measurement, without writing a manifest.

    This is what the study layer would hand the technique's section builder
    for ``table`` (with the raw parameters, which the builder resolves against
    the section's declaration and the sample) (one of a generator's returned manifest tables), so that a
    technique's demo data can be analysed on its own.

    Parameters
    ----------
    directory : str or Path
        The folder the generator wrote into.
    table : dict
        One manifest measurement table returned by a generator.
    figure_dir : str or Path
        Where the section writes its figures.

    Returns
    -------
    ssbkit.report.registry.SectionInput
    """
    from ssbkit.report.registry import SectionInput, figure_prefix

    directory = Path(directory)
    sample = next(s for s in DEMO_SAMPLES if s.id == table["sample"])
    files = table["file"] if isinstance(table["file"], list) else [table["file"]]
    return SectionInput(
        files=tuple(directory / name for name in files),
        parameters=dict(table.get("parameters", {})),
        sample=sample,
        label=table["label"],
        figure_dir=Path(figure_dir),
        figure_prefix=figure_prefix(table["label"]),
    )
