"""Statement tokenization cache: hits never load a tokenizer, every input change is a new entry,
the cached tensors equal direct tokenization, the rule output is the same file as the entry, and
a damaged entry is rebuilt."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from lmlab.cli import main
from lmlab.models.resolve import embedded_model_dir
from lmlab.runtime.integrity import CorruptFileError
from lmlab.text import tokenize_cache
from lmlab.text.tokenize_cache import load_tokens, tokenize_statements


def qa_line(qid: str, stem: str, answer: str | None, n: int = 5, **extra) -> str:
    choices = [
        {"label": label, "text": f"{stem.split()[0]} choice {label}"} for label in "ABCDE"[:n]
    ]
    body = {"id": qid, "question": {"stem": stem, "choices": choices}, **extra}
    if answer:
        body["answerKey"] = answer
    return json.dumps(body) + "\n"


@pytest.fixture
def statements(tmp_path: Path) -> Path:
    path = tmp_path / "dev.statement.jsonl"
    stems = ["Where would you find a cat?", "What is red and round?", "Why do birds sing " * 6]
    lines = [qa_line(f"q{i}", stem, "ABC"[i]) for i, stem in enumerate(stems)]
    path.write_text("".join(lines) + qa_line("q3", "Who is there?", None), encoding="utf-8")
    return path


@pytest.fixture
def own_tokenizer(tmp_path: Path) -> Path:
    """A copy of the embedded tokenizer's files (and config) that a test may change."""
    directory = tmp_path / "tok"
    directory.mkdir()
    for name in (*tokenize_cache.TOKENIZER_FILES, "config.json"):
        if (embedded_model_dir() / name).is_file():
            shutil.copy(embedded_model_dir() / name, directory / name)
    return directory


def test_second_run_is_a_hit_that_never_loads_a_tokenizer(statements, tmp_path, monkeypatch):
    first = tokenize_statements(statements, "embedded", 32, tmp_path / "cache")
    assert not first.hit

    def no_tokenizer(*args, **kwargs):
        raise AssertionError("the tokenizer was loaded on a cache hit")

    monkeypatch.setattr("transformers.AutoTokenizer.from_pretrained", no_tokenizer)
    monkeypatch.setattr(tokenize_cache, "encode", no_tokenizer)
    second = tokenize_statements(statements, "embedded", 32, tmp_path / "cache")
    assert second.hit and second.entry == first.entry and second.key == first.key


def test_changed_file_length_or_tokenizer_is_a_new_entry(statements, own_tokenizer, tmp_path):
    cache = tmp_path / "cache"
    base = tokenize_statements(statements, str(own_tokenizer), 32, cache)
    longer = tokenize_statements(statements, str(own_tokenizer), 48, cache)
    with statements.open("a", encoding="utf-8") as fh:
        fh.write(qa_line("q9", "Where is the sun?", "A"))
    edited = tokenize_statements(statements, str(own_tokenizer), 32, cache)
    config = json.loads((own_tokenizer / "tokenizer_config.json").read_text())
    config["do_lower_case"] = not config.get("do_lower_case", True)
    (own_tokenizer / "tokenizer_config.json").write_text(json.dumps(config))
    retokenized = tokenize_statements(statements, str(own_tokenizer), 32, cache)
    keys = {r.key for r in (base, longer, edited, retokenized)}
    assert len(keys) == 4 and not any(r.hit for r in (base, longer, edited, retokenized))
    assert sorted(p.stem for p in cache.iterdir()) == sorted(keys)  # old entries are kept
    assert tokenize_statements(statements, str(own_tokenizer), 48, cache).hit is False
    assert tokenize_statements(statements, str(own_tokenizer), 48, cache).hit


def test_same_tokenizer_files_elsewhere_share_the_entry(statements, own_tokenizer, tmp_path):
    cache = tmp_path / "cache"
    embedded = tokenize_statements(statements, "embedded", 32, cache)
    assert tokenize_statements(statements, str(own_tokenizer), 32, cache).key == embedded.key


