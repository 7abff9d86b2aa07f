"""Equivalent-circuit strings: parsing and fast evaluation with impedance.py's elements.

The circuit language is impedance.py's (Murbach et al., J. Open Source Softw.
5 (2020) 2349, doi:10.21105/joss.02349): elements such as ``R0``, ``C1``,
``CPE1``, ``Wo1`` joined in series by ``-`` and in parallel by
``p(a, b, ...)``; parameters are named ``R0`` (one-parameter elements) or
``CPE1_0``, ``CPE1_1`` (several). The element functions themselves come from
``impedance.models.circuits.elements``; this module parses the string once
into a tree (so a syntax error is reported with its position) and evaluates
the tree directly instead of building and ``eval``-ing a string per call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from impedance.models.circuits.elements import circuit_elements

__all__ = ["Circuit", "parse_circuit"]

_NAME = re.compile(r"[A-Za-z]+[0-9_]*[0-9]*")


def _unwrapped(kind: str):
    """impedance.py's element function without its per-call type checks.

    ``impedance.models.circuits.elements.element`` wraps each function in a
    checker that loops over every frequency in Python on every call; the
    fit calls elements thousands of times with arrays this module has
    already checked, so it calls the wrapped function (held in the
    wrapper's closure) when it can find it, the wrapper otherwise.
    """
    wrapper = circuit_elements[kind]
    for cell in wrapper.__closure__ or ():
        inner = cell.cell_contents
        if callable(inner) and getattr(inner, "__name__", "") == kind:
            return inner
    return wrapper


_RAW = {kind: _unwrapped(kind) for kind in circuit_elements if kind not in ("s", "p")}


@dataclass(frozen=True)
class _Element:
    name: str
    kind: str
    start: int  # index of its first parameter in the parameter vector
    count: int


@dataclass(frozen=True)
class _Group:
    kind: str  # "s" or "p"
    children: tuple


@dataclass(frozen=True)
class Circuit:
    """A parsed equivalent circuit.

    Attributes
    ----------
    text : str
        The circuit string, white space removed.
    parameter_names : tuple of str
        impedance.py's names, in parameter-vector order.
    parameter_units : tuple of str
        Their units (impedance.py's element metadata).
    element_kinds : tuple of str
        Element type of each parameter's element (``"R"``, ``"CPE"``, ...).
    in_parallel : tuple of bool
        For each parameter, whether its element sits inside a ``p(...)``.
    """

    text: str
    parameter_names: tuple[str, ...]
    parameter_units: tuple[str, ...]
    element_kinds: tuple[str, ...]
    in_parallel: tuple[bool, ...]
    tree: object

    def impedance(self, parameters, frequency_hz) -> np.ndarray:
        """Complex impedance (Ohm) of the circuit at ``frequency_hz`` (Hz) for ``parameters``."""
        p = [float(v) for v in parameters]
        if len(p) != len(self.parameter_names):
            raise ValueError(
                f"circuit {self.text!r} takes {len(self.parameter_names)} parameters, got {len(p)}"
            )
        f = np.asarray(frequency_hz, dtype=float)
        return np.asarray(_evaluate(self.tree, p, f), dtype=complex)

    def __reduce__(self):
        return (parse_circuit, (self.text,))


def _evaluate(node, p, f):
    if isinstance(node, _Element):
        values = p[node.start : node.start + node.count]
        z = _RAW[node.kind](values, f)
        return z if np.ndim(z) else np.full(f.shape, z, dtype=complex)
    parts = [_evaluate(child, p, f) for child in node.children]
    if node.kind == "s":
        return np.sum(parts, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / np.sum([1.0 / z for z in parts], axis=0)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.names: list[str] = []
        self.units: list[str] = []
        self.kinds: list[str] = []
        self.parallel: list[bool] = []
        self.depth = 0
        self.seen: set[str] = set()

    def fail(self, problem: str):
        caret = " " * self.pos + "^"
        raise ValueError(
            f"circuit {self.text!r}: {problem} at position {self.pos}\n  {self.text}\n  {caret}"
        )

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def series(self):
        items = [self.item()]
        while self.peek() == "-":
            self.pos += 1
            items.append(self.item())
        return items[0] if len(items) == 1 else _Group("s", tuple(items))

    def item(self):
        if self.text.startswith("p(", self.pos):
            self.pos += 2
            self.depth += 1
            branches = [self.series()]
            while self.peek() == ",":
                self.pos += 1
                branches.append(self.series())
            self.depth -= 1
            if self.peek() != ")":
                self.fail("expected ',' or ')' to close p(")
            if len(branches) < 2:
                self.fail("p(...) needs at least two branches")
            self.pos += 1
            return _Group("p", tuple(branches))
        match = _NAME.match(self.text, self.pos)
        if not match:
            self.fail("expected an element (e.g. R0, CPE1) or p(")
        name = match.group(0)
        kind = "".join(ch for ch in name if ch not in "0123456789_")
        if kind not in circuit_elements or kind in ("s", "p"):
            self.fail(f"unknown element type {kind!r} (known: {sorted(set(circuit_elements) - {'s', 'p'})})")
        if name in self.seen:
            self.fail(f"element name {name!r} used twice")
        self.seen.add(name)
        func = circuit_elements[kind]
        start = len(self.names)
        for i in range(func.num_params):
            self.names.append(name if func.num_params == 1 else f"{name}_{i}")
            self.units.append(func.units[i])
            self.kinds.append(kind)
            self.parallel.append(self.depth > 0)
        self.pos = match.end()
        return _Element(name, kind, start, func.num_params)


def parse_circuit(text: str) -> Circuit:
    """Parse an impedance.py circuit string.

    Parameters
    ----------
    text : str
        E.g. ``"R0-p(R1,CPE1)-CPE2"``.

    Returns
    -------
    Circuit

    Raises
    ------
    ValueError
        Saying what is wrong and at which character position.

    Examples
    --------
    >>> parse_circuit("R0-p(R1,CPE1)-CPE2").parameter_names
    ('R0', 'R1', 'CPE1_0', 'CPE1_1', 'CPE2_0', 'CPE2_1')
    """
    if not isinstance(text, str):
        raise TypeError(f"circuit must be a string, got {type(text).__name__}")
    clean = text.replace(" ", "")
    parser = _Parser(clean)
    if not clean:
        parser.fail("empty circuit")
    tree = parser.series()
    if parser.pos != len(clean):
        parser.fail(f"unexpected {parser.peek()!r}")
    return Circuit(clean, tuple(parser.names), tuple(parser.units), tuple(parser.kinds),
                   tuple(parser.parallel), tree)
