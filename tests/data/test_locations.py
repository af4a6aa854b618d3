"""`data.files` entries: a missing path or the wrong kind of path is an error naming the config
key and the path; a GLUE hub id is not a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmlab.data.locations import check_data_entry


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    """A working directory with data/csqa/ and data/cpnet/assertions.csv.gz (relative paths are
    read from the working directory, as Snakemake does)."""
    (tmp_path / "data" / "csqa").mkdir(parents=True)
    (tmp_path / "data" / "cpnet").mkdir()
    (tmp_path / "data" / "cpnet" / "assertions.csv.gz").write_bytes(b"\x1f\x8b")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("csqa", "data/csqa"),
        ("obqa", "data/csqa"),
        ("conceptnet", "data/cpnet/assertions.csv.gz"),
        ("glue", "nyu-mll/glue"),
        ("glue", "glue"),
    ],
)
def test_existing_paths_and_glue_hub_ids_pass(data_dir, kind: str, value: str) -> None:
    check_data_entry(kind, value)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("csqa", "data/cqsa", "data/cqsa does not exist (expected a directory)"),
        ("conceptnet", "data/cpnet/assertions.csv", "data/cpnet/assertions.csv does not exist"),
        ("conceptnet", "data/cpnet", "data/cpnet is not a file"),
        ("obqa", "data/cpnet/assertions.csv.gz", "assertions.csv.gz is not a directory"),
        ("glue", "data/glue_data", "data/glue_data is neither an existing directory nor a hub"),
        ("glue", "./glue_data", "./glue_data is neither"),
    ],
)
def test_bad_entry_is_an_error_naming_key_and_path(
    data_dir, kind: str, value: str, message: str
) -> None:
    with pytest.raises(ValueError) as err:
        check_data_entry(kind, value)
    assert str(err.value).startswith(f"config data.files.{kind}: {value} ")
    assert message in str(err.value)
