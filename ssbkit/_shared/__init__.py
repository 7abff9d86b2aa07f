"""Small helpers every technique package needs (see DESIGN.md beside this file).

Imports only the standard library, numpy and :mod:`ssbkit.errors`.
"""

from ssbkit._shared import finite, limits
from ssbkit._shared.finite import NonFiniteWarning, drop_nonfinite_rows, require_finite
from ssbkit._shared.limits import (
    check_size,
    check_zip,
    gunzip,
    read_bytes,
    read_text,
    regular_file,
    sha256_file,
    size_limits,
)

__all__ = [
    "finite",
    "limits",
    "NonFiniteWarning",
    "drop_nonfinite_rows",
    "require_finite",
    "check_size",
    "check_zip",
    "gunzip",
    "read_bytes",
    "read_text",
    "regular_file",
    "sha256_file",
    "size_limits",
]
