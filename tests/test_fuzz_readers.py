"""Fuzz the readers with seeded mutations of the real files in ../shared/data (issue 17).

For every reader (xas, cycling, I-V, eels, 4D-STEM, impedance, powder
patterns), a fixed seed picks small shared files and mutates them:
truncations, byte flips, numbers replaced by ``inf``/``nan``/absurd values
or huge integers, an empty file; the reader is also given a directory and a
file of another technique. The contract checked on every case:

* the reader raises an :class:`ssbkit.errors.SsbkitError` (nothing else), or
  returns finite arrays;
* it never changes the file it reads, nor the shared original.

Numbers are replaced in text files only (see :func:`_mutants` for why).

The mutants are deterministic (seeded), so a failure names a reproducible
case: ``(reader, source file, mutation)``. About 1,220 cases in all (14 s on a 2-core machine).
"""

from __future__ import annotations

import hashlib
import random
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssbkit.errors import SsbkitError

SEED = 17
#: Source files per reader and their size cap (keeps the whole module to a couple of minutes).
FILES_PER_READER = 30
MAX_SOURCE_BYTES = 800_000
_NUMBER = re.compile(rb"(?<![\w.])-?\d+\.\d+(?:[eE][-+]?\d+)?")
_INTEGER = re.compile(rb"(?<![\w.,:/-])\d+(?![\w.,:/])")
_TOKENS = (b"inf", b"-inf", b"nan", b"1e400", b"-1e308", b"1e300")
_BIG_INTEGERS = (b"99999999999999999999999", b"18446744073709551616")


def _read_xas(path):
    import xas

    try:
        return xas.read_xas(path)
    except xas.GroupChoiceError:  # a project with several groups: a bad argument, not a bad file
        return xas.read_xas(path, group=0)


def _read_cycling(path):
    from echem.cycling import read_cycling

    return read_cycling(path)


def _read_iv(path):
    from echem.cycling import read_iv

    return read_iv(path)


def _read_eels(path):
    import eels

    return eels.read_eels(path)


def _read_4dstem(path):
    import stem

    return stem.read_4dstem(path, lazy=False)


def _read_eis(path):
    import echem

    return echem.read_eis(path)


def _read_pattern(path):
    import xrd

    return xrd.read_pattern(path)


_PATTERN_SUFFIXES = (".xy", ".xye", ".xrdml", ".ras", ".rasx", ".raw", ".uxd", ".xra", ".cwn", ".gsa", ".brml", ".dat")


#: reader name -> (function, folder under shared data, file-name filter)
READERS = {
    "xas": (_read_xas, "xas", lambda p: p.suffix in (".prj", ".xdi", ".dat", ".001")),
    "cycling": (_read_cycling, "echem/cycling", lambda p: "Metadata" not in p.name and p.suffix != ".ftr"),
    "iv": (_read_iv, "echem/iv", lambda p: True),
    "eels": (_read_eels, "eels", lambda p: p.suffix in (".msa", ".hspy", ".dm4")),
    "stem": (_read_4dstem, "stem", lambda p: p.suffix in (".emd", ".h5", ".blo")),
    "eis": (_read_eis, "echem/eis", lambda p: True),
    "xrd": (_read_pattern, "xrd", lambda p: p.suffix.lower() in _PATTERN_SUFFIXES),
}


