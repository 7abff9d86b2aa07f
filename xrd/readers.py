"""Readers of powder-pattern files: one registry, by extension and by content.

Formats (each proven on a real file in ``../shared/data/xrd``):

========  =========================================  ==========================================
format    extensions                                 wavelength
========  =========================================  ==========================================
xy        .xy .xye .dat .txt .csv                    from a ``# wavelength ...`` header line, else assumed Cu Ka
xrdml     .xrdml (PANalytical XRDML 1.x/2.x)         ``usedWavelength`` (Ka1, Ka2, ratio)
ras       .ras (Rigaku, Shift-JIS header)            ``HW_XG_WAVE_LENGTH_ALPHA1/2``
rasx      .rasx (Rigaku SmartLab zip)                ``WavelengthKalpha1/2`` of the conditions XML
gsas      .gsa .gsas .xra .raw* .fxye .cwn           title ``... 1.909A ...`` when stated, else assumed
brml      .brml (Bruker DIFFRAC.SUITE zip)           ``WaveLengthAlpha1/2``, ``WaveLengthRatio``
========  =========================================  ==========================================

``*`` a ``.raw`` file is read as GSAS when its first lines hold a ``BANK`` record;
Bruker's binary RAW is refused with a :class:`~ssbkit.errors.FormatError`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from ssbkit.errors import FormatError
from xrd.pattern import Pattern, make_pattern

__all__ = ["FORMATS", "read_pattern"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _read_text(path: Path, encoding: str = "utf-8") -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise FormatError("binary content where a text file was expected", path=path, offset=raw.index(b"\x00"))
    return raw.decode(encoding, errors="replace").lstrip("\ufeff")


def _numeric_rows(lines, path, *, first_line=1, min_cols=2):
    """Parse rows of numbers separated by whitespace, comma or semicolon."""
    rows = []
    for number, line in enumerate(lines, start=first_line):
        text = line.strip()
        if not text:
            continue
        fields = re.split(r"[\s,;]+", text)
        try:
            values = [float(f) for f in fields if f]
        except ValueError:
            raise FormatError(f"non-numeric data {text[:40]!r}", path=path, line=number) from None
        if len(values) < min_cols:
            raise FormatError(f"expected at least {min_cols} columns, found {len(values)}", path=path, line=number)
        rows.append(values[:3])
    if not rows:
        raise FormatError("no numeric data found", path=path)
    width = min(len(r) for r in rows)
    return np.array([r[:width] for r in rows], dtype=float)


def _read_xy(path: Path) -> Pattern:
    lines = _read_text(path).splitlines()
    header, start = [], 0
    for start, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        if text[0] in "#!;%" or re.match(rf"^\s*{_NUMBER}[\s,;]+{_NUMBER}", text) is None:
            header.append(text.lstrip("#!;% "))
            continue
        break
    else:
        raise FormatError("no numeric data found", path=path)
    data = _numeric_rows(lines[start:], path, first_line=start + 1)
    wavelengths = {}
    for text in header:
        match = re.match(rf"(?i)(wavelength2?|lambda2?|kalpha2_ratio)\w*\s*[:=]?\s*({_NUMBER})", text)
        if match:
            key = match.group(1).lower().replace("lambda", "wavelength")
            wavelengths[key] = float(match.group(2))
    sigma = data[:, 2] if data.shape[1] >= 3 else None
    return make_pattern(
        data[:, 0], data[:, 1], source=path, sigma=sigma,
        wavelength_angstrom=wavelengths.get("wavelength"),
        wavelength2_angstrom=wavelengths.get("wavelength2"),
        kalpha2_ratio=wavelengths.get("kalpha2_ratio"),
        metadata={"format": "xy", "header": header[:20]},
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element, name):
    for child in element.iter():
        if _local(child.tag) == name:
            return child
    return None


def _parse_xml(data: bytes, path: Path):
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line = exc.position[0]
        raise FormatError(f"broken XML ({exc.msg if hasattr(exc, 'msg') else exc})", path=path, line=line) from None


def _read_xrdml(path: Path) -> Pattern:
    root = _parse_xml(path.read_bytes(), path)
    if _local(root.tag) != "xrdMeasurements":
        raise FormatError(f"root element is <{_local(root.tag)}>, expected <xrdMeasurements>", path=path)
    wave = _find(root, "usedWavelength")
    k1 = k2 = ratio = None
    if wave is not None:
        for child in wave:
            name = _local(child.tag)
            if name == "kAlpha1":
                k1 = float(child.text)
            elif name == "kAlpha2":
                k2 = float(child.text)
            elif name == "ratioKAlpha2KAlpha1":
                ratio = float(child.text)
    scans = [e for e in root.iter() if _local(e.tag) == "dataPoints"]
    if not scans:
        raise FormatError("no <dataPoints> element", path=path)
    points = scans[0]
    counts = _find(points, "counts")
    if counts is None:
        counts = _find(points, "intensities")
    if counts is None or not (counts.text or "").strip():
        raise FormatError("no <counts> or <intensities> in the first <dataPoints>", path=path)
    try:
        y = np.array(counts.text.split(), dtype=float)
    except ValueError:
        raise FormatError("non-numeric <counts>", path=path) from None
    x = None
    for positions in points:
        if _local(positions.tag) == "positions" and positions.get("axis") == "2Theta":
            listed = _find(positions, "listPositions")
            if listed is not None:
                x = np.array(listed.text.split(), dtype=float)
            else:
                start, end = _find(positions, "startPosition"), _find(positions, "endPosition")
                if start is None or end is None:
                    raise FormatError("2Theta <positions> without start/end", path=path)
                x = np.linspace(float(start.text), float(end.text), y.size)
    if x is None:
        raise FormatError("no 2Theta <positions> in the first <dataPoints>", path=path)
    time = _find(points, "commonCountingTime")
    sample = _find(root, "id")
    metadata = {
        "format": "xrdml",
        "sample_id": (sample.text or "") if sample is not None else "",
        "counting_time_s": float(time.text) if time is not None else float("nan"),
        "n_scans": len(scans),
        "counts_unit": counts.get("unit", "counts"),
    }
    return make_pattern(x, y, source=path, wavelength_angstrom=k1, wavelength2_angstrom=k2,
                        kalpha2_ratio=ratio if ratio is not None else (0.5 if k2 else None),
                        metadata=metadata)


def _read_ras(path: Path) -> Pattern:
    text = path.read_bytes().decode("shift_jis", errors="replace")
    if "*RAS_DATA_START" not in text[:200]:
        raise FormatError("missing *RAS_DATA_START: not a Rigaku RAS file", path=path, line=1)
    lines = text.splitlines()
    header, start, end = {}, None, None
    for number, line in enumerate(lines):
        if line.startswith("*RAS_INT_START"):
            start = number + 1
        elif line.startswith("*RAS_INT_END"):
            end = number
            break
        elif start is None and line.startswith("*"):
            key, _, value = line[1:].partition(" ")
            header[key] = value.strip().strip('"')
    if start is None or end is None:
        raise FormatError("no complete *RAS_INT_START ... *RAS_INT_END block (truncated file?)", path=path,
                          line=len(lines))
    data = _numeric_rows(lines[start:end], path, first_line=start + 1)
    y = data[:, 1] * (data[:, 2] if data.shape[1] >= 3 else 1.0)

    def number(key):
        try:
            return float(header[key])
        except (KeyError, ValueError):
            return None

    k1, k2 = number("HW_XG_WAVE_LENGTH_ALPHA1"), number("HW_XG_WAVE_LENGTH_ALPHA2")
    metadata = {"format": "ras", "target": header.get("HW_XG_TARGET_NAME", ""),
                "sample": header.get("FILE_SAMPLE", "").strip(), "y_unit": header.get("DISP_UNIT_Y", "")}
    return make_pattern(data[:, 0], y, source=path, wavelength_angstrom=k1, wavelength2_angstrom=k2,
                        kalpha2_ratio=0.5 if k2 else None, metadata=metadata)


def _read_rasx(path: Path) -> Pattern:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            profile = next((n for n in names if re.search(r"Profile\d*\.txt$", n)), None)
            conditions = next((n for n in names if "Conditions" in n and n.endswith(".xml")), None)
            if profile is None:
                raise FormatError(f"no Data*/Profile*.txt in the archive (found {names[:5]})", path=path)
            profile_text = archive.read(profile).decode("utf-8", errors="replace").lstrip("\ufeff")
            condition_xml = archive.read(conditions) if conditions else None
    except zipfile.BadZipFile:
        raise FormatError("not a zip archive: a .rasx file is a zip of profile and condition files", path=path) from None
    data = _numeric_rows(profile_text.splitlines(), f"{path}:{profile}")
    y = data[:, 1] * (data[:, 2] if data.shape[1] >= 3 else 1.0)
    k1 = k2 = None
    if condition_xml is not None:
        root = _parse_xml(condition_xml, path)
        for name in ("WavelengthKalpha1", "WavelengthKalpha2"):
            element = _find(root, name)
            if element is not None and (element.text or "").strip():
                if name.endswith("1"):
                    k1 = float(element.text)
                else:
                    k2 = float(element.text)
    return make_pattern(data[:, 0], y, source=path, wavelength_angstrom=k1, wavelength2_angstrom=k2,
                        kalpha2_ratio=0.5 if k2 else None, metadata={"format": "rasx", "profile": profile})


def _read_gsas(path: Path) -> Pattern:
    lines = _read_text(path, "latin-1").splitlines()
    bank = next((i for i, line in enumerate(lines[:50]) if line.startswith("BANK")), None)
    if bank is None:
        raise FormatError("no BANK record in the first 50 lines: not a GSAS powder data file", path=path)
    title = lines[0].strip() if bank > 0 else ""
    fields = lines[bank].split()
    try:
        n_channels = int(fields[2])
        bintype = fields[4].upper()
        coeffs = [float(v) for v in fields[5:7]]
    except (IndexError, ValueError):
        raise FormatError(f"cannot parse BANK record {lines[bank].strip()!r}", path=path, line=bank + 1) from None
    kind = fields[-1].upper() if fields[-1].upper() in ("STD", "ESD", "ALT", "FXY", "FXYE") else "STD"
    body = lines[bank + 1:]
    if bintype == "CONST" and kind in ("STD", "ESD"):
        values = []
        width = 8
        for number, line in enumerate(body, start=bank + 2):
            if line.startswith("BANK"):
                break
            line = line.rstrip()
            for start in range(0, len(line), width):
                field = line[start:start + width]
                if not field.strip():
                    continue
                try:
                    if kind == "STD":
                        n_count = int(field[:2]) if field[:2].strip() else 1
                        values.append((float(field[2:]), max(n_count, 1)))
                    else:
                        values.append((float(field), 0))
                except ValueError:
                    raise FormatError(f"bad count field {field!r}", path=path, line=number) from None
        arr = np.array(values, dtype=float)
        if kind == "STD":
            y = arr[:, 0]
            sigma = np.sqrt(np.maximum(y, 1.0) / arr[:, 1])
        else:
            y, sigma = arr[0::2, 0], arr[1::2, 0]
        if y.size < n_channels:
            raise FormatError(f"BANK declares {n_channels} channels, file holds {y.size} (truncated?)", path=path,
                              line=len(lines))
        y, sigma = y[:n_channels], sigma[:n_channels]
        x = (coeffs[0] + coeffs[1] * np.arange(n_channels)) / 100.0
    elif kind in ("FXY", "FXYE", "ALT") or bintype in ("FXY", "FXYE"):
        data = _numeric_rows([l for l in body if not l.startswith("BANK")], path, first_line=bank + 2)
        x = data[:, 0] / 100.0
        y = data[:, 1]
        sigma = data[:, 2] if data.shape[1] >= 3 else None
    else:
        raise FormatError(f"GSAS bin type {bintype} / {kind} is not supported (CONST STD/ESD, FXYE)", path=path,
                          line=bank + 1)
    wavelength = re.search(rf"({_NUMBER})\s*(?:A|Ang|angstrom)\b", title)
    metadata = {"format": "gsas", "title": title, "bank": lines[bank].strip(),
                "radiation": "neutron" if "neutron" in title.lower() else "x-ray"}
    if wavelength:
        metadata["wavelength_from"] = "title"
        return make_pattern(x, y, source=path, sigma=sigma, wavelength_angstrom=float(wavelength.group(1)),
                            metadata=metadata)
    return make_pattern(x, y, source=path, sigma=sigma, metadata=metadata)


def _read_brml(path: Path) -> Pattern:
    try:
        with zipfile.ZipFile(path) as archive:
            raw_name = next((n for n in archive.namelist() if re.search(r"RawData\d*\.xml$", n)), None)
            if raw_name is None:
                raise FormatError("no Experiment*/RawData*.xml in the archive", path=path)
            root = _parse_xml(archive.read(raw_name), path)
    except zipfile.BadZipFile:
        raise FormatError("not a zip archive: a .brml file is a zip of XML files", path=path) from None
    rows = []
    for datum in root.iter():
        if _local(datum.tag) == "Datum" and datum.text:
            rows.append(datum.text.split(","))
    if not rows:
        raise FormatError(f"no <Datum> rows in {raw_name}", path=path)
    try:
        data = np.array([[float(v) for v in row] for row in rows])
    except ValueError:
        raise FormatError(f"non-numeric <Datum> in {raw_name}", path=path) from None
    # DIFFRAC.SUITE writes "time, used, 2theta, theta, ..., counts": 2theta is column 2, counts the last.
    x, y = data[:, 2], data[:, -1]

    def attribute(name):
        element = _find(root, name)
        return None if element is None or element.get("Value") is None else float(element.get("Value"))

    k1, k2, ratio = attribute("WaveLengthAlpha1"), attribute("WaveLengthAlpha2"), attribute("WaveLengthRatio")
    return make_pattern(x, y, source=path, wavelength_angstrom=k1, wavelength2_angstrom=k2,
                        kalpha2_ratio=ratio if ratio is not None else (0.5 if k2 else None),
                        metadata={"format": "brml", "raw_data": raw_name})


def _refuse_bruker_raw(path: Path) -> Pattern:
    head = path.read_bytes()[:8]
    raise FormatError(f"Bruker binary RAW (signature {head[:7]!r}) is not supported; export the scan as .brml, "
                      ".xy or .xrdml", path=path, offset=0)


#: format name -> (parser, extensions)
FORMATS: dict[str, tuple[Callable[[Path], Pattern], tuple[str, ...]]] = {
    "xy": (_read_xy, (".xy", ".xye", ".dat", ".txt", ".csv")),
    "xrdml": (_read_xrdml, (".xrdml",)),
    "ras": (_read_ras, (".ras",)),
    "rasx": (_read_rasx, (".rasx",)),
    "gsas": (_read_gsas, (".gsa", ".gsas", ".xra", ".fxye", ".cwn")),
    "brml": (_read_brml, (".brml",)),
}


def _sniff(path: Path) -> str:
    head = path.read_bytes()[:4096]
    if head.startswith(b"PK"):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any(re.search(r"RawData\d*\.xml$", n) for n in names):
            return "brml"
        return "rasx"
    if head.startswith((b"RAW1.01", b"RAW2", b"RAW ")):
        return "bruker-raw"
    text = head.decode("latin-1")
    if "xrdMeasurements" in text:
        return "xrdml"
    if text.startswith("*RAS_DATA_START"):
        return "ras"
    if re.search(r"^BANK\s", text, flags=re.MULTILINE):
        return "gsas"
    return "xy"


def read_pattern(path, *, format: str | None = None) -> Pattern:
    """Read a powder diffraction pattern from a file.

    Parameters
    ----------
    path : str or Path
        The file. It is only read, never changed.
    format : {None, 'xy', 'xrdml', 'ras', 'rasx', 'gsas', 'brml'}
        Force a format; by default it is chosen from the extension and, for
        unknown extensions or ``.raw``, from the content.

    Returns
    -------
    Pattern
        2-theta in degrees, intensity in counts, the wavelength the file states
        (Cu K-alpha assumed and flagged ``wavelength_assumed`` otherwise).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ssbkit.errors.FormatError
        The file is broken, truncated, empty or of an unsupported kind.

    Examples
    --------
    >>> pattern = read_pattern("scan.xrdml")  # doctest: +SKIP
    >>> pattern.wavelength_angstrom  # doctest: +SKIP
    1.540598
    """
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ValueError(f"format={format!r} is not one of {sorted(FORMATS)} or None")
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise FormatError("empty file", path=path)
    if format is None:
        suffix = path.suffix.lower()
        format = next((name for name, (_, exts) in FORMATS.items() if suffix in exts), None)
        if format is None or format == "xy" and _sniff(path) != "xy":
            format = _sniff(path)
    if format == "bruker-raw":
        return _refuse_bruker_raw(path)
    parser = FORMATS[format][0]
    try:
        return parser(path)
    except FormatError:
        raise
    except (ValueError, IndexError, KeyError, UnicodeError, zipfile.BadZipFile) as exc:
        raise FormatError(f"cannot read as {format}: {exc}", path=path) from None
