"""A study manifest (TOML) turned into validated samples and measurements.

A manifest has a ``[study]`` table (``name``, optional ``description``),
``[[samples]]`` tables (the :class:`ssbkit.sample.Sample` model) and
``[[measurements]]`` tables with ``sample``, ``technique``, ``file`` (a path
relative to the manifest, or a list of them), optional ``label`` and an
optional ``[measurements.parameters]`` table. Every problem of a manifest is
collected and reported together in one :class:`ssbkit.errors.MetadataError`.

Examples
--------
>>> study = Study.load("study.toml")                      # doctest: +SKIP
>>> [m.label for m in study.measurements(technique="eis")]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ssbkit.errors import MetadataError
from ssbkit.sample import Sample

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["TECHNIQUES", "FileRecord", "Measurement", "Study", "file_record", "fill_parameters"]

#: The techniques a measurement can name.
TECHNIQUES = ("eis", "cycling", "iv", "xrd", "xas", "eels", "dpc")

_MEASUREMENT_KEYS = {"sample", "technique", "file", "label", "parameters"}
_STUDY_KEYS = {"name", "description"}


@dataclass(frozen=True)
class FileRecord:
    """Provenance of one measurement file.

    Parameters
    ----------
    path : Path
        Absolute path.
    sha256 : str
        Hex SHA-256 digest of the file's bytes.
    size_bytes : int
        File size in bytes.
    """

    path: Path
    sha256: str
    size_bytes: int


def file_record(path: Path) -> FileRecord:
    """Hash ``path`` (read only, in 1 MiB blocks) and return its :class:`FileRecord`."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return FileRecord(path=path, sha256=digest.hexdigest(), size_bytes=path.stat().st_size)


def fill_parameters(sample: Sample, parameters: Mapping[str, Any]) -> dict:
    """A measurement's parameters with gaps filled from its sample's metadata.

    Fills ``thickness_cm`` and ``area_cm2`` (from the cell) and
    ``active_mass_mg`` (from the cathode) when ``parameters`` does not give
    them; the measurement's own values always win. This is how the study
    layer unpacks the sample model into the plain arguments of a technique.

    Parameters
    ----------
    sample : Sample
        The measured sample.
    parameters : Mapping
        The manifest's ``[measurements.parameters]`` table.

    Returns
    -------
    dict
    """
    filled: dict[str, Any] = {}
    if sample.cell is not None:
        if sample.cell.thickness_cm is not None:
            filled["thickness_cm"] = sample.cell.thickness_cm
        if sample.cell.electrode_area_cm2 is not None:
            filled["area_cm2"] = sample.cell.electrode_area_cm2
    if sample.cathode is not None and sample.cathode.active_mass_mg is not None:
        filled["active_mass_mg"] = sample.cathode.active_mass_mg
    filled.update(parameters)
    return filled


@dataclass(frozen=True)
class Measurement:
    """One measurement of a study.

    Parameters
    ----------
    sample_id : str
        Id of the sample it belongs to.
    technique : str
        One of :data:`TECHNIQUES`.
    label : str
        Unique label within the study.
    files : tuple of FileRecord
        Its files with provenance, in manifest order.
    parameters : Mapping
        The manifest's parameters table (read-only).
    """

    sample_id: str
    technique: str
    label: str
    files: tuple[FileRecord, ...]
    parameters: Mapping[str, Any]

    @property
    def paths(self) -> tuple[Path, ...]:
        """The absolute paths of the measurement's files."""
        return tuple(record.path for record in self.files)


