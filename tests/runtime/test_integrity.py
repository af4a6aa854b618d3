"""Integrity records: every file format lmlab reads back detects a truncated or changed file and
names it, for files written by the project's own writers; the records keep outputs
byte-reproducible. (The training loop's checkpoint, which is discarded rather than reported, is
tested in tests/training/test_loop.py; the token cache's rebuild in tests/text.)"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from lmlab.graph.metapath import MetaPaths, metapaths
from lmlab.graph.subgraph_store import Subgraph, Subgraphs
from lmlab.models.classifier import load_classifier, save_classifier
from lmlab.pelt.methods import apply_method
from lmlab.pelt.stored import load_stored, save_stored
from lmlab.runtime.integrity import (
    MANIFEST,
    CorruptFileError,
    check_manifest,
    content_sha256,
    load_npz,
    reading,
    save_npz,
    write_manifest,
)
from lmlab.text.tokenize_cache import load_tokens, tokenize_statements

from ..pelt.helpers import tiny_config
from ..tiny_models import build_tiny


def truncate(path: Path) -> None:
    """Cut the file to half its bytes (a disk full or a copy stopped half-way)."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip(path: Path) -> None:
    """Invert every bit of the middle byte (a bad sector, a faulty transfer)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def subgraphs(statements: int = 40) -> Subgraphs:
    """Random subgraphs of 5-14 nodes (a few thousand array bytes in all)."""
    rng = np.random.default_rng(0)
    graphs = []
    for _ in range(statements):
        n, e = int(rng.integers(5, 15)), int(rng.integers(4, 30))
        graphs.append(
            Subgraph(
                concepts=rng.permutation(500)[:n],
                scores=rng.random(n, dtype=np.float32),
                num_qc=2,
                num_ac=1,
                context_score=float(rng.random()),
                edge_rel=rng.integers(0, 17, e),
                edge_src=rng.integers(0, n, e),
                edge_dst=rng.integers(0, n, e),
            )
        )
    return Subgraphs.from_list(graphs, num_relations=17, num_choices=5)


def token_cache(tmp_path: Path) -> tuple[Path, Callable]:
    lines = []
    for i in range(20):
        choices = [{"label": c, "text": f"answer {c} of {i}"} for c in "ABCDE"]
        question = {"stem": f"Which answer is right for question {i}?", "choices": choices}
        lines.append(json.dumps({"id": f"q{i}", "question": question, "answerKey": "A"}))
    (tmp_path / "dev.statement.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "dev.tokens.safetensors"
    tokenize_statements(tmp_path / "dev.statement.jsonl", "embedded", 32, tmp_path / "cache", out)
    return out, lambda: load_tokens(out, framework="np")


def subgraph_file(tmp_path: Path) -> tuple[Path, Callable]:
    path = tmp_path / "dev.subgraph.npz"
    subgraphs().save(path)
    return path, lambda: Subgraphs.load(path)


def metapath_file(tmp_path: Path) -> tuple[Path, Callable]:
    path = tmp_path / "dev.metapath.npz"
    metapaths(subgraphs()).save(path)
    return path, lambda: MetaPaths.load(path)


def classifier_checkpoint(tmp_path: Path, tokenizer) -> tuple[Path, Callable]:
    save_classifier(build_tiny("bert-sdpa"), tokenizer, tmp_path / "ckpt_final")
    return tmp_path / "ckpt_final" / "model.safetensors", lambda: load_classifier(
        tmp_path / "ckpt_final"
    )


def pelt_stored(tmp_path: Path, tokenizer) -> tuple[Path, Callable]:
    save_stored(apply_method(build_tiny("bert-sdpa"), tiny_config("lora")), tmp_path / "stored")
    return tmp_path / "stored" / "pelt.safetensors", lambda: load_stored(
        build_tiny("bert-sdpa"), tmp_path / "stored"
    )


FORMATS = {
    "token cache": lambda tmp_path, tokenizer: token_cache(tmp_path),
    "subgraph": lambda tmp_path, tokenizer: subgraph_file(tmp_path),
    "meta-path": lambda tmp_path, tokenizer: metapath_file(tmp_path),
    "classifier checkpoint": classifier_checkpoint,
    "UniPELT stored artefact": pelt_stored,
}


@pytest.mark.parametrize("damage", [truncate, flip], ids=["truncated", "byte flipped"])
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_a_damaged_file_is_reported_with_its_path(kind, damage, tmp_path, tiny_tokenizer):
    path, load = FORMATS[kind](tmp_path, tiny_tokenizer)
    load()  # intact: loads
    damage(path)
    with pytest.raises(CorruptFileError, match=re.escape(str(path))) as caught:
        load()
    # what to delete so that the step writes it again: the file, or its checkpoint directory
    output = "it" if path.parent == tmp_path else str(path.parent)
    assert f"delete {output} and re-run" in str(caught.value)


def test_an_npz_change_that_numpy_and_zip_would_miss_is_caught(tmp_path):
    # numpy reads a member only as far as its npy header says: with the shape digit changed, a
    # large array's zip CRC is never checked and an empty array would load.
    path = tmp_path / "a.npz"
    save_npz(path, {"values": np.arange(100_000), "count": np.int64(3)})
    data = path.read_bytes()
    assert data.count(b"(100000,)") == 1
    path.write_bytes(data.replace(b"(100000,)", b"(000000,)"))
    with np.load(path) as npz:
        assert npz["values"].shape == (0,)  # what a plain np.load gives, silently
    with pytest.raises(CorruptFileError, match="does not match its sha256"):
        load_npz(path, {"values", "count"}, "test")


def test_an_npz_without_a_record_or_with_other_arrays_is_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", values=np.arange(3))
    with pytest.raises(CorruptFileError, match="no integrity record"):
        load_npz(tmp_path / "plain.npz", {"values"}, "test")
    with pytest.raises(ValueError, match=r"not a test file \(missing \['other'\]\)"):
        load_npz(tmp_path / "plain.npz", {"values", "other"}, "test")


def test_manifest_names_a_missing_or_changed_file(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"0123456789")
    (tmp_path / "b.json").write_text("{}")
    write_manifest(tmp_path)
    check_manifest(tmp_path)
    (tmp_path / "a.bin").write_bytes(b"0123456788")  # same size, other bytes
    with pytest.raises(CorruptFileError, match=re.escape(f"{tmp_path / 'a.bin'} is truncated")):
        check_manifest(tmp_path)
    (tmp_path / "b.json").unlink()
    write_manifest(tmp_path)
    (tmp_path / "a.bin").unlink()
    with pytest.raises(CorruptFileError, match="missing"):
        check_manifest(tmp_path)
    (tmp_path / MANIFEST).unlink()
    with pytest.raises(CorruptFileError, match="no integrity record"):
        check_manifest(tmp_path)


def test_content_digest_is_independent_of_layout_but_not_of_content():
    arrays = {"x": np.arange(6).reshape(2, 3), "n": np.int64(17)}
    tensors = {"n": torch.tensor(17), "x": torch.arange(6).reshape(2, 3)}
    assert content_sha256(arrays) == content_sha256(tensors)  # numpy or torch, any key order
    assert content_sha256({**arrays, "x": np.arange(6).reshape(3, 2)}) != content_sha256(arrays)
    assert content_sha256({**arrays, "x": np.arange(6.0).reshape(2, 3)}) != content_sha256(arrays)
    assert content_sha256([1, "1"]) != content_sha256([1, 1.0])


def test_a_missing_file_keeps_its_own_error(tmp_path):
    with pytest.raises(FileNotFoundError), reading(tmp_path / "absent"):
        (tmp_path / "absent").read_bytes()


def test_records_keep_outputs_byte_identical(tmp_path, tiny_tokenizer):
    tokens = []
    for name in ("one", "two"):
        (tmp_path / "tokens").mkdir()
        tokens.append(token_cache(tmp_path / "tokens")[0].read_bytes())
        shutil.rmtree(tmp_path / "tokens")  # a second run from scratch, same paths
        subgraphs().save(tmp_path / f"{name}.npz")
        save_classifier(build_tiny("bert-sdpa"), tiny_tokenizer, tmp_path / name)
    assert tokens[0] == tokens[1]
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    for file in sorted((tmp_path / "one").iterdir()):
        assert file.read_bytes() == (tmp_path / "two" / file.name).read_bytes(), file.name
