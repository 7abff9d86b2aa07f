"""Raw-file generators of the demo study, one module per technique.

Each module defines ``generate(directory, *, seed) -> list[dict]``: it writes
its raw files below ``directory`` (in a format its technique's reader
accepts) and returns one manifest ``[[measurements]]`` table per
measurement, with ``file`` relative to ``directory``.
"""
