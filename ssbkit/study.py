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

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ssbkit._shared.limits import regular_file, sha256_file
from ssbkit.errors import FormatError, MetadataError
from ssbkit.sample import Sample

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["FileRecord", "Measurement", "Study", "file_record", "techniques"]


def techniques() -> tuple[str, ...]:
    """The techniques a measurement can name: those with a registered report section."""
    from ssbkit.report.registry import registered_techniques

    return registered_techniques()

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
    """Hash ``path`` (read only, in chunks: memory independent of its size) and return its :class:`FileRecord`.

    Raises
    ------
    ssbkit.errors.FormatError
        For a missing file, a directory, a FIFO or device, or a read error.
    """
    return FileRecord(path=path, sha256=sha256_file(path), size_bytes=regular_file(path).stat().st_size)


@dataclass(frozen=True)
class Measurement:
    """One measurement of a study.

    Parameters
    ----------
    sample_id : str
        Id of the sample it belongs to.
    technique : str
        One of :func:`techniques`.
    label : str
        Unique label within the study.
    files : tuple of FileRecord
        Its files with provenance, in manifest order.
    parameters : Mapping
        The manifest's parameters table as written (read-only).
    index : int
        Position in the manifest's ``[[measurements]]`` array (0-based).
    """

    sample_id: str
    technique: str
    label: str
    files: tuple[FileRecord, ...]
    parameters: Mapping[str, Any]
    index: int = 0

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
        if not isinstance(table, dict):
            problems.append(f"samples[{index}]: must be a table, got {table!r:.60}")
            continue
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
        try:
            path = (base / name).resolve()
            regular_file(path)
        except FormatError as exc:  # (a ValueError too: caught first)
            reason = "file not found" if str(exc).endswith("no such file") else "not a readable file"
            problems.append(f"{where}: key 'file': {reason}: {exc}")
        except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte, a name too long
            problems.append(f"{where}: key 'file': {name!r:.200} cannot be resolved ({exc})")
            continue
        paths.append(path)
    return paths


def _measurement_table(table: Any, index: int, base: Path, samples: dict[str, Sample], known: tuple[str, ...],
                       problems: _Problems):
    """The checked pieces of one [[measurements]] table, or None when it has problems."""
    where = f"measurements[{index}]"
    if not isinstance(table, dict):
        problems.append(f"{where}: must be a table with keys sample, technique, file, got {table!r:.60}")
        return None
    before = len(problems)
    for key in ("sample", "technique", "file"):
        if key not in table:
            problems.append(f"{where}: key {key!r}: missing")
    for key in sorted(map(str, set(table) - _MEASUREMENT_KEYS)):
        problems.append(f"{where}: key {key!r}: unknown key (allowed: {sorted(_MEASUREMENT_KEYS)})")
    sample_id, technique = table.get("sample"), table.get("technique")
    if "sample" in table and (not isinstance(sample_id, str) or sample_id not in samples):
        problems.append(f"{where}: key 'sample': unknown sample id {sample_id!r:.60} (known: {', '.join(samples)})")
    if "technique" in table and (not isinstance(technique, str) or technique not in known):
        problems.append(f"{where}: key 'technique': unknown technique {technique!r:.60} (allowed: {', '.join(known)})")
    paths = _measurement_files(table["file"], where, base, problems) if "file" in table else []
    parameters = table.get("parameters", {})
    if not isinstance(parameters, dict):
        problems.append(f"{where}: key 'parameters': must be a table")
    label = table.get("label", f"{sample_id}-{technique}-{index + 1}")
    if not isinstance(label, str) or not label.strip():
        problems.append(f"{where}: key 'label': must be a non-empty string, got {label!r:.60}")
    if len(problems) > before:
        return None
    return sample_id, technique, label, paths, parameters