def _read_manifest(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MetadataError(f"{path}: manifest not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{path}: manifest cannot be read ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MetadataError(f"{path}: manifest is not valid TOML ({exc})") from None


class _Problems(list):
    """Problems of a manifest, collected so that all are reported together."""

    def raise_if_any(self, path: Path) -> None:
        if self:
            listing = "\n".join(f"  - {problem}" for problem in self)
            raise MetadataError(
                f"{path}: {len(self)} problem(s) in the manifest:\n{listing}", problems=list(self)
            )


def _check_study_table(data: dict, problems: _Problems) -> dict:
    table = data.get("study")
    if not isinstance(table, dict):
        problems.append("key 'study': missing [study] table")
        return {}
    if not isinstance(table.get("name"), str) or not table["name"].strip():
        problems.append("key 'study.name': missing or not a non-empty string")
    for key in sorted(set(table) - _STUDY_KEYS):
        problems.append(f"key 'study.{key}': unknown key (allowed: {sorted(_STUDY_KEYS)})")
    return table


def _load_samples(data: dict, problems: _Problems) -> dict[str, Sample]:
    samples: dict[str, Sample] = {}
    tables = data.get("samples", [])
    if not isinstance(tables, list) or not tables:
        problems.append("key 'samples': at least one [[samples]] table is required")
        return samples
    for index, table in enumerate(tables):
        try:
            sample = Sample.from_dict(table)
        except MetadataError as exc:
            problems.extend(f"samples[{index}]: {problem}" for problem in exc.problems)
            continue
        if sample.id in samples:
            problems.append(f"samples[{index}]: key 'id': duplicate sample id {sample.id!r}")
            continue
        samples[sample.id] = sample
    return samples


def _measurement_files(value: Any, where: str, base: Path, problems: _Problems) -> list[Path]:
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(name, str) and name for name in names):
        problems.append(f"{where}: key 'file': must be a path or a non-empty list of paths")
        return []
    paths = []
    for name in names:
        path = (base / name).resolve()
        if not path.is_file():
            problems.append(f"{where}: key 'file': file not found: {path}")
        paths.append(path)
    return paths


def _load_measurements(
    data: dict, base: Path, samples: dict[str, Sample], problems: _Problems
) -> list[Measurement]:
    measurements: list[Measurement] = []
    labels: set[str] = set()
    tables = data.get("measurements", [])
    if not isinstance(tables, list):
        problems.append("key 'measurements': must be an array of [[measurements]] tables")
        return measurements
    for index, table in enumerate(tables):
        where = f"measurements[{index}]"
        before = len(problems)
        for key in ("sample", "technique", "file"):
            if key not in table:
                problems.append(f"{where}: key {key!r}: missing")
        for key in sorted(set(table) - _MEASUREMENT_KEYS):
            problems.append(f"{where}: key {key!r}: unknown key (allowed: {sorted(_MEASUREMENT_KEYS)})")
        sample_id = table.get("sample")
        if "sample" in table and sample_id not in samples:
            problems.append(f"{where}: key 'sample': unknown sample id {sample_id!r}")
        technique = table.get("technique")
        if "technique" in table and technique not in TECHNIQUES:
            problems.append(
                f"{where}: key 'technique': unknown technique {technique!r} (allowed: {', '.join(TECHNIQUES)})"
            )
        paths = _measurement_files(table["file"], where, base, problems) if "file" in table else []
        parameters = table.get("parameters", {})
        if not isinstance(parameters, dict):
            problems.append(f"{where}: key 'parameters': must be a table")
        label = table.get("label") or f"{sample_id}-{technique}-{index + 1}"
        if label in labels:
            problems.append(f"{where}: key 'label': duplicate label {label!r}")
        labels.add(label)
        if len(problems) > before:
            continue
        measurements.append(
            Measurement(
                sample_id=sample_id,
                technique=technique,
                label=str(label),
                files=tuple(file_record(path) for path in paths),
                parameters=MappingProxyType(dict(parameters)),
            )
        )
    return measurements


@dataclass(frozen=True)
class Study:
    """A validated study: samples, measurements and where the manifest lies.

    Build one with :meth:`Study.load`.

    Parameters
    ----------
    name : str
        The study's name.
    description : str
        Free text.
    manifest : Path
        Absolute path of the manifest.
    samples : tuple of Sample
        In manifest order.
    all_measurements : tuple of Measurement
        In manifest order.
    """

    name: str
    description: str
    manifest: Path
    samples: tuple[Sample, ...]
    all_measurements: tuple[Measurement, ...]

    @classmethod
    def load(cls, path) -> "Study":
        """Read and validate a TOML manifest.

        Parameters
        ----------
        path : str or Path
            The manifest; ``file`` entries are relative to its folder.

        Returns
        -------
        Study

        Raises
        ------
        ssbkit.errors.MetadataError
            Listing every problem found (``.problems``), each naming its key.
        """
        path = Path(path).resolve()
        data = _read_manifest(path)
        problems = _Problems()
        table = _check_study_table(data, problems)
        for key in sorted(set(data) - {"study", "samples", "measurements"}):
            problems.append(f"key {key!r}: unknown top-level key")
        samples = _load_samples(data, problems)
        measurements = _load_measurements(data, path.parent, samples, problems)
        problems.raise_if_any(path)
        return cls(
            name=table["name"],
            description=table.get("description", ""),
            manifest=path,
            samples=tuple(samples.values()),
            all_measurements=tuple(measurements),
        )

    def sample(self, sample_id: str) -> Sample:
        """The sample with id ``sample_id`` (KeyError when there is none)."""
        for sample in self.samples:
            if sample.id == sample_id:
                return sample
        raise KeyError(sample_id)

    def measurements(self, sample: str | None = None, technique: str | None = None) -> tuple[Measurement, ...]:
        """Measurements, optionally only of one sample id and/or one technique."""
        if technique is not None and technique not in TECHNIQUES:
            raise ValueError(f"technique={technique!r} is not one of {TECHNIQUES}")
        return tuple(
            m
            for m in self.all_measurements
            if (sample is None or m.sample_id == sample) and (technique is None or m.technique == technique)
        )

    def coating_series(self) -> tuple[tuple[Sample, ...], ...]:
        """Groups of two or more samples that differ only in their coating.

        Each group is sorted by coating amount (the uncoated sample first),
        e.g. ``(LCO, BTO2-LCO, BTO5-LCO, BTO8-LCO)``. Coated members must
        share the coating material and unit.
        """
        groups: dict[str, list[Sample]] = {}
        for sample in self.samples:
            groups.setdefault(repr(sorted(sample.without_coating().items())), []).append(sample)
        series = []
        for members in groups.values():
            bare = [s for s in members if s.coating is None]
            kinds = sorted({(s.coating.material, s.coating.unit) for s in members if s.coating})
            for kind in kinds:
                coated = [s for s in members if s.coating and (s.coating.material, s.coating.unit) == kind]
                if len(bare) + len(coated) >= 2:
                    series.append(tuple(sorted(bare + coated, key=lambda s: s.coating_amount)))
        return tuple(series)

    def _repr_html_(self) -> str:
        import pandas as pd

        rows = [
            {"sample": m.sample_id, "technique": m.technique, "label": m.label, "files": len(m.files)}
            for m in self.all_measurements
        ]
        table = pd.DataFrame(rows, columns=["sample", "technique", "label", "files"])
        return f"<h3>{self.name}</h3><p>{len(self.samples)} samples</p>" + table.to_html(index=False)

    def measurement_parameters(self, measurement: Measurement) -> dict:
        """The measurement's parameters, with gaps filled from its sample (:func:`fill_parameters`)."""
        return fill_parameters(self.sample(measurement.sample_id), measurement.parameters)
