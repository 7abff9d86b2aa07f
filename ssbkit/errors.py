"""The ssbkit exception hierarchy.

Every error that bad input can cause derives from :class:`SsbkitError`, so a
caller can catch the whole family at once, or one kind of problem alone.
The value-like errors also derive from :class:`ValueError`, which is what a
caller who does not know ssbkit would catch for bad input.
"""

from __future__ import annotations

__all__ = [
    "SsbkitError",
    "FormatError",
    "MetadataError",
    "FitError",
    "CalibrationError",
    "ReportFolderError",
]


class SsbkitError(Exception):
    """Root of every exception that ssbkit raises on purpose."""


class FormatError(SsbkitError, ValueError):
    """A file is broken, truncated, foreign or of an unsupported format.

    Parameters
    ----------
    message : str
        What was expected and what was found.
    path : str or os.PathLike, optional
        The file that could not be read; it is named in the message.
    line : int, optional
        1-based line number where the problem was found (text files).
    offset : int, optional
        Byte offset where the problem was found (binary files).
    """

    def __init__(self, message, *, path=None, line=None, offset=None):
        self.path = None if path is None else str(path)
        self.line = line
        self.offset = offset
        where = []
        if self.path is not None:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        if offset is not None:
            where.append(f"byte {offset}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class MetadataError(SsbkitError, ValueError):
    """A sample description or a study manifest is wrong.

    Parameters
    ----------
    message : str
        What is wrong, naming the key.
    problems : sequence of str, optional
        Every problem found, when several were collected before raising.
        Defaults to ``[message]``.
    """

    def __init__(self, message, *, problems=None):
        self.problems = list(problems) if problems else [message]
        super().__init__(message)


class FitError(SsbkitError, RuntimeError):
    """A fit could not be carried out at all (not merely a poor fit)."""


class CalibrationError(SsbkitError, ValueError):
    """A calibration needed by an analysis is missing or cannot be found."""


class ReportFolderError(SsbkitError, ValueError):
    """The report cannot be written where it was asked to without harming other files.

    Raised for an output path that is a file, a non-empty folder the report
    did not create (unless ``force``), or a file name that would leave the folder.
    """
