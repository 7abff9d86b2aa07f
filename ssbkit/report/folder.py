"""The report folder: owned by the report, never a danger to the files around it.

A report folder records the files the report wrote in ``.ssbkit-report.json``.
:func:`claim_folder` accepts an empty or missing folder, or one holding an
earlier ssbkit report, and refuses any other non-empty folder unless
``force``; :func:`write_file` writes one file atomically by name (a temporary
file renamed over the name, so a symlink planted under that name is replaced,
never followed); :func:`finish_folder` removes the files of the earlier report
that this one did not write again (stale figures) and records the new list.
Files the report did not write are never touched.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ssbkit.errors import ReportFolderError

__all__ = ["OWNER_FILE", "CACHE_FOLDER", "claim_folder", "write_file", "finish_folder"]

#: The list of files the report wrote, kept in the report folder.
OWNER_FILE = ".ssbkit-report.json"
#: The result cache ``ssbkit report`` keeps in its folder by default (:mod:`ssbkit.report.cache`).
CACHE_FOLDER = ".ssbkit-cache"


def _owned(folder: Path) -> set[str]:
    path = folder / OWNER_FILE
    if path.is_symlink() or not path.is_file():
        return set()
    try:
        names = json.loads(path.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {name for name in names if isinstance(name, str) and _plain(name)}


def _plain(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def claim_folder(out, *, force: bool = False, ours=()) -> set[str]:
    """Make ``out`` the report folder; return the names an earlier report there wrote.

    Parameters
    ----------
    out : str or Path
    force : bool
        Write into a non-empty folder that holds no earlier ssbkit report
        (files of the same names as the report's are then replaced; no other file is touched).
    ours : iterable of str
        Names already written there by this report (figures analysed into ``out``).

    Raises
    ------
    ssbkit.errors.ReportFolderError
        When ``out`` is a file, or a non-empty folder without an earlier report and ``force`` is False.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReportFolderError(f"{out}: the report folder is a file; give a folder (it is created if missing)")
    out.mkdir(parents=True, exist_ok=True)
    previous = _owned(out)
    foreign = {entry.name for entry in out.iterdir()} - set(ours) - {OWNER_FILE, CACHE_FOLDER}
    if not previous and foreign and not force:
        raise ReportFolderError(f"{out}: the folder is not empty and holds no ssbkit report; choose an empty or new "
                                "folder, or pass --force (force=True) to write into it (only files of the report's "
                                "names are replaced)")
    return previous


def write_file(folder, name: str, data) -> str:
    """Write ``data`` (str or bytes) as ``folder / name`` atomically, replacing (not following) a symlink.

    Returns
    -------
    str
        ``name``.

    Raises
    ------
    ssbkit.errors.ReportFolderError
        When ``name`` is not a plain file name (it would leave the folder).
    """
    if not _plain(name):
        raise ReportFolderError(f"{name!r}: not a plain file name inside the report folder")
    folder = Path(folder)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix="-" + name[-40:])
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(raw)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from the other users of a shared machine
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def finish_folder(folder, written: set[str], previous: set[str]) -> None:
    """Remove the earlier report's files not written again, and record ``written`` as the report's files."""
    folder = Path(folder)
    for name in sorted(previous - written - {OWNER_FILE}):
        path = folder / name
        if path.is_symlink() or path.is_file():
            path.unlink()
    write_file(folder, OWNER_FILE, json.dumps({"files": sorted(written)}, indent=1))
