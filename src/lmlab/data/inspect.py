"""`lmlab data inspect`: one JSON summary of a dataset file, to check it before a long job.

The format is recognised from the file's first line (JSON object, ConceptNet row, tab-separated
GLUE row, or relation names) and must agree with its extension when that is a known one (a gzip
file, e.g. ConceptNet's `.csv.gz`, is looked at decompressed, by the extension before `.gz`). The
file is then read with the same reader the pipeline uses, so the summary (good rows, label counts,
skipped rows with line numbers) is exactly what a training or graph stage would see.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from lmlab.data.conceptnet import (
    iter_assertions,
    language_of,
    read_relation_list,
    read_relation_merge,
)
from lmlab.data.csqa import read_qa_jsonl
from lmlab.data.glue import read_glue_tsv
from lmlab.data.rows import Skipped, open_binary
from lmlab.runtime.logs import progress

_EXTENSIONS = {
    ".tsv": {"glue_tsv"},
    ".jsonl": {"qa_jsonl"},
    ".csv": {"conceptnet_csv"},
    ".txt": {"conceptnet_relation_merge", "conceptnet_relation_list"},
}
_RELATION_LINE = re.compile(r"\*?[a-z]+(/\*?[a-z]+)*")
_SNIFF_BYTES = 1 << 16
_N_EXAMPLES = 5


def inspect_path(path: str | os.PathLike, task: str | None = None) -> dict[str, Any]:
    """Summarise one dataset file as a JSON-serialisable dict.

    Always present: `format` (glue_tsv, qa_jsonl, conceptnet_csv, conceptnet_relation_merge or
    conceptnet_relation_list), `task` (GLUE task, `csqa` or `obqa`; None for ConceptNet), `split`,
    `path`, `rows` (good rows), `label_counts`, `skipped` (count) and `skipped_examples` (the
    first 5 as {line, reason}); plus cheap format-specific figures. `task` names the GLUE task when
    the parent directory does not. An unrecognised file is a `ValueError` naming it.
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "glue_tsv":
        return _inspect_glue(path, task)
    if fmt == "qa_jsonl":
        return _inspect_qa(path)
    if fmt == "conceptnet_csv":
        return _inspect_assertions(path)
    if fmt == "conceptnet_relation_merge":
        return _inspect_relation_merge(path)
    return _inspect_relation_list(path)


def detect_format(path: str | os.PathLike) -> str:
    """The format name of `path` from its content, checked against its extension."""
    with open_binary(path) as fh:
        head = fh.read(_SNIFF_BYTES).decode("utf-8-sig", errors="replace")
    lines = [line.rstrip("\r") for line in head.split("\n") if line.strip()]
    if not lines:
        raise ValueError(f"{path}: empty file, unknown format")
    fmt = _format_of(lines)
    expected = _EXTENSIONS.get(Path(str(path).removesuffix(".gz")).suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown format (first line {lines[0][:80]!r})")
    if expected is not None and fmt not in expected:
        raise ValueError(f"{path}: content looks like {fmt}, extension says {sorted(expected)}")
    return fmt


def _format_of(lines: list[str]) -> str | None:
    first = lines[0]
    if first.startswith("{"):
        return "qa_jsonl"
    if "\t" in first:
        fields = first.split("\t")
        is_assertion = len(fields) == 5 and fields[0].startswith("/a/")
        return "conceptnet_csv" if is_assertion else "glue_tsv"
    if all(_RELATION_LINE.fullmatch(line.strip()) for line in lines):
        merged = any("/" in line or "*" in line for line in lines)
        return "conceptnet_relation_merge" if merged else "conceptnet_relation_list"
    return None


def _summary(
    fmt: str,
    task: str | None,
    split: str | None,
    path: Path,
    rows: int,
    label_counts: dict[str, Any],
    skipped: list[Skipped],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "format": fmt,
        "task": task,
        "split": split,
        "path": str(path),
        "rows": rows,
        "label_counts": label_counts,
        "skipped": len(skipped),
        "skipped_examples": [
            {"line": line, "reason": reason} for line, reason in skipped[:_N_EXAMPLES]
        ],
        **extra,
    }


def _inspect_glue(path: Path, task: str | None) -> dict[str, Any]:
    data = read_glue_tsv(path, task)
    spec, labels = data.spec, data.frame["label"]
    extra: dict[str, Any] = {}
    if spec.is_regression:
        scores = labels.dropna()
        counts: dict[str, Any] = _score_histogram(list(scores))
        if len(scores):
            extra["score"] = {
                "mean": round(float(scores.mean()), 4),
                "min": float(scores.min()),
                "max": float(scores.max()),
            }
        n_unlabeled = int(labels.isna().sum())
    else:
        ids = Counter(int(label) for label in labels)
        n_unlabeled = ids.pop(-1, 0)
        counts = {name: ids[i] for i, name in enumerate(spec.label_names)} if ids else {}
    if n_unlabeled:
        counts["unlabeled"] = n_unlabeled
    return _summary(
        "glue_tsv",
        spec.name,
        data.split,
        path,
        len(data.frame),
        counts,
        data.skipped,
        n_lines=data.n_lines,
        pair=spec.is_pair,
        metrics=list(spec.metrics),
        **extra,
    )


def _score_histogram(scores: list[float]) -> dict[str, int]:
    """Counts of STS-B scores in the unit bins [0,1), [1,2), ..., [4,5] (5 falls in the last)."""
    counts = Counter(min(math.floor(score), 4) for score in scores)
    return {f"{b}-{b + 1}": counts[b] for b in range(5)} if scores else {}


def _inspect_qa(path: Path) -> dict[str, Any]:
    data = read_qa_jsonl(path)
    keys = Counter(q.answer_key or "unlabeled" for q in data.questions)
    prefix = re.split(r"[._]", path.name)[0]  # dev_rand_split.jsonl, test.statement.jsonl
    return _summary(
        "qa_jsonl",
        data.dataset,
        prefix if prefix in ("train", "dev", "test") else path.stem,
        path,
        len(data.questions),
        dict(sorted(keys.items())),
        data.skipped,
        n_lines=data.n_lines,
        n_choices=data.n_choices,
        with_fact1=sum("fact1" in q.raw for q in data.questions),
    )


def _inspect_assertions(path: Path) -> dict[str, Any]:
    skipped: list[Skipped] = []
    relations: Counter[str] = Counter()
    languages: set[str | None] = set()
    english = 0
    for edge in progress(iter_assertions(path, skipped), desc="assertions", unit="rows"):
        relations[edge.relation] += 1
        head_language = language_of(edge.head)
        languages.add(head_language)
        english += head_language == "en" and language_of(edge.tail) == "en"
    return _summary(
        "conceptnet_csv",
        None,
        None,
        path,
        relations.total(),
        dict(relations.most_common()),
        skipped,
        relations=len(relations),
        english_rows=english,
        head_languages=len(languages - {None}),
    )


def _inspect_relation_merge(path: Path) -> dict[str, Any]:
    merge = read_relation_merge(path)
    groups = Counter(group for group, _ in merge.values())
    return _summary(
        "conceptnet_relation_merge",
        None,
        None,
        path,
        len(merge),
        dict(groups),
        [],
        groups=len(groups),
        reversed=sorted(relation for relation, (_, rev) in merge.items() if rev),
    )


def _inspect_relation_list(path: Path) -> dict[str, Any]:
    relations = read_relation_list(path)
    return _summary(
        "conceptnet_relation_list", None, None, path, len(relations), {}, [], relations=relations
    )