def _load_measurements(
    data: dict, base: Path, samples: dict[str, Sample], problems: _Problems
) -> list[Measurement]:
    measurements: list[Measurement] = []
    labels: set[str] = set()
    tables = data.get("measurements", [])
    if not isinstance(tables, list):
        problems.append("key 'measurements': must be an array of [[measurements]] tables")
        return measurements
    known = techniques()
    for index, table in enumerate(tables):
        checked = _measurement_table(table, index, base, samples, known, problems)
        if checked is None:
            continue
        sample_id, technique, label, paths, parameters = checked
        if label in labels:
            problems.append(f"measurements[{index}]: key 'label': duplicate label {label!r}")
            continue
        labels.add(label)
        try:
            files = tuple(file_record(path) for path in paths)
        except FormatError as exc:
            problems.append(f"measurements[{index}]: key 'file': cannot be read ({exc})")
            continue
        measurements.append(Measurement(sample_id=sample_id, technique=technique, label=label, files=files,
                                        parameters=MappingProxyType(dict(parameters)), index=index))
    return measurements


def _other_techniques(counts: Counter, measurement: Measurement) -> list[str]:
    """Techniques of the other measurements of ``measurement``'s sample (``counts``: per sample and technique),
    whose results may still fill its parameters (see ``Param.from_measurement``)."""
    return sorted(technique for (sample_id, technique), n in counts.items()
                  if sample_id == measurement.sample_id and (technique != measurement.technique or n > 1))


def _check_measurements(measurements: list[Measurement], samples: dict[str, Sample], problems: _Problems,
                        *, read_files: bool) -> None:
    """Check every measurement's parameters against its section's declaration, and optionally its files."""
    from ssbkit.report.registry import section_spec

    counts = Counter((m.sample_id, m.technique) for m in measurements)
    for m in measurements:
        spec = section_spec(m.technique)
        where = f"measurements[{m.index}] ({m.label}, sample {m.sample_id}, {m.technique})"
        values, _, found = spec.problems(m.parameters, samples[m.sample_id], m.paths,
                                         pending=_other_techniques(counts, m))
        problems.extend(f"{where}: {problem}" for problem in found)
        if found or not read_files or spec.probe is None:
            continue
        try:
            spec.probe(m.paths, values)
        except MetadataError as exc:  # a parameter the file does not make up for: the message names the key
            problems.append(f"{where}: {exc}")
        except Exception as exc:  # every reader failure is a problem of this measurement, not a crash
            problems.append(f"{where}: key 'file': cannot be analysed: {type(exc).__name__}: {exc}")


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
    def load(cls, path, *, read_files: bool = False, strict: bool = True) -> "Study":
        """Read and validate a TOML manifest.

        Every measurement's parameters are checked against its technique's
        declaration (unknown keys with the closest known name, types, ranges,
        required values that neither the manifest, the sample nor another
        measurement of the sample gives; see ``ssbkit params``).

        Parameters
        ----------
        path : str or Path
            The manifest; ``file`` entries are relative to its folder.
        read_files : bool
            Also open every measurement's files with its technique's readers
            (what ``ssbkit validate`` does), so that a file of another
            technique, an unreadable file or a missing Athena group is found
            now rather than at report time.
        strict : bool
            False: a problem that concerns one measurement only (its parameters
            or its files) does not stop the load; that measurement's analysis
            then fails with the same message, and the rest of the study is
            analysed (what ``ssbkit report`` does, so one bad sample does not
            cost the whole report). Problems of the manifest itself always raise.

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
        own = _Problems()
        _check_measurements(measurements, samples, own, read_files=read_files)
        if strict:
            problems.extend(own)
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
        if technique is not None and technique not in techniques():
            raise ValueError(f"technique={technique!r} is not one of {techniques()}")
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

    def parameters(self, measurement: Measurement) -> tuple[dict, dict]:
        """The measurement's parameters as its report section will use them, and where each came from.

        Every declared parameter of the technique (``ssbkit params``) is
        present: the manifest's value, else what the sample implies, else the
        default (None where the section decides from the file). A value that
        another measurement of the sample provides (e.g. a DPC thickness from
        EELS) is filled in when the study is analysed.

        Returns
        -------
        values : dict
        origins : dict
            ``"manifest"``, ``"sample"``, ``"default"`` or ``"measurement (…)"`` per parameter.
        """
        from ssbkit.report.registry import section_spec

        counts = Counter((m.sample_id, m.technique) for m in self.all_measurements)
        values, origins, _ = section_spec(measurement.technique).resolve(
            measurement.parameters, self.sample(measurement.sample_id), pending=_other_techniques(counts, measurement))
        return values, origins
