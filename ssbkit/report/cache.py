"""A per-measurement result cache, so that an unchanged study re-renders without re-analysing.

One entry per analysed measurement: its :class:`~ssbkit.report.registry.Section`
(with the result object the comparisons use) and the bytes of the figure
files its builder wrote, pickled into one file named by the entry's key. The
key is a SHA-256 over everything the section depends on (:func:`entry_key`):
the technique, label and sample model, every file's path and content hash
(:attr:`ssbkit.study.FileRecord.sha256`), the resolved parameters with their
origins (so a DPC thickness taken from an EELS result is part of the DPC key),
and :func:`code_version` (ssbkit's version and a digest of its source files).

Entries are written to a temporary file in the same folder and renamed into
place (:func:`os.replace`, atomic on POSIX and Windows), so a run killed
half-way never leaves a readable partial entry, and two runs writing the same
entry at once each put a complete file in place. A file that cannot be read
back (truncated by a crash of the machine, another format) counts as a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

__all__ = ["CacheEntry", "ResultCache", "code_version", "entry_key"]

#: Bumped when the entry layout changes; part of every key.
FORMAT = 1
_PACKAGES = ("ssbkit", "echem", "xrd", "xas", "eels", "stem", "eds")
_STALE_TMP_S = 24 * 3600.0


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``"<ssbkit version>+<12 hex digits>"``: the installed version and a digest of the analysis code.

    The digest runs over the bytes of every ``.py``/``.json``/``.cif``/``.mplstyle`` file of
    the ssbkit distribution's packages, so that editing the code of a
    development checkout (where the version number stays the same) also
    invalidates the cache.
    """
    import importlib.util

    from ssbkit import __version__

    digest = hashlib.sha256()
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for root in spec.submodule_search_locations:
            for path in sorted(Path(root).rglob("*")):
                if path.suffix in (".py", ".json", ".cif", ".mplstyle") and "__pycache__" not in path.parts:
                    digest.update(str(path.relative_to(root)).encode())
                    digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def _canonical(value: Any) -> Any:
    """A JSON-able, order-stable form of a parameter value."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        return repr(value)  # exact: 0.1 and 0.1000000001 are different keys
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return repr(value)


def entry_key(*, technique: str, label: str, sample: Mapping, files, parameters: Mapping,
              origins: Mapping, version: str | None = None) -> str:
    """The cache key (64 hex digits) of one measurement's analysis.

    Parameters
    ----------
    technique, label : str
        The measurement's technique and label (the label is in its title and figure names).
    sample : Mapping
        The sample model as a dict (:meth:`ssbkit.sample.Sample.to_dict`).
    files : sequence of FileRecord
        The files, in manifest order (path and SHA-256 of the content).
    parameters, origins : Mapping
        The resolved parameters (defaults, sample and measurement values filled) and their origins.
    version : str, optional
        Code version; :func:`code_version` when omitted.
    """
    payload = {
        "format": FORMAT,
        "version": code_version() if version is None else version,
        "technique": technique,
        "label": label,
        "sample": _canonical(sample),
        "files": [[str(record.path), record.sha256] for record in files],
        "parameters": _canonical(parameters),
        "origins": _canonical(origins),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """What the cache holds for one measurement.

    Parameters
    ----------
    section : Section
        The analysed section (its ``result`` included).
    figures : dict
        ``{file name: bytes}`` of the figure files the builder wrote.
    log : str
        The run's log (warnings, timing, worker).
    seconds : float
        Wall time of the analysis when it was computed, s.
    """

    section: Any
    figures: dict
    log: str = ""
    seconds: float = float("nan")


class ResultCache:
    """Cache entries below ``directory`` (created on first write).

    Parameters
    ----------
    directory : str or Path
        The cache folder; entries are ``<key[:2]>/<key>.pkl``.
    version : str, optional
        The code version in the keys; :func:`code_version` (read once) when
        omitted. Give a fixed string only when the analysis code is known not
        to have changed between runs (a benchmark in a checkout that others
        edit meanwhile): an edited analysis would otherwise be served stale.
    """

    def __init__(self, directory, *, version: str | None = None):
        self.directory = Path(directory)
        self.version = code_version() if version is None else version
        self.hits = 0
        self.misses = 0

    def path(self, key: str) -> Path:
        """Where the entry of ``key`` lives."""
        return self.directory / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> CacheEntry | None:
        """The entry of ``key``, or None when there is none or it cannot be read."""
        try:
            with open(self.path(key), "rb") as handle:
                stored = pickle.load(handle)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # a damaged or foreign file is a miss; the next put replaces it
            self.misses += 1
            return None
        if not isinstance(stored, dict) or stored.get("key") != key or stored.get("format") != FORMAT:
            self.misses += 1
            return None
        self.hits += 1
        return stored["entry"]

    def put(self, key: str, entry: CacheEntry) -> Path:
        """Write ``entry`` under ``key`` atomically (temporary file, then rename); return its path."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=final.parent, prefix=f".{key[:16]}-", suffix=".tmp", delete=False)
        try:
            with handle:
                pickle.dump({"format": FORMAT, "key": key, "entry": entry}, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, final)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return final

    def remove_stale_temporaries(self, older_than_s: float = _STALE_TMP_S) -> int:
        """Delete temporary files that killed runs left (older than ``older_than_s``); return how many."""
        if not self.directory.is_dir():
            return 0
        now, removed = time.time(), 0
        for path in self.directory.glob("*/.*.tmp"):
            try:
                if now - path.stat().st_mtime > older_than_s:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another run removed or renamed it
                continue
        return removed
