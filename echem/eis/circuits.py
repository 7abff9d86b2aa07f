"""Equivalent-circuit strings: parsing and fast evaluation with analytic derivatives.

The circuit language is impedance.py's (Murbach et al., J. Open Source Softw.
5 (2020) 2349, doi:10.21105/joss.02349): elements such as ``R0``, ``C1``,
``CPE1``, ``Wo1`` joined in series by ``-`` and in parallel by
``p(a, b, ...)``; parameters are named ``R0`` (one-parameter elements) or
``CPE1_0``, ``CPE1_1`` (several). The string is parsed once into a tree (so
a syntax error is reported with its position). The common elements are
written out here together with their parameter derivatives, so a fit gets
an exact Jacobian from one evaluation instead of one evaluation per
parameter:

=========  ==========================  ===========================================
element    parameters (units)          impedance
=========  ==========================  ===========================================
R          R (Ohm)                     R
C          C (F)                       1/(jωC)
L          L (H)                       jωL
CPE        Q (Ohm^-1 sec^a), α         1/(Q (jω)^α)
W          A_w (Ohm sec^-1/2)          A_w (1 − j)/√ω (semi-infinite Warburg)
Ws         R (Ohm), τ (sec)            R tanh(√(jωτ))/√(jωτ) (transmissive)
Wo         R (Ohm), τ (sec)            R coth(√(jωτ))/√(jωτ) (reflective)
G          R (Ohm), τ (sec)            R/√(1 + jωτ) (Gerischer)
GFW        R (Ohm), τ (sec), p         R tanh((jωτ)^p)/(jωτ)^p (generalised
                                       finite-length Warburg, free exponent)
=========  ==========================  ===========================================

The finite-length Warburg forms follow Lasia, Electrochemical Impedance
Spectroscopy and its Applications (Springer 2014,
doi:10.1007/978-1-4614-8933-7), ch. 4; the Gerischer element Boukamp &
Bouwmeester, Solid State Ionics 157 (2003) 29,
doi:10.1016/S0167-2738(02)00185-6; the free exponent of ``GFW`` is the
"anomalous diffusion" generalisation of Bisquert & Compte, J. Electroanal.
Chem. 499 (2001) 112, doi:10.1016/S0022-0728(00)00497-4. The other elements
of impedance.py (``La``, ``T``, ``K``, ``Zarc``, ``TLMQ``, ``Gs``) are
evaluated with its functions and differentiated numerically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from impedance.models.circuits.elements import circuit_elements

__all__ = ["ELEMENTS", "Circuit", "parse_circuit"]

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


class _Omega:
    """Angular frequencies and the quantities every element reuses (computed once per call)."""

    __slots__ = ("w", "jw", "log_jw", "size", "shape")

    def __init__(self, w):
        self.w = w
        self.jw = 1j * w
        self.log_jw = np.log(w) + 0.5j * np.pi
        self.size = w.size
        self.shape = w.shape


# Each element: (z, dz) = func(p, om) with dz of shape (n_params, n_freq).
def _r(p, om):
    return np.full(om.shape, p[0], dtype=complex), np.ones((1, om.size), dtype=complex)


def _c(p, om):
    z = 1.0 / (p[0] * om.jw)
    return z, (-z / p[0])[None, :]


def _l(p, om):
    return om.jw * p[0], om.jw[None, :]


def _cpe(p, om):
    z = np.exp(-p[1] * om.log_jw) / p[0]
    dz = np.empty((2, om.size), dtype=complex)
    np.divide(z, -p[0], out=dz[0])
    np.multiply(z, -om.log_jw, out=dz[1])
    return z, dz


def _w(p, om):
    shape = (1 - 1j) / np.sqrt(om.w)
    return p[0] * shape, shape[None, :]


def _tanh_over(x):
    """tanh(x)/x and its derivative in x."""
    t = np.tanh(x)
    return t / x, (1 - t * t) / x - t / (x * x)


def _coth_over(x):
    """coth(x)/x and its derivative in x."""
    c = 1.0 / np.tanh(x)
    return c / x, (1 - c * c) / x - c / (x * x)


def _ws(p, om):
    s = np.sqrt(om.jw * p[1])
    g, dg = _tanh_over(s)
    return p[0] * g, np.vstack([g, p[0] * dg * s / (2 * p[1])])


def _wo(p, om):
    s = np.sqrt(om.jw * p[1])
    g, dg = _coth_over(s)
    return p[0] * g, np.vstack([g, p[0] * dg * s / (2 * p[1])])


def _g(p, om):
    a = 1 + om.jw * p[1]
    z = p[0] / np.sqrt(a)
    return z, np.vstack([z / p[0], -0.5 * z * om.jw / a])


def _gfw(p, om):
    log_jwt = om.log_jw + np.log(p[1])
    x = np.exp(p[2] * log_jwt)
    g, dg = _tanh_over(x)
    return p[0] * g, np.vstack([g, p[0] * dg * p[2] * x / p[1], p[0] * dg * x * log_jwt])


#: Elements written out here: kind -> (function, parameter units).
ELEMENTS = {
    "R": (_r, ("Ohm",)), "C": (_c, ("F",)), "L": (_l, ("H",)),
    "CPE": (_cpe, ("Ohm^-1 sec^a", "")), "W": (_w, ("Ohm sec^-1/2",)),
    "Ws": (_ws, ("Ohm", "sec")), "Wo": (_wo, ("Ohm", "sec")), "G": (_g, ("Ohm", "sec")),
    "GFW": (_gfw, ("Ohm", "sec", "")),
}


def _numeric(kind: str):
    """An impedance.py element with a forward-difference derivative."""
    raw = _unwrapped(kind)

    def func(p, om):
        f = om.w / (2 * np.pi)
        z = np.asarray(raw(list(p), f), dtype=complex)
        z = z if z.ndim else np.full(om.shape, z, dtype=complex)
        dz = np.empty((len(p), om.size), dtype=complex)
        for i in range(len(p)):
            q = list(p)
            step = 1e-7 * max(abs(q[i]), 1e-30)
            q[i] += step
            dz[i] = (np.asarray(raw(q, f), dtype=complex) - z) / step
        return z, dz

    return func


_KNOWN = {kind: (ELEMENTS[kind][0] if kind in ELEMENTS else _numeric(kind),
                 ELEMENTS[kind][1] if kind in ELEMENTS else tuple(circuit_elements[kind].units))
          for kind in sorted(set(circuit_elements) | set(ELEMENTS)) if kind not in ("s", "p")}


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
        p = self._check(parameters)
        w = 2 * np.pi * np.atleast_1d(np.asarray(frequency_hz, dtype=float))
        with np.errstate(all="ignore"):
            z = _evaluate(self.tree, p, _Omega(w), False)[0]
        return z.reshape(np.shape(frequency_hz))

    def impedance_and_jacobian(self, parameters, frequency_hz) -> tuple[np.ndarray, np.ndarray]:
        """Impedance (n,) and its derivatives with respect to each parameter, shape (p, n)."""
        p = self._check(parameters)
        w = 2 * np.pi * np.asarray(frequency_hz, dtype=float).ravel()
        with np.errstate(all="ignore"):
            z, blocks = _evaluate(self.tree, p, _Omega(w), True)
        return z, _jacobian_matrix(blocks, p.size, w.size)

    def _check(self, parameters) -> np.ndarray:
        p = np.asarray(parameters, dtype=float).ravel()
        if p.size != len(self.parameter_names):
            raise ValueError(
                f"circuit {self.text!r} takes {len(self.parameter_names)} parameters, got {p.size}"
            )
        return p

    @property
    def n_parameters(self) -> int:
        """Number of parameters."""
        return len(self.parameter_names)

    def __reduce__(self):
        return (parse_circuit, (self.text,))


def _evaluate(node, p, om, with_jacobian):
    """(Z, blocks) of a tree node; blocks is a list of (start, dZ/dp of the parameters
    start, start+1, ...) (None without ``with_jacobian``)."""
    if isinstance(node, _Element):
        z, dz = _KNOWN[node.kind][0](p[node.start : node.start + node.count], om)
        return z, ([(node.start, dz)] if with_jacobian else None)
    parts = [_evaluate(child, p, om, with_jacobian) for child in node.children]
    if node.kind == "s":
        z = parts[0][0]
        for part in parts[1:]:
            z = z + part[0]
        return z, ([b for part in parts for b in part[1]] if with_jacobian else None)
    if True:
        y = 1.0 / parts[0][0]
        for part in parts[1:]:
            y = y + 1.0 / part[0]
        z = 1.0 / y
        if not with_jacobian:
            return z, None
        blocks = []
        for zi, bi in parts:
            factor = (z / zi) ** 2
            blocks.extend((start, block * factor) for start, block in bi)
    return z, blocks


def _jacobian_matrix(blocks, n_params, n_freq):
    dz = np.zeros((n_params, n_freq), dtype=complex)
    for start, block in blocks:
        dz[start : start + block.shape[0]] = block
    return dz


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
        if kind not in _KNOWN:
            self.fail(f"unknown element type {kind!r} (known: {sorted(_KNOWN)})")
        if name in self.seen:
            self.fail(f"element name {name!r} used twice")
        self.seen.add(name)
        units = _KNOWN[kind][1]
        start = len(self.names)
        for i, unit in enumerate(units):
            self.names.append(name if len(units) == 1 else f"{name}_{i}")
            self.units.append(unit)
            self.kinds.append(kind)
            self.parallel.append(self.depth > 0)
        self.pos = match.end()
        return _Element(name, kind, start, len(units))


@lru_cache(maxsize=512)
def _parse_cached(clean: str) -> Circuit:
    parser = _Parser(clean)
    if not clean:
        parser.fail("empty circuit")
    tree = parser.series()
    if parser.pos != len(clean):
        parser.fail(f"unexpected {parser.peek()!r}")
    return Circuit(clean, tuple(parser.names), tuple(parser.units), tuple(parser.kinds),
                   tuple(parser.parallel), tree)


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
    return _parse_cached(text.replace(" ", ""))
