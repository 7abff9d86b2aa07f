"""A safe reader for the literal subset of Perl that Athena project files use.

Athena (Demeter) writes a project as a (usually gzipped) series of Perl
assignment statements produced by ``Data::Dumper``, one per line::

    $old_group = 'trbj';
    @args = ('label','AlPO4','bkg_e0','2148.08', ...);
    @x = ('2100.02','2100.48', ...);
    $xdi = bless( {'metadata' => {'Element' => {'symbol' => 'P'}}}, 'Xray::XDI' );

Larch evaluates these lines with a restricted interpreter; here they are
*parsed*, never evaluated: a small recursive-descent parser accepts only
literals (single- and double-quoted strings, numbers, ``undef``), lists
``( ... )``, array references ``[ ... ]``, hash references ``{ k => v }`` and
``bless( value, 'Class' )``, and rejects everything else with a
:class:`~ssbkit.errors.FormatError`.

References
----------
B. Ravel, M. Newville, "ATHENA, ARTEMIS, HEPHAESTUS: data analysis for X-ray
absorption spectroscopy using IFEFFIT", J. Synchrotron Rad. 12, 537 (2005),
doi:10.1107/S0909049505012719 (the program that writes these files).
"""

from __future__ import annotations

import re
from typing import Any

from ssbkit.errors import FormatError

__all__ = ["parse_statement"]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<squote>'(?:[^'\\]|\\.)*')
  | (?P<dquote>"(?:[^"\\]|\\.)*")
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<arrow>=>)
  | (?P<punct>[()\[\]{},;=])
  | (?P<word>[A-Za-z_][A-Za-z_0-9:]*)
  | (?P<var>[$@%][A-Za-z_][A-Za-z_0-9]*)
    """,
    re.VERBOSE,
)


def _unquote(text: str) -> str:
    body = text[1:-1]
    if text[0] == "'":
        # Perl single quotes know only two escapes: \\ and \'.
        return re.sub(r"\\([\\'])", r"\1", body)
    return re.sub(r"\\(.)", r"\1", body)


class _Parser:
    def __init__(self, line: str, *, path, line_number: int):
        self.path = path
        self.line_number = line_number
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(line):
            match = _TOKEN.match(line, pos)
            if match is None:
                self._fail(f"unexpected character {line[pos]!r} at column {pos + 1}")
            kind = match.lastgroup
            if kind != "space":
                self.tokens.append((kind, match.group(), pos))
            pos = match.end()
        self.index = 0

    def _fail(self, message: str):
        raise FormatError(
            f"not a valid Athena project statement: {message}", path=self.path, line=self.line_number
        )

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            self._fail(f"statement ends early (expected {expected or 'more'})")
        if expected is not None and token[1] != expected:
            self._fail(f"expected {expected!r}, found {token[1]!r} at column {token[2] + 1}")
        self.index += 1
        return token

    def value(self) -> Any:
        kind, text, column = self.take()
        if kind == "squote" or kind == "dquote":
            return _unquote(text)
        if kind == "number":
            number = float(text)
            return int(number) if re.fullmatch(r"[-+]?\d+", text) else number
        if text == "(":
            return self.sequence(")")
        if text == "[":
            return self.sequence("]")
        if text == "{":
            return self.mapping()
        if kind == "word" and text == "undef":
            return None
        if kind == "word" and text == "bless":
            self.take("(")
            inner = self.value()
            self.take(",")
            self.value()  # the class name
            self.take(")")
            return inner
        self._fail(f"unsupported token {text!r} at column {column + 1}")

    def sequence(self, closing: str) -> list:
        items: list = []
        while True:
            token = self.peek()
            if token is None:
                self._fail(f"missing {closing!r}")
            if token[1] == closing:
                self.index += 1
                return items
            items.append(self.value())
            token = self.peek()
            if token is not None and token[1] in (",", "=>"):
                self.index += 1

    def mapping(self) -> dict:
        items = self.sequence("}")
        if len(items) % 2:
            self._fail("hash with an odd number of elements")
        return {str(items[i]): items[i + 1] for i in range(0, len(items), 2)}


def parse_statement(line: str, *, path=None, line_number: int | None = None) -> tuple[str, Any]:
    """Parse one Perl assignment ``$name = value;`` / ``@name = (...);``.

    Parameters
    ----------
    line : str
        One statement (Athena writes one per line).
    path : str or Path, optional
        File the line comes from, named in error messages.
    line_number : int, optional
        1-based line number, named in error messages.

    Returns
    -------
    name : str
        Variable name without its sigil, e.g. ``"args"``.
    value : object
        Python value: ``str``, ``int``, ``float``, ``None``, ``list`` or ``dict``.

    Raises
    ------
    FormatError
        When the line is not an assignment of literals.

    Examples
    --------
    >>> parse_statement("@x = ('1.5','2',3);")
    ('x', ['1.5', '2', 3])
    >>> parse_statement("$xdi = bless( {'a' => [1]}, 'Xray::XDI' );")
    ('xdi', {'a': [1]})
    """
    parser = _Parser(line, path=path, line_number=line_number or 0)
    kind, name, _ = parser.take()
    if kind != "var":
        parser._fail(f"expected a variable, found {name!r}")
    parser.take("=")
    value = parser.value()
    token = parser.peek()
    if token is not None and token[1] == ";":
        parser.index += 1
    if parser.peek() is not None:
        parser._fail(f"unexpected {parser.peek()[1]!r} after the value")
    return name[1:], value
