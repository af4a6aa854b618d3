"""Tokenize a statement file once per (tokenizer, max_seq_len, file content) (SPEC §5.6).

Every QAT / LM-only training rule and every seed reads the same LM inputs, so they are computed
once and stored in a content-addressed cache: `<cache_dir>/<key>.safetensors`, where `key`
hashes the statement file's bytes (sha256), `max_seq_len`, the tokenizer's identity (the sha256
of each tokenizer file of its directory, plus the transformers and tokenizers versions, which can
change how those files tokenize) and `ENCODING_VERSION` (bumped whenever `encode` changes). The
identity is computed from files, so a cache hit never loads the tokenizer or imports
transformers. A changed file, tokenizer or length is a new key, hence a new entry; an old entry
is never overwritten (a damaged one is: see below). The rule's own output is a hard link to the
entry (a copy where the filesystem cannot link), so Snakemake and DVC see an ordinary file with
the tensors.

LM inputs follow QA-GNN's `load_bert_xlnet_roberta_input_tensors` (also used by GreaseLM and
QAT): one (context, ending) pair per choice, context = the question stem (prefixed by `fact1` for
OpenBookQA-with-facts and by `para` where present), ending = " " + the choice text; the pair is
encoded with the tokenizer's own pair template and special tokens, `longest_first` truncation
to `max_seq_len`, padded to `max_seq_len`. The statement sentences themselves are not LM input
there (grounding uses them). Tensors, all int64: `input_ids`, `attention_mask`,
`token_type_ids` (when the tokenizer returns them) of shape [questions, choices, max_seq_len],
and `labels` [questions] = position of `answerKey` among the choices, -1 when unlabeled.
The safetensors metadata holds one entry, `lmlab`: a JSON object (sorted keys) with the key, its
parts, the question ids and `sha256`, the `content_sha256` of the tensors and the rest of the
metadata. One entry, because safetensors writes its metadata map in no fixed order: with several
entries the same tensors gave different bytes from run to run (and different DVC hashes); no
machine-specific path is stored either.

Integrity (lmlab.runtime.integrity): safetensors itself rejects a truncated file but not changed
tensor bytes, so `load_tokens` checks the content against `sha256` and raises `CorruptFileError`
naming the file. A damaged cache entry is rebuilt: a hit is checked first, and re-tokenized when
it fails (the rule output is a hard link to the entry, so damage to one is damage to both;
deleting a damaged output and re-running the rule replaces both).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from lmlab.data.csqa import Question, read_qa_jsonl
from lmlab.models.resolve import resolve_model
from lmlab.runtime.atomic import atomic_path, plain_mode
from lmlab.runtime.integrity import (
    CorruptFileError,
    check_content,
    content_sha256,
    file_sha256,
    reading,
)
from lmlab.runtime.logs import progress

log = logging.getLogger(__name__)

ENCODING_VERSION = 3
"""Bump when `encode` changes what it writes: every cached entry then gets a new key.
2: metadata as one sorted JSON entry, no tokenizer directory (byte-reproducible files).
3: the metadata records the tensors' sha256, checked on load."""
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spm.model",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
)
"""Files that define a Hugging Face tokenizer; those present form its identity."""
_BATCH = 4096


@dataclass
class CacheResult:
    """Where the tokens of one statement file are, and whether they were already cached."""

    key: str
    entry: Path
    hit: bool


def tokenizer_dir(model: str) -> Path:
    """The local directory of the tokenizer of a config `model` (`embedded`, a directory, or a
    hub id, whose tokenizer files are fetched into, or read offline from, the Hugging Face cache).
    """
    resolved = resolve_model(model)
    if Path(resolved).is_dir():
        return Path(resolved)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(resolved, allow_patterns=[*TOKENIZER_FILES, "config.json"]))


def tokenizer_identity(directory: str | os.PathLike) -> dict:
    """The sha256 of each tokenizer file in `directory`, and the tokenization library versions."""
    directory = Path(directory)
    files = {name: file_sha256(directory / name) for name in TOKENIZER_FILES
             if (directory / name).is_file()}  # fmt: skip
    if not files:
        raise FileNotFoundError(f"{directory}: no tokenizer files ({', '.join(TOKENIZER_FILES)})")
    versions = {lib: metadata.version(lib) for lib in ("transformers", "tokenizers")}
    return {"files": files, **versions}


