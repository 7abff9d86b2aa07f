"""Readers of powder-pattern files: one registry, by extension and by content.

Formats (each proven on a real file in ``../shared/data/xrd``):

==========  =========================================  ==========================================================
format      extensions                                 wavelength
==========  =========================================  ==========================================================
xy          .xy .xye .dat .txt .csv                    from a ``# wavelength ...`` header line, else assumed Cu Ka
xrdml       .xrdml (PANalytical XRDML 1.x/2.x)         ``usedWavelength`` (Ka1, Ka2, ratio)
ras         .ras (Rigaku, Shift-JIS header)            ``HW_XG_WAVE_LENGTH_ALPHA1/2``
rasx        .rasx (Rigaku SmartLab zip)                ``WavelengthKalpha1/2`` of the conditions XML
gsas        .gsa .gsas .xra .raw* .fxye .cwn           title ``... 1.909A ...`` when stated, else assumed
brml        .brml (Bruker DIFFRAC.SUITE zip)           ``WaveLengthAlpha1/2``, ``WaveLengthRatio``
bruker_raw  .raw* (Bruker RAW, RAW2, RAW1.01)          K-alpha1/2 and ratio of the file header
uxd         .uxd (Bruker UXD text export)              ``_WL1``, ``_WL2``, ``_WLRATIO``
==========  =========================================  ==========================================================

``*`` a ``.raw`` file is read as GSAS when its first lines hold a ``BANK`` record and as
Bruker RAW when it starts with a RAW signature.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from ssbkit._shared.limits import check_size, check_zip, read_bytes, regular_file
from ssbkit.errors import FormatError
from xrd.pattern import Pattern, make_pattern

__all__ = ["FORMATS", "read_pattern"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _read_text(path: Path, encoding: str = "utf-8") -> str:
    raw = read_bytes(path)
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
    widths = [len(re.split(r"[\s,;]+", line.strip())) for line in lines[start:start + 50] if line.strip()]
    if widths and float(np.median(widths)) > 4:
        raise FormatError(f"rows of {int(np.median(widths))} numbers: a block layout (e.g. the ILL D1A or PSI "
                          "neutron formats), not columns of 2-theta and intensity; convert it to .xy or .xye",
                          path=path, line=start + 1)
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
    root = _parse_xml(read_bytes(path), path)
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
    text = read_bytes(path).decode("shift_jis", errors="replace")
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


#: what reading a member of a damaged zip archive raises (CRC mismatch, broken deflate stream, an
#: unsupported compression method, a member cut short)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError)


def _read_rasx(path: Path) -> Pattern:
    check_zip(path)  # members are inflated whole: bounded by limits.MAX_UNCOMPRESSED_BYTES
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            profile = next((n for n in names if re.search(r"Profile\d*\.txt$", n)), None)
            conditions = next((n for n in names if "Conditions" in n and n.endswith(".xml")), None)
            if profile is None:
                raise FormatError(f"no Data*/Profile*.txt in the archive (found {names[:5]})", path=path)
            profile_text = archive.read(profile).decode("utf-8", errors="replace").lstrip("\ufeff")
            condition_xml = archive.read(conditions) if conditions else None
    except _ZIP_ERRORS as exc:
        raise FormatError(f"broken zip archive ({type(exc).__name__}: {exc}); a .rasx file is a zip of profile "
                          "and condition files", path=path) from None
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
    check_zip(path)  # members are inflated whole: bounded by limits.MAX_UNCOMPRESSED_BYTES
    try:
        with zipfile.ZipFile(path) as archive:
            raw_name = next((n for n in archive.namelist() if re.search(r"RawData\d*\.xml$", n)), None)
            if raw_name is None:
                raise FormatError("no Experiment*/RawData*.xml in the archive", path=path)
            root = _parse_xml(archive.read(raw_name), path)
    except _ZIP_ERRORS as exc:
        raise FormatError(f"broken zip archive ({type(exc).__name__}: {exc}); a .brml file is a zip of XML files",
                          path=path) from None
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


# --- Bruker DIFFRAC-plus / DIFFRAC-AT binary RAW --------------------------------------------------------------
# Layouts as documented by Bruker AXS ("DIFFRAC-plus: File Exchange and Formats", the RAW file format
# description) and implemented in xylib (Wojdyr, J. Appl. Cryst. 44 (2011) 1059, doi:10.1107/S0021889811027452;
# bruker_raw.cpp): all numbers little-endian.
#   "RAW "    (version 1, DIFFRAC-AT): per range a 4-byte step count then a 116-byte header (time per step,
#             step, scan mode, start, ...) followed by float32 counts; a "following range" flag chains ranges.
#   "RAW2"    (version 2): uint16 range count, a 256-byte file header (wavelengths at 190, ratio at 198),
#             then per range a uint16 header length, uint16 steps, step and start (float32) and float32 counts.
#   "RAW1.01" (version 3, DIFFRAC-plus): a 712-byte file header (range count at 12, date at 16, sample id
#             at 326, anode at 608, K-alpha average/1/2/beta and ratio as float64 at 616-648, secondary
#             monochromator code at 604), then per range a 304-byte header (steps at 4, start 2-theta float64
#             at 16, step float64 at 176, time per step float32 at 192, wavelength float64 at 240, length of
#             supplementary headers at 256), the supplementary headers, and float32 counts.

def _unpack(fmt, data, offset, path):
    try:
        return struct.unpack_from(fmt, data, offset)
    except struct.error:
        raise FormatError(f"file ends at byte {len(data)}, a {struct.calcsize(fmt)}-byte field was expected "
                          "(truncated RAW file?)", path=path, offset=offset) from None


def _raw_counts(data, offset, steps, path):
    end = offset + 4 * steps
    if steps <= 0 or end > len(data):
        raise FormatError(f"range declares {steps} steps (to byte {end}), the file holds {len(data)} bytes "
                          "(truncated RAW file?)", path=path, offset=offset)
    return np.frombuffer(data, dtype="<f4", count=steps, offset=offset).astype(float), end


def _c_string(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("latin-1").strip()


def _raw_v3(data, path):
    (n_ranges,) = _unpack("<I", data, 12, path)
    if not 0 < n_ranges < 1000:
        raise FormatError(f"range count {n_ranges} at byte 12 is implausible", path=path, offset=12)
    avg, k1, k2, kb, ratio = _unpack("<5d", data, 616, path)
    (mono,) = _unpack("<I", data, 604, path)
    (radius,) = _unpack("<f", data, 564, path)
    meta = {"raw_version": "RAW1.01", "date": _c_string(data[16:26]), "time": _c_string(data[26:36]),
            "user": _c_string(data[36:108]), "sample_id": _c_string(data[326:386]),
            "comment": _c_string(data[386:546]), "anode": _c_string(data[608:612]),
            "kalpha_average_angstrom": avg, "kbeta_angstrom": kb, "secondary_monochromator_code": int(mono),
            "goniometer_radius_mm": float(radius)}
    ranges, offset = [], 712
    for number in range(n_ranges):
        header_len, steps = _unpack("<II", data, offset, path)
        if header_len != 304:
            raise FormatError(f"range {number + 1} header length {header_len}, expected 304", path=path,
                              offset=offset)
        (start,) = _unpack("<d", data, offset + 16, path)
        (step,) = _unpack("<d", data, offset + 176, path)
        (time_per_step,) = _unpack("<f", data, offset + 192, path)
        (used_lambda,) = _unpack("<d", data, offset + 240, path)
        (supplementary,) = _unpack("<I", data, offset + 256, path)
        counts, offset = _raw_counts(data, offset + header_len + supplementary, steps, path)
        ranges.append({"start_deg": start, "step_deg": step, "counts": counts, "time_per_step_s": float(time_per_step),
                       "wavelength_angstrom": used_lambda})
    return ranges, (k1, k2, ratio), meta


def _raw_v2(data, path):
    (n_ranges,) = _unpack("<H", data, 4, path)
    k1, k2, ratio = _unpack("<3f", data, 190, path)
    meta = {"raw_version": "RAW2", "date": _c_string(data[168:188]), "anode": _c_string(data[188:190])}
    ranges, offset = [], 256
    for number in range(n_ranges):
        header_len, steps = _unpack("<HH", data, offset, path)
        if header_len <= 48:
            raise FormatError(f"range {number + 1} header length {header_len}, expected more than 48", path=path,
                              offset=offset)
        time_per_step, step, start = _unpack("<3f", data, offset + 8, path)
        counts, offset = _raw_counts(data, offset + header_len, steps, path)
        ranges.append({"start_deg": start, "step_deg": step, "counts": counts, "time_per_step_s": time_per_step})
    return ranges, (k1, k2, ratio if ratio > 0 else 0.5), meta


def _raw_v1(data, path):
    ranges, offset, following, k = [], 4, 1, (None, None, None)
    while following:
        if ranges and data[offset:offset + 4] == b"RAW ":
            offset += 4  # later DIFFRAC-AT files repeat the signature before each range
        (steps,) = _unpack("<I", data, offset, path)
        time_per_step, step = _unpack("<2f", data, offset + 4, path)
        (start,) = _unpack("<f", data, offset + 20, path)
        k1, k2 = _unpack("<2f", data, offset + 68, path)
        (following,) = _unpack("<I", data, offset + 148, path)
        counts, offset = _raw_counts(data, offset + 152, steps, path)
        ranges.append({"start_deg": start, "step_deg": step, "counts": counts, "time_per_step_s": time_per_step})
        k = (k1, k2, 0.5 if k2 > 0 else None)
    return ranges, k, {"raw_version": "RAW"}


def _scan_ranges_to_pattern(path, ranges, wavelengths, meta, range_index):
    """One Pattern from the ranges of a multi-range file: the chosen range, or all of them joined
    when they continue one another with the same step."""
    summary = ", ".join(f"{r['start_deg']:g}-{r['start_deg'] + r['step_deg'] * (r['counts'].size - 1):g} deg "
                        f"step {r['step_deg']:g}" for r in ranges)
    if range_index is not None:
        if not 0 <= range_index < len(ranges):
            raise ValueError(f"range_index={range_index!r}: the file holds {len(ranges)} range(s) ({summary})")
        chosen = [ranges[range_index]]
    else:
        chosen = ranges
        for a, b in zip(ranges, ranges[1:]):
            end = a["start_deg"] + a["step_deg"] * a["counts"].size
            if abs(b["step_deg"] - a["step_deg"]) > 1e-6 or abs(b["start_deg"] - end) > 0.5 * a["step_deg"]:
                raise FormatError(f"{len(ranges)} scan ranges that do not continue one another ({summary}); "
                                  "choose one with read_pattern(..., range_index=k)", path=path)
    x = np.concatenate([r["start_deg"] + r["step_deg"] * np.arange(r["counts"].size) for r in chosen])
    y = np.concatenate([r["counts"] for r in chosen])
    k1, k2, ratio = wavelengths
    meta = dict(meta, n_ranges=len(ranges), ranges=summary,
                time_per_step_s=float(chosen[0]["time_per_step_s"]))
    return make_pattern(x, y, source=path, wavelength_angstrom=k1 if k1 else None,
                        wavelength2_angstrom=k2 if k2 else None, kalpha2_ratio=ratio if k2 else None, metadata=meta)


def _read_bruker_raw(path: Path, *, range_index=None) -> Pattern:
    data = read_bytes(path)
    if data.startswith(b"RAW1.01"):
        ranges, wavelengths, meta = _raw_v3(data, path)
    elif data.startswith(b"RAW2"):
        ranges, wavelengths, meta = _raw_v2(data, path)
    elif data.startswith(b"RAW "):
        ranges, wavelengths, meta = _raw_v1(data, path)
    else:
        raise FormatError(f"signature {data[:7]!r} is none of the Bruker RAW layouts ('RAW ', 'RAW2', 'RAW1.01')",
                          path=path, offset=0)
    meta["format"] = "bruker_raw"
    return _scan_ranges_to_pattern(path, ranges, wavelengths, meta, range_index)


def _read_uxd(path: Path, *, range_index=None) -> Pattern:
    """Bruker UXD text export: ``_KEY=value`` header lines, ``;`` comments, and per range either
    ``_2THETACOUNTS``/``_2THETACPS`` (two columns, 2-theta as printed) or ``_COUNTS``/``_CPS`` (counts
    only, 2-theta from ``_START`` in ``_STEPSIZE`` steps)."""
    lines = _read_text(path, "latin-1").splitlines()
    header: dict[str, str] = {}
    ranges: list[dict] = []
    in_data = False
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith(";"):
            continue
        if text.startswith("_"):
            key, _, value = text[1:].partition("=")
            key = key.strip().upper()
            if key in ("2THETACOUNTS", "2THETACPS", "COUNTS", "CPS"):
                ranges.append({"line": number, "rows": [], "two_columns": key.startswith("2THETA"),
                               "start": header.get("START"), "step": header.get("STEPSIZE"),
                               "time": header.get("STEPTIME")})
                in_data = True
                continue
            in_data = False
            header[key] = value.strip().strip("'")
            continue
        if not in_data:
            raise FormatError(f"data line {text[:40]!r} outside a _2THETACOUNTS or _COUNTS section", path=path,
                              line=number)
        try:
            ranges[-1]["rows"].append([float(v) for v in text.replace(",", " ").split()])
        except ValueError:
            raise FormatError(f"non-numeric data {text[:40]!r}", path=path, line=number) from None
    if not ranges:
        raise FormatError("no _2THETACOUNTS or _COUNTS section: not a Bruker UXD file", path=path)
    scans = []
    for r in ranges:
        if not r["rows"]:
            raise FormatError("a data section without data", path=path, line=r["line"])
        if r["two_columns"]:
            if min(len(row) for row in r["rows"]) < 2:
                raise FormatError("a _2THETACOUNTS row with fewer than 2 columns", path=path, line=r["line"])
            arr = np.array([row[:2] for row in r["rows"]], dtype=float)
            x, y = arr[:, 0], arr[:, 1]
            step = float(r["step"]) if r["step"] else float(np.median(np.diff(x)))
        else:
            if r["start"] is None or r["step"] is None:
                raise FormatError("_COUNTS section without _START and _STEPSIZE", path=path, line=r["line"])
            y = np.array([v for row in r["rows"] for v in row], dtype=float)
            step = float(r["step"])
            x = float(r["start"]) + step * np.arange(y.size)
        scans.append({"start_deg": float(x[0]), "step_deg": step, "counts": y, "x": x,
                      "time_per_step_s": float(r["time"]) if r["time"] else float("nan")})

    def number(key):
        try:
            return float(header[key])
        except (KeyError, ValueError):
            return None

    k1, k2, ratio = number("WL1"), number("WL2"), number("WLRATIO")
    meta = {"format": "uxd", "sample_id": header.get("SAMPLE", ""), "date": header.get("DATEMEASURED", ""),
            "anode": header.get("ANODE", ""), "secondary_monochromator_code": header.get("MONOCHROMATOR", "")}
    pattern = _scan_ranges_to_pattern(path, scans, (k1, k2, ratio), meta, range_index)
    # the two-column form states its own 2-theta values (as printed): keep them
    chosen = scans if range_index is None else [scans[range_index]]
    x = np.concatenate([s["x"] for s in chosen])
    return make_pattern(x, pattern.intensity, source=path, wavelength_angstrom=k1, wavelength2_angstrom=k2,
                        kalpha2_ratio=ratio if k2 else None, metadata=pattern.metadata)


#: format name -> (parser, extensions)
FORMATS: dict[str, tuple[Callable[[Path], Pattern], tuple[str, ...]]] = {
    "xy": (_read_xy, (".xy", ".xye", ".dat", ".txt", ".csv")),
    "xrdml": (_read_xrdml, (".xrdml",)),
    "ras": (_read_ras, (".ras",)),
    "rasx": (_read_rasx, (".rasx",)),
    "gsas": (_read_gsas, (".gsa", ".gsas", ".xra", ".fxye", ".cwn")),
    "brml": (_read_brml, (".brml",)),
    "bruker_raw": (_read_bruker_raw, ()),  # .raw is chosen by content (GSAS files use it too)
    "uxd": (_read_uxd, (".uxd",)),
}
_MULTI_RANGE = ("bruker_raw", "uxd")
_ZIPPED = ("rasx", "brml")  # bounded by their inflated size (check_zip), not their file size


def _sniff(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror or exc})", path=path) from None
    if head.startswith(b"PK"):
        check_zip(path)  # a broken archive is a FormatError here
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any(re.search(r"RawData\d*\.xml$", n) for n in names):
            return "brml"
        return "rasx"
    if head.startswith((b"RAW1.01", b"RAW2", b"RAW ")):
        return "bruker_raw"
    text = head.decode("latin-1")
    if "xrdMeasurements" in text:
        return "xrdml"
    if text.startswith("*RAS_DATA_START"):
        return "ras"
    if re.search(r"^_(2THETACOUNTS|2THETACPS|COUNTS|CPS|FILEVERSION)\b", text, flags=re.MULTILINE):
        return "uxd"
    if re.search(r"^BANK\s", text, flags=re.MULTILINE):
        return "gsas"
    return "xy"


def read_pattern(path, *, format: str | None = None, range_index: int | None = None) -> Pattern:
    """Read a powder diffraction pattern from a file.

    Parameters
    ----------
    path : str or Path
        The file. It is only read, never changed.
    format : {None, 'xy', 'xrdml', 'ras', 'rasx', 'gsas', 'brml', 'bruker_raw', 'uxd'}
        Force a format; by default it is chosen from the extension and, for
        unknown extensions or ``.raw``, from the content.
    range_index : int, optional
        Bruker RAW and UXD files may hold several scan ranges: by default ranges that
        continue one another with one step are joined, others are refused naming them;
        ``range_index=k`` reads range k (0-based) alone.

    Returns
    -------
    Pattern
        2-theta in degrees, intensity in counts, the wavelength the file states
        (Cu K-alpha assumed and flagged ``wavelength_assumed`` otherwise).

    Raises
    ------
    ssbkit.errors.FormatError
        The file does not exist ("no such file", as every ssbkit reader), or it is broken, truncated, empty or of an unsupported kind; a
        directory or special file; larger than
        ``ssbkit._shared.limits.MAX_FILE_BYTES`` (text and RAW files, checked
        before reading) or, for .rasx/.brml archives, inflating beyond
        ``MAX_UNCOMPRESSED_BYTES`` (judged from the zip directory); NaN,
        infinite or absurd (|value| >= 1e100) numbers.

    Examples
    --------
    >>> pattern = read_pattern("scan.xrdml")  # doctest: +SKIP
    >>> pattern.wavelength_angstrom  # doctest: +SKIP
    1.540598
    """
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ValueError(f"format={format!r} is not one of {sorted(FORMATS)} or None")
    path = regular_file(path)
    if path.stat().st_size == 0:
        raise FormatError("empty file", path=path)
    if format is None:
        suffix = path.suffix.lower()
        format = next((name for name, (_, exts) in FORMATS.items() if suffix in exts), None)
        if format is None or format == "xy" and _sniff(path) != "xy":
            format = _sniff(path)
    if format not in _ZIPPED:
        check_size(path)  # parsed whole: bounded by limits.MAX_FILE_BYTES before the first byte is read
    parser = FORMATS[format][0]
    if range_index is not None and format not in _MULTI_RANGE:
        raise ValueError(f"range_index={range_index!r} applies to {_MULTI_RANGE} files, not {format}")
    try:
        return parser(path, range_index=range_index) if format in _MULTI_RANGE else parser(path)
    except FormatError:
        raise
    except (ValueError, IndexError, KeyError, UnicodeError, OverflowError, *_ZIP_ERRORS) as exc:
        raise FormatError(f"cannot read as {format}: {exc}", path=path) from None