def _mutants(raw: bytes, rng: random.Random):
    """(kind, bytes) pairs: the mutations of one file, deterministic for a seeded ``rng``."""
    n = len(raw)
    yield "truncated to half", raw[: n // 2]
    cut = rng.randrange(1, max(n, 2))
    yield f"truncated at byte {cut}", raw[:cut]
    for k in range(3):
        flipped = bytearray(raw)
        for _ in range(8):
            flipped[rng.randrange(n)] = rng.randrange(256)
        yield f"8 random bytes #{k}", bytes(flipped)
    if b"\0" in raw[:4096]:
        # binary files get truncations and byte flips only: a number written over HDF5 bytes can
        # make libhdf5 spin forever (open item of issue 17: exspy_Cr_L_cl.hspy with b"3.0" at byte
        # 2104 replaced by b"-inf" hangs h5py's attrs["file_format_version"]), which no reader can stop
        yield "empty", b""
        return
    numbers = list(_NUMBER.finditer(raw[:1_000_000]))
    for token in rng.sample(_TOKENS, 3) if numbers else ():
        edited = bytearray(raw)
        for match in sorted(rng.sample(numbers, min(3, len(numbers))), key=lambda m: -m.start()):
            edited[match.start(): match.end()] = token
        yield f"3 numbers -> {token.decode()}", bytes(edited)
    integers = list(_INTEGER.finditer(raw[:1_000_000]))
    for token in _BIG_INTEGERS if integers else ():
        edited = bytearray(raw)
        for match in sorted(rng.sample(integers, min(3, len(integers))), key=lambda m: -m.start()):
            edited[match.start(): match.end()] = token
        yield f"3 integers -> {token.decode()[:8]}...", bytes(edited)
    yield "empty", b""


def _non_finite(result) -> list[str]:
    """Names of the float arrays of ``result`` that hold NaN or inf."""
    bad = []
    frame = getattr(result, "data", None)
    if isinstance(frame, pd.DataFrame):
        numbers = frame.select_dtypes("number").to_numpy(dtype=float)
        if not np.isfinite(numbers).all():
            bad.append("data")
        return bad
    for name in ("energy_ev", "mu", "voltage_v", "current_a", "time_s", "energy_loss_ev", "counts", "data",
                 "frequency_hz", "z_ohm", "two_theta_deg", "intensity", "sigma"):
        value = getattr(result, name, None)
        if isinstance(value, np.ndarray) and value.dtype.kind in "fc" and not np.isfinite(value).all():
            bad.append(name)
    return bad


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check(function, path: Path) -> str | None:
    """None when ``function(path)`` keeps the contract, else what went wrong."""
    before = _digest(path) if path.is_file() else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = function(path)
    except SsbkitError:
        result = None
    except Exception as exc:  # noqa: BLE001 - the point of the test
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    if before is not None and _digest(path) != before:
        return "the reader changed the file it read"
    bad = _non_finite(result) if result is not None else []
    return f"non-finite values in {bad}" if bad else None


def _sources(shared_data: Path, folder: str, accept, rng: random.Random) -> list[Path]:
    files = sorted(p for p in (shared_data / folder).rglob("*")
                   if p.is_file() and p.name != "INDEX.md" and accept(p) and p.stat().st_size <= MAX_SOURCE_BYTES)
    return rng.sample(files, min(FILES_PER_READER, len(files)))


@pytest.mark.parametrize("reader", sorted(READERS))
def test_reader_keeps_its_contract_on_mutants(reader, shared_data, tmp_path):
    function, folder, accept = READERS[reader]
    rng = random.Random(f"{SEED}-{reader}")
    sources = _sources(shared_data, folder, accept, rng)
    assert sources, f"no shared files for {reader} under {folder}"
    failures, cases = [], 0
    for source in sources:
        original = _digest(source)
        for kind, data in _mutants(source.read_bytes(), rng):
            mutant = tmp_path / f"mutant{source.suffix}"
            mutant.write_bytes(data)
            problem = _check(function, mutant)
            cases += 1
            if problem:
                failures.append((source.name, kind, problem))
            mutant.unlink()
        assert _digest(source) == original, f"{source} changed"
    # a directory named like a data file, and a file of another technique
    directory = tmp_path / f"folder{sources[0].suffix}"
    directory.mkdir()
    foreign = shared_data / ("xrd" if reader != "xrd" else "xas")
    others = sorted(p for p in foreign.rglob("*") if p.is_file() and p.stat().st_size <= MAX_SOURCE_BYTES)[:2]
    for path in (directory, *others):
        problem = _check(function, path)
        cases += 1
        if problem:
            failures.append((path.name, "directory" if path.is_dir() else "foreign file", problem))
    assert cases >= 40
    print(f"{reader}: {cases} cases from {len(sources)} files")
    assert not failures, f"{len(failures)} of {cases} cases broke the contract:\n" + "\n".join(map(str, failures))


def test_the_harness_catches_a_broken_reader(tmp_path):
    # the checks above can fail: a raw exception, a NaN result and a reader that writes are all caught
    path = tmp_path / "f.txt"
    path.write_text("1 2 3\n")

    class Result:
        mu = np.array([1.0, np.nan])

    def raises(p):
        raise ValueError("raw")

    def writes(p):
        Path(p).write_text("changed")

    assert _check(raises, path) == "ValueError: raw"
    assert _check(lambda p: Result(), path) == "non-finite values in ['mu']"
    assert _check(writes, path) == "the reader changed the file it read"
    assert _check(lambda p: None, path) is None