def test_cached_tensors_equal_direct_pair_tokenization(statements, tmp_path):
    from transformers import AutoTokenizer

    result = tokenize_statements(statements, "embedded", 24, tmp_path / "cache")
    tensors, meta = load_tokens(result.entry, framework="np")
    tokenizer = AutoTokenizer.from_pretrained(str(embedded_model_dir()))
    lines = [json.loads(x) for x in statements.read_text().splitlines()]
    contexts = [x["question"]["stem"] for x in lines for _ in range(5)]
    endings = [" " + c["text"] for x in lines for c in x["question"]["choices"]]
    direct = tokenizer(contexts, endings, truncation="longest_first", max_length=24,
                       padding="max_length", return_tensors="np")  # fmt: skip
    assert set(tensors) == {"input_ids", "attention_mask", "token_type_ids", "labels"}
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert tensors[name].shape == (4, 5, 24) and tensors[name].dtype == np.int64
        np.testing.assert_array_equal(tensors[name].reshape(20, 24), direct[name])
    assert tensors["labels"].tolist() == [0, 1, 2, -1]  # -1: no answerKey
    assert json.loads(meta["qids"]) == ["q0", "q1", "q2", "q3"]
    assert meta["max_seq_len"] == "24" and meta["key"] == result.key


def test_obqa_fact_is_prepended_to_the_context(tmp_path: Path):
    path = tmp_path / "obqa.jsonl"
    path.write_text(qa_line("o1", "The sun is a", "B", n=4, fact1="stars are hot"), "utf-8")
    result = tokenize_statements(path, "embedded", 32, tmp_path / "cache")
    tensors, _ = load_tokens(result.entry, framework="np")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(embedded_model_dir()))
    text = tokenizer.decode(tensors["input_ids"][0, 0], skip_special_tokens=True)
    assert text.startswith("stars are hot the sun is a")
    assert tensors["input_ids"].shape == (1, 4, 32) and tensors["labels"].tolist() == [1]


def test_output_is_a_hard_link_to_the_entry_and_relinking_is_clean(statements, tmp_path):
    out = tmp_path / "text" / "dev.tokens.safetensors"
    first = tokenize_statements(statements, "embedded", 32, tmp_path / "cache", out)
    assert os.path.samefile(first.entry, out)
    tokenize_statements(statements, "embedded", 32, tmp_path / "cache", out)
    assert os.path.samefile(first.entry, out)
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary files left


def test_cli_runs_standalone_and_reports_hits(statements, tmp_path, capsys):
    cache, out = str(tmp_path / "cache"), str(tmp_path / "t.safetensors")
    args = ["text", "tokenize", str(statements), "--max-seq-len", "16"]
    args += ["--cache-dir", cache, "--output", out]
    assert main(args) == 0
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("new ") and printed[1].startswith("hit ")
    assert (tmp_path / "t.safetensors").is_file()


def test_too_short_length_is_an_error(statements, tmp_path):
    with pytest.raises(ValueError, match="max_seq_len"):
        tokenize_statements(statements, "embedded", 4, tmp_path / "cache")


def test_a_damaged_cache_entry_is_rebuilt_on_the_next_run(statements, tmp_path, caplog):
    out = tmp_path / "text" / "dev.tokens.safetensors"
    first = tokenize_statements(statements, "embedded", 32, tmp_path / "cache", out)
    intact = first.entry.read_bytes()
    data = bytearray(intact)
    data[len(data) // 2] ^= 0xFF  # the output is a link to the entry: both are damaged
    out.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match=re.escape(f"{out} is truncated or corrupted")):
        load_tokens(out)
    with caplog.at_level("WARNING", logger="lmlab.text.tokenize_cache"):
        again = tokenize_statements(statements, "embedded", 32, tmp_path / "cache", out)
    assert f"{first.entry} is truncated or corrupted" in caplog.text
    assert not again.hit and again.entry == first.entry
    assert out.read_bytes() == intact and os.path.samefile(again.entry, out)
    assert tokenize_statements(statements, "embedded", 32, tmp_path / "cache", out).hit
