"""The per-measurement result cache: keys, atomic entries, a killed writer, damaged files."""

import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ssbkit.report.cache import CacheEntry, ResultCache, code_version, entry_key
from ssbkit.report.registry import Section
from ssbkit.study import FileRecord


def _key(**changes):
    base = dict(technique="eis", label="EIS 1", sample={"id": "LCO"},
                files=[FileRecord(Path("/data/a.csv"), "0" * 64, 10)], parameters={"method": "fit", "x": 0.1},
                origins={"method": "manifest"}, version="0.1.0+abc")
    base.update(changes)
    return entry_key(**base)


def test_key_changes_with_everything_a_section_depends_on():
    key = _key()
    assert key == _key() and len(key) == 64
    others = [
        _key(files=[FileRecord(Path("/data/a.csv"), "1" * 64, 10)]),          # content
        _key(files=[FileRecord(Path("/data/b.csv"), "0" * 64, 10)]),          # path (results name their source)
        _key(parameters={"method": "fit", "x": 0.1000000001}),                # a parameter, exactly
        _key(origins={"method": "sample"}),                                    # where a value came from
        _key(version="0.1.0+abd"),                                             # the code
        _key(label="EIS 2"), _key(sample={"id": "LCO", "x": 1}), _key(technique="cycling"),
    ]
    assert len({key, *others}) == len(others) + 1


def test_key_does_not_depend_on_dict_order():
    assert _key(parameters={"x": 0.1, "method": "fit"}) == _key()


def test_code_version_names_the_version_and_a_source_digest():
    from ssbkit import __version__

    version, digest = code_version().split("+")
    assert version == __version__ and len(digest) == 12


def test_round_trip(tmp_path):
    cache = ResultCache(tmp_path)
    section = Section("eis", "t", summary={"r_ohm": 1.5})
    cache.put("ab" * 32, CacheEntry(section, {"f.png": b"\x89PNG"}, "log", 1.0))
    entry = cache.get("ab" * 32)
    assert entry.section == section and entry.figures == {"f.png": b"\x89PNG"} and entry.log == "log"
    assert cache.get("cd" * 32) is None and (cache.hits, cache.misses) == (1, 1)


def test_a_failed_write_leaves_no_entry_and_no_temporary(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)

    def broken_dump(obj, handle, protocol=None):
        handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(pickle, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        cache.put("ab" * 32, CacheEntry(Section("eis", "t"), {}))
    monkeypatch.undo()
    assert cache.get("ab" * 32) is None
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path):
    cache = ResultCache(tmp_path)
    path = cache.put("ab" * 32, CacheEntry(Section("eis", "t"), {"f.png": b"x" * 1000}))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])          # truncated (a machine crash before the data hit the disk)
    assert cache.get("ab" * 32) is None
    path.write_bytes(pickle.dumps({"format": 1, "key": "cd" * 32, "entry": None}))   # another key's content
    assert cache.get("ab" * 32) is None


_WRITER = """
import sys
from ssbkit.report.cache import CacheEntry, ResultCache
from ssbkit.report.registry import Section
cache = ResultCache(sys.argv[1])
blob = bytes(range(256)) * (4 << 12)       # 4 MiB of figure bytes: a write takes a while
k = 0
while True:
    cache.put(f"{k:064x}", CacheEntry(Section("eis", str(k)), {"f.png": blob}))
    print(k, flush=True)
    k += 1
"""


def test_a_killed_writer_never_leaves_a_readable_partial_entry(tmp_path):
    """SIGKILL a process writing 4 MiB entries in a loop: every entry under its final name is whole."""
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(3):                      # at least three entries done, the next one under way
            proc.stdout.readline()
        time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    cache = ResultCache(tmp_path)
    finals = sorted(tmp_path.glob("*/*.pkl"))
    assert len(finals) >= 3
    for path in finals:
        entry = cache.get(path.stem)
        assert entry is not None and len(entry.figures["f.png"]) == 4 << 20
    # what the killed write left is a hidden temporary, never read, removed once stale
    left = len(list(tmp_path.glob("*/.*.tmp")))
    assert cache.remove_stale_temporaries(older_than_s=0.0) == left
    assert list(tmp_path.glob("*/.*.tmp")) == []


def test_the_code_version_of_the_keys_can_be_pinned(tmp_path):
    assert ResultCache(tmp_path).version == code_version()
    assert ResultCache(tmp_path, version="0.1.0+pinned").version == "0.1.0+pinned"