def cache_key(statements_sha256: str, identity: dict, max_seq_len: int) -> str:
    """The entry name for these inputs (128 bits of a sha256 over their canonical JSON)."""
    parts = {
        "encoding_version": ENCODING_VERSION,
        "max_seq_len": max_seq_len,
        "statements_sha256": statements_sha256,
        "tokenizer": identity,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def lm_pairs(question: Question) -> tuple[str, list[str]]:
    """QA-GNN's LM input of one question: its context and one ending per choice."""
    context = question.stem
    for prefix in ("para", "fact1"):  # QA-GNN prepends `para`, then `fact1` in front of it
        if isinstance(question.raw.get(prefix), str):
            context = f"{question.raw[prefix]} {context}"
    return context, [f" {text}" for _, text in question.choices]


def encode(questions: list[Question], tokenizer, max_seq_len: int) -> dict[str, np.ndarray]:
    """Tokenize every (context, ending) pair in batches; tensors as in the module docstring."""
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(f"{type(tokenizer).__name__} is not a fast tokenizer")
    contexts, endings = [], []
    for question in questions:
        context, question_endings = lm_pairs(question)
        contexts += [context] * len(question_endings)
        endings += question_endings
    n_choices = len(questions[0].choices)
    batches: dict[str, list[np.ndarray]] = {}
    for start in progress(range(0, len(contexts), _BATCH), "tokenizing", unit=" batches"):
        stop = start + _BATCH
        encoded = tokenizer(
            contexts[start:stop],
            endings[start:stop],
            truncation="longest_first",
            max_length=max_seq_len,
            padding="max_length",
            return_tensors="np",
        )
        for name in ("input_ids", "attention_mask", "token_type_ids"):
            if name in encoded:
                batches.setdefault(name, []).append(encoded[name].astype(np.int64))
    tensors = {
        name: np.concatenate(parts).reshape(len(questions), n_choices, max_seq_len)
        for name, parts in batches.items()
    }
    labels = [-1 if q.answer_index is None else q.answer_index for q in questions]
    tensors["labels"] = np.asarray(labels, dtype=np.int64)
    return tensors


def tokenize_statements(
    statements: str | os.PathLike,
    model: str,
    max_seq_len: int,
    cache_dir: str | os.PathLike,
    output: str | os.PathLike | None = None,
) -> CacheResult:
    """Make sure the cache holds the tokens of `statements`; link them to `output` if given."""
    if max_seq_len < 8:
        raise ValueError(f"max_seq_len must be at least 8, got {max_seq_len}")
    directory = tokenizer_dir(model)
    identity = tokenizer_identity(directory)
    key = cache_key(file_sha256(statements), identity, max_seq_len)
    entry = Path(cache_dir) / f"{key}.safetensors"
    hit = entry.is_file() and _is_sound(entry)
    if hit:
        log.info("%s: cache hit %s", statements, entry)
    else:
        _write_entry(statements, directory, identity, key, max_seq_len, entry)
    if output is not None:
        _link(entry, Path(output))
    return CacheResult(key, entry, hit)


def _write_entry(
    statements: str | os.PathLike,
    directory: Path,
    identity: dict,
    key: str,
    max_seq_len: int,
    entry: Path,
) -> None:
    from safetensors.numpy import save_file
    from transformers import AutoTokenizer

    questions = read_qa_jsonl(statements).questions
    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    tensors = encode(questions, tokenizer, max_seq_len)
    meta = {
        "key": key,
        "encoding_version": str(ENCODING_VERSION),
        "max_seq_len": str(max_seq_len),
        "tokenizer": json.dumps(identity, sort_keys=True),
        "statements": str(statements),
        "qids": json.dumps([q.id for q in questions]),
    }
    meta["sha256"] = content_sha256({"metadata": meta, "tensors": tensors})
    with atomic_path(entry) as tmp:
        save_file(tensors, str(tmp), metadata={"lmlab": json.dumps(meta, sort_keys=True)})
        plain_mode(tmp)  # the safetensors writer leaves an owner-only file
    log.info("%s: %d questions tokenized into %s", statements, len(questions), entry)


def _is_sound(entry: Path) -> bool:
    """Whether a cache entry passes `load_tokens`'s checks; a damaged one is logged (and then
    re-tokenized by the caller)."""
    try:
        load_tokens(entry, framework="np")
    except CorruptFileError as err:
        log.warning("%s is truncated or corrupted (%s): rebuilding it", err.path, err.reason)
        return False
    return True


def _link(entry: Path, output: Path) -> None:
    """Make `output` the same file as `entry` (hard link; a copy across filesystems), with a
    fresh modification time: the job that links it is newer than its inputs, even on a hit."""
    if not (output.is_file() and os.path.samefile(entry, output)):
        # (renaming a link onto another link of the same file would do nothing, hence the test)
        with atomic_path(output) as tmp:
            tmp.unlink()
            try:
                os.link(entry, tmp)
            except OSError:
                shutil.copyfile(entry, tmp)
    os.utime(output)


def load_tokens(path: str | os.PathLike, framework: str = "pt") -> tuple[dict, dict[str, str]]:
    """The tensors (`framework` "pt" for torch, "np" for numpy) and the metadata of a tokens
    file; `json.loads(metadata["qids"])` are the question ids in tensor order. A truncated or
    changed file raises `CorruptFileError` naming it."""
    from safetensors import safe_open

    with reading(path), safe_open(str(path), framework=framework) as fh:
        tensors = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118
        metadata = json.loads(fh.metadata()["lmlab"])
    unsealed = {key: value for key, value in metadata.items() if key != "sha256"}
    check_content(path, metadata.get("sha256"), {"metadata": unsealed, "tensors": tensors})
    return tensors, metadata
