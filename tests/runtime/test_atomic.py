import os

import pytest

from lmlab.runtime.atomic import atomic_path, write_json


def test_file_appears_only_when_block_succeeds(tmp_path):
    target = tmp_path / "out" / "a.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("partial")
        assert not target.exists()
    assert target.read_text() == "partial"


def test_failure_leaves_no_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_previous_complete_file(tmp_path):
    target = tmp_path / "a.json"
    write_json(target, {"v": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("{")
        raise RuntimeError
    assert target.read_text() == '{\n  "v": 1\n}\n'


def test_directory_is_replaced_whole(tmp_path):
    target = tmp_path / "ckpt"
    with atomic_path(target, directory=True) as tmp:
        (tmp / "w.bin").write_bytes(b"1")
    with atomic_path(target, directory=True) as tmp:
        (tmp / "v.bin").write_bytes(b"2")
    assert sorted(p.name for p in target.iterdir()) == ["v.bin"]
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_outputs_get_the_umask_mode_not_owner_only(tmp_path):
    umask = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {})
        with atomic_path(tmp_path / "d", directory=True):
            pass
    finally:
        os.umask(umask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755
