"""What the technique packages share when they read through rosettasciio.

rosettasciio returns each dataset as a dict whose ``metadata`` and
``original_metadata`` are nested dicts of vendor keys; :func:`nested_get`
walks them without a chain of ``if key in …`` checks.
"""

from __future__ import annotations

__all__ = ["nested_get"]


def nested_get(tree, *keys):
    """The value at ``tree[keys[0]][keys[1]]…``, or None when any level is missing or not a dict.

    Examples
    --------
    >>> nested_get({"Acquisition_instrument": {"TEM": {"beam_energy": 200.0}}},
    ...            "Acquisition_instrument", "TEM", "beam_energy")
    200.0
    >>> nested_get({"Signal": "EELS"}, "Signal", "binned") is None
    True
    """
    node = tree
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
