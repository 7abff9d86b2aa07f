"""Declared manifest parameters of the report sections.

Each technique section declares the parameters it reads once, as a tuple of
:class:`Param`: name, type, unit, default, allowed values or range, one line
of documentation, and where a missing value may come from (the sample model,
another measurement of the same sample, or the file itself). Manifest
validation (:meth:`ssbkit.study.Study.load`), the parameter reference printed
by ``ssbkit params`` and the section builders all read that one declaration.

Examples
--------
>>> spec = (Param("reference_cycle", "integer", "cycle taken as 100 % retention", minimum=1),)
>>> values, problems = check_parameters(spec, {"refrence_cycle": 2})
>>> problems
["parameter 'refrence_cycle': unknown (did you mean 'reference_cycle'?)"]
>>> check_parameters(spec, {"reference_cycle": "two"})[1]
["parameter 'reference_cycle': must be an integer, got 'two'"]
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, Sequence, get_args

__all__ = ["Param", "KINDS", "check_parameters", "parameter_reference"]

Kind = Literal["number", "integer", "string", "boolean", "number_list", "integer_list", "string_list", "table"]
#: The value types a parameter can declare.
KINDS = get_args(Kind)


@dataclass(frozen=True)
class Param:
    """One manifest parameter of a report section.

    Parameters
    ----------
    name : str
        Key in ``[measurements.parameters]``; units in the name (``thickness_cm``).
    kind : str
        One of :data:`KINDS`.
    doc : str
        One line: what it is.
    unit : str
        Unit of the value (``""`` for dimensionless or text).
    default : object, optional
        Value used when nothing else gives one; None means "none" (the
        section then decides, e.g. from the file).
    choices : tuple, optional
        Allowed values (strings).
    minimum, maximum : float, optional
        Allowed range of a number (or of every element of a list).
    exclusive_minimum : bool
        True when ``minimum`` itself is not allowed (``> 0`` rather than ``>= 0``).
    length : int, optional
        Required length of a list (e.g. 2 for ``[y, x]``).
    required : bool
        True when the analysis cannot run without a value from the manifest,
        the sample or another measurement.
    from_sample : callable, optional
        ``func(sample) -> value or None``: the value the sample model implies.
    sample_doc : str
        How ``from_sample`` derives the value (for the reference).
    from_measurement : (str, str), optional
        ``(technique, summary_key)``: taken from the result of a measurement
        of that technique on the same sample when the manifest gives none
        (e.g. a DPC specimen thickness from an EELS thickness).
    """

    name: str
    kind: Kind
    doc: str
    unit: str = ""
    default: Any = None
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    length: int | None = None
    required: bool = False
    from_sample: Callable[[Any], Any] | None = None
    sample_doc: str = ""
    from_measurement: tuple[str, str] | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} is not one of {KINDS}")

    def allowed(self) -> str:
        """The allowed values in words, e.g. ``"integer >= 1"`` or ``"one of 'linear', 'exponential'"``."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        words = {"number_list": "list of numbers", "integer_list": "list of integers",
                 "string_list": "list of strings", "table": "table", "boolean": "true or false"}
        text = words.get(self.kind, self.kind)
        if self.length is not None:
            text += f" of length {self.length}"
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.exclusive_minimum else '>='} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        return text + (" " + " and ".join(bounds) if bounds else "")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar(param: Param, value, what: str):
    """Coerce one scalar to the param's element type; raise ValueError with the reason."""
    base = param.kind.removesuffix("_list")
    if base == "integer":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise ValueError(f"must be an integer, got {what}")
        value = int(value)
    elif base == "number":
        if not _is_number(value) or not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {what}")
        value = float(value)
    elif base == "string":
        if not isinstance(value, str):
            raise ValueError(f"must be a string, got {what}")
        if param.choices and value not in param.choices:
            raise ValueError(f"must be {param.allowed()}, got {what}")
    elif base == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {what}")
    if base in ("integer", "number"):
        low, high = param.minimum, param.maximum
        if low is not None and (value < low or (param.exclusive_minimum and value == low)):
            raise ValueError(f"must be {param.allowed()}, got {what}")
        if high is not None and value > high:
            raise ValueError(f"must be {param.allowed()}, got {what}")
    return value


def coerce(param: Param, value) -> Any:
    """Check ``value`` against ``param`` and return it typed.

    Raises
    ------
    ValueError
        Saying what is allowed and what was given.
    """
    what = repr(value)
    if param.kind == "table":
        if not isinstance(value, dict):
            raise ValueError(f"must be a table, got {what}")
        return dict(value)
    if param.kind.endswith("_list"):
        if param.kind == "string_list" and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        elif param.length is None and (_is_number(value) or isinstance(value, str)):
            value = [value]  # one value where a list is allowed
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError(f"must be a non-empty {param.allowed()}, got {what}")
        if param.length is not None and len(value) != param.length:
            raise ValueError(f"must be a {param.allowed()}, got {what}")
        return [_scalar(param, item, repr(item)) for item in value]
    return _scalar(param, value, what)


def check_parameters(
    declared: Sequence[Param], values: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Check a manifest's parameter table against a section's declaration.

    Parameters
    ----------
    declared : sequence of Param
        The section's declaration.
    values : Mapping
        The ``[measurements.parameters]`` table as read from TOML.

    Returns
    -------
    typed : dict
        The valid values, typed (int, float, str, bool, lists, dicts).
    problems : list of str
        One sentence per problem, each naming its manifest key: unknown keys
        (with the closest declared name), wrong types, values out of range.
    """
    by_name = {p.name: p for p in declared}
    typed: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in values.items():
        param = by_name.get(key)
        if param is None:
            close = difflib.get_close_matches(str(key), list(by_name), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else (
                "known: " + ", ".join(sorted(by_name)) if by_name else "this technique takes no parameters")
            problems.append(f"parameter {key!r}: unknown ({hint})")
            continue
        try:
            typed[key] = coerce(param, value)
        except ValueError as exc:
            problems.append(f"parameter {key!r}: {exc}")
    return typed, problems


def parameter_reference(technique: str, declared: Sequence[Param], *, files: str = "") -> str:
    """The plain-text reference of one technique's parameters (``ssbkit params``).

    Parameters
    ----------
    technique : str
        The manifest technique name.
    declared : sequence of Param
        Its declaration.
    files : str
        What the measurement's ``file`` must list.

    Returns
    -------
    str
    """
    lines = [f"[{technique}]" + (f"  files: {files}" if files else "")]
    for p in declared:
        unit = f" [{p.unit}]" if p.unit else ""
        lines.append(f"  {p.name}{unit}: {p.doc}")
        lines.append(f"      type: {p.allowed()}")
        sources = []
        if p.from_sample is not None:
            sources.append(f"from the sample: {p.sample_doc}")
        if p.from_measurement is not None:
            sources.append(f"from the {p.from_measurement[0]} measurement of the same sample "
                           f"({p.from_measurement[1]})")
        if p.default is not None:
            sources.append(f"default {p.default!r}")
        if p.required:
            sources.append("required")
        if sources:
            lines.append("      " + "; ".join(sources))
    return "\n".join(lines)
