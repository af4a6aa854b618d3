"""GLUE readers: the `glue_data/<TASK>/*.tsv` files as distributed, and the `nyu-mll/glue` hub ids.

Both paths give the same `GlueSplit` (a frame with `text_a`, `text_b`, `label`), so UniPELT and the
head study never care where the data came from. The tsv files are read with quoting off: a `"`
is a literal character (RTE and MRPC have hundreds), never the start of a quoted field that would
swallow the following lines. Columns are found by header name (MNLI train has 12 columns, dev 16),
except in CoLA's headerless train/dev files. Malformed rows are skipped and counted (SPEC §10).
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lmlab.data.rows import Skipped, check_rows, iter_lines

_STANDARD_FILES = {"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"}
_MNLI_FILES = {
    "train": "train.tsv",
    "dev": "dev_matched.tsv",
    "test": "test_matched.tsv",
    "dev_matched": "dev_matched.tsv",
    "dev_mismatched": "dev_mismatched.tsv",
    "test_matched": "test_matched.tsv",
    "test_mismatched": "test_mismatched.tsv",
}


@dataclass(frozen=True)
class TaskSpec:
    """How one GLUE task is laid out on disk and on the hub, and how it is scored.

    `label_values` are the label strings as written in the tsv files and `label_names` the class
    names of the hub's `ClassLabel`, both in class-id order (id = position), so a local file and the
    hub give the same ids. Both are empty for STS-B, whose label is a float score in [0, 5].
    """

    name: str  # directory name in glue_data
    hub_config: str  # config name of nyu-mll/glue
    text_columns: tuple[str, ...]  # tsv header names of sentence 1 (and 2)
    label_column: str  # tsv header name of the label
    label_values: tuple[str, ...]
    label_names: tuple[str, ...]
    metrics: tuple[str, ...]
    hub_text_columns: tuple[str, ...]
    files: dict[str, str] = field(default_factory=lambda: dict(_STANDARD_FILES), hash=False)
    # Column names of train/dev files that have no header line (CoLA); None: every file has one.
    headerless_columns: tuple[str, ...] | None = None

    @property
    def is_regression(self) -> bool:
        """True for STS-B: the label is a float score, not a class id."""
        return not self.label_names

    @property
    def is_pair(self) -> bool:
        """True when an example is a sentence pair (`text_b` is set)."""
        return len(self.text_columns) == 2

    @property
    def train_dev_have_header(self) -> bool:
        """False for CoLA, whose train/dev files start with data (its test file has a header)."""
        return self.headerless_columns is None

    def file_name(self, split: str) -> str:
        """The tsv file name of `split` (`dev` is `dev_matched` for MNLI)."""
        if split not in self.files:
            raise ValueError(
                f"GLUE {self.name} has no split {split!r}; known: {sorted(self.files)}"
            )
        return self.files[split]

    def hub_split(self, split: str) -> str:
        """The hub's split name for `split`: `dev` -> `validation` (`validation_matched`, MNLI)."""
        return Path(self.file_name(split)).stem.replace("dev", "validation")


_BINARY = ("0", "1")
_NLI = ("entailment", "not_entailment")
_PAIR = ("sentence1", "sentence2")
_MNLI_LABELS = ("entailment", "neutral", "contradiction")

GLUE_TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            name="CoLA",
            hub_config="cola",
            text_columns=("sentence",),
            label_column="label",
            label_values=_BINARY,
            label_names=("unacceptable", "acceptable"),
            metrics=("mcc",),
            hub_text_columns=("sentence",),
            headerless_columns=("source", "label", "author_label", "sentence"),
        ),
        TaskSpec(
            name="SST-2",
            hub_config="sst2",
            text_columns=("sentence",),
            label_column="label",
            label_values=_BINARY,
            label_names=("negative", "positive"),
            metrics=("accuracy",),
            hub_text_columns=("sentence",),
        ),
        TaskSpec(
            name="MRPC",
            hub_config="mrpc",
            text_columns=("#1 String", "#2 String"),
            label_column="Quality",
            label_values=_BINARY,
            label_names=("not_equivalent", "equivalent"),
            metrics=("f1", "accuracy"),
            hub_text_columns=_PAIR,
        ),
        TaskSpec(
            name="STS-B",
            hub_config="stsb",
            text_columns=_PAIR,
            label_column="score",
            label_values=(),
            label_names=(),
            metrics=("spearman", "pearson"),  # Spearman first: UniPELT reports it
            hub_text_columns=_PAIR,
        ),
        TaskSpec(
            name="QQP",
            hub_config="qqp",
            text_columns=("question1", "question2"),
            label_column="is_duplicate",
            label_values=_BINARY,
            label_names=("not_duplicate", "duplicate"),
            metrics=("f1", "accuracy"),
            hub_text_columns=("question1", "question2"),
        ),
        TaskSpec(
            name="MNLI",
            hub_config="mnli",
            text_columns=_PAIR,
            label_column="gold_label",
            label_values=_MNLI_LABELS,
            label_names=_MNLI_LABELS,
            metrics=("accuracy",),  # on dev_matched
            hub_text_columns=("premise", "hypothesis"),
            files=_MNLI_FILES,
        ),
        TaskSpec(
            name="QNLI",
            hub_config="qnli",
            text_columns=("question", "sentence"),
            label_column="label",
            label_values=_NLI,
            label_names=_NLI,
            metrics=("accuracy",),
            hub_text_columns=("question", "sentence"),
        ),
        TaskSpec(
            name="RTE",
            hub_config="rte",
            text_columns=_PAIR,
            label_column="label",
            label_values=_NLI,
            label_names=_NLI,
            metrics=("accuracy",),
            hub_text_columns=_PAIR,
        ),
        TaskSpec(
            name="WNLI",
            hub_config="wnli",
            text_columns=_PAIR,
            label_column="label",
            label_values=_BINARY,
            label_names=("not_entailment", "entailment"),
            metrics=("accuracy",),
            hub_text_columns=_PAIR,
        ),
    )
}


def glue_task(name: str) -> TaskSpec:
    """The spec of a task named as in glue_data (`SST-2`) or on the hub (`sst2`), any case."""
    wanted = _normalise(name)
    for spec in GLUE_TASKS.values():
        if wanted in (_normalise(spec.name), spec.hub_config):
            return spec
    raise ValueError(f"unknown GLUE task {name!r}; known: {', '.join(GLUE_TASKS)}")


def _normalise(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


@dataclass
class GlueSplit:
    """One split of one task: `frame` has `text_a` (str), `text_b` (str, or None for single-sentence
    tasks) and `label` (class id, or float score for STS-B; -1 or NaN when unlabeled).

    `skipped` lists the malformed rows as (1-based line number, reason); `n_lines` is the number of
    lines in the file, header included (a last line without newline counts), or of hub rows.
    """

    task: str
    split: str
    path: str
    frame: pd.DataFrame
    skipped: list[Skipped]
    n_lines: int

    @property
    def spec(self) -> TaskSpec:
        """The task's `TaskSpec`."""
        return GLUE_TASKS[self.task]


def read_glue_tsv(
    path: str | os.PathLike, task: str | None = None, split: str | None = None
) -> GlueSplit:
    """Read one GLUE tsv file as distributed in `glue_data/<TASK>/`.

    `task` defaults to the parent directory's name and `split` to the file name's stem
    (`dev_matched.tsv` -> `dev_matched`). Only `test*` splits may lack the label column (their
    labels are then -1, or NaN for STS-B). A row with the wrong number of columns, an empty label
    or an STS-B score outside [0, 5] is skipped and recorded with its line number; an unknown class
    label (a wrong task or a corrupt file, SPEC §10), more than half of the rows malformed, or no
    good row is a `ValueError` naming the file (and the line).
    """
    path = Path(path)
    spec = _task_of(path, task)
    skipped: list[Skipped] = []
    lines = iter_lines(path, skipped)
    first = next(lines, None)
    if first is None:
        raise ValueError(f"{path}: no readable line (empty file)")
    columns, has_header = _columns(spec, path, first[1])
    if not has_header:
        lines = itertools.chain([first], lines)
    split = split or path.stem
    text_at = [columns.index(name) for name in spec.text_columns]
    label_at = columns.index(spec.label_column) if spec.label_column in columns else None
    if label_at is None and not split.startswith("test"):
        raise ValueError(f"{path}: no {spec.label_column!r} column in the {split} split's header")
    class_ids = {value: i for i, value in enumerate(spec.label_values)}

    text_a: list[str] = []
    text_b: list[str | None] = []
    labels: list[int | float] = []
    n_lines = first[0]
    for number, line in lines:
        n_lines = number
        fields = line.split("\t")
        if len(fields) != len(columns):
            shape = f"{len(fields)} columns, expected {len(columns)}"
            skipped.append((number, shape if line.strip() else "empty line"))
            continue
        label = math.nan if spec.is_regression else -1
        if label_at is not None:
            value = fields[label_at].strip()
            label = _score(value) if spec.is_regression else class_ids.get(value)
            if label is None and value and not spec.is_regression:
                # SPEC §10: an unknown class label means a wrong task or a corrupt file.
                raise ValueError(f"{path}:{number}: {_bad_label(spec, value)}")
            if label is None:
                skipped.append((number, _bad_label(spec, value)))
                continue
        text_a.append(fields[text_at[0]])
        text_b.append(fields[text_at[1]] if spec.is_pair else None)
        labels.append(label)
    n_lines = max(n_lines, skipped[-1][0] if skipped else 0)  # a last line may be undecodable
    check_rows(path, len(labels), skipped)
    frame = _frame(spec, text_a, text_b, labels)
    return GlueSplit(spec.name, split, str(path), frame, skipped, n_lines)


def _task_of(path: Path, task: str | None) -> TaskSpec:
    if task:
        return glue_task(task)
    try:
        return glue_task(path.parent.name)
    except ValueError as err:
        raise ValueError(f"{path}: cannot tell the GLUE task from its directory; {err}") from None


def _columns(spec: TaskSpec, path: Path, first_line: str) -> tuple[tuple[str, ...], bool]:
    """The column names and whether line 1 is a header (it is not in CoLA train/dev).

    A line 1 that is neither the task's header nor (CoLA) a data row with a valid label is an
    error naming the expected and the found columns: the file is another task's, or not GLUE.
    """
    header = tuple(first_line.split("\t"))
    if all(name in header for name in spec.text_columns):
        return header, True
    if spec.headerless_columns and len(header) == len(spec.headerless_columns):
        label = header[spec.headerless_columns.index(spec.label_column)]
        if label in spec.label_values:
            return spec.headerless_columns, False
    expected = f"a header with columns {list(spec.text_columns)}"
    if spec.headerless_columns:
        expected += f" or a headerless row {list(spec.headerless_columns)}"
    found = [name[:40] for name in header]
    raise ValueError(
        f"{path}: line 1 is not a GLUE {spec.name} header (expected {expected}, found {found}); "
        "is this another task's file?"
    )


def _bad_label(spec: TaskSpec, value: str) -> str:
    if not value:
        return "empty label"
    if spec.is_regression:
        return f"score {value!r} is not a number in [0, 5]"
    return f"unknown label {value!r} (expected one of {list(spec.label_values)})"


def _score(value: str) -> float | None:
    """An STS-B similarity score in [0, 5], or None when the value is not one."""
    try:
        score = float(value)
    except ValueError:
        return None
    return score if 0.0 <= score <= 5.0 else None


def _frame(spec: TaskSpec, text_a: list, text_b: list, labels: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text_a": pd.Series(text_a, dtype=object),
            "text_b": pd.Series(text_b, dtype=object),
            "label": pd.Series(labels, dtype="float64" if spec.is_regression else "int64"),
        }
    )


def load_glue(task: str, split: str, source: str | os.PathLike) -> GlueSplit:
    """Load `split` (train/dev/test, or an MNLI matched/mismatched split) of a GLUE task.

    `source` is a local `glue_data` directory (the file `<source>/<TASK>/<split file>.tsv` is read)
    when that path exists, otherwise a dataset hub id such as `nyu-mll/glue`, loaded through
    `datasets.load_dataset(source, <hub config>, split=<hub split>)`. Hub test labels are -1
    (NaN for STS-B), as in an unlabeled local test file.
    """
    spec = glue_task(task)
    if Path(source).exists():
        return read_glue_tsv(Path(source) / spec.name / spec.file_name(split), spec.name, split)
    return _load_hub(spec, split, str(source))


def _load_hub(spec: TaskSpec, split: str, hub_id: str) -> GlueSplit:
    import datasets  # heavy import, only needed on this path

    where = f"{hub_id} ({spec.hub_config}, {spec.hub_split(split)})"
    data = datasets.load_dataset(hub_id, spec.hub_config, split=spec.hub_split(split))
    missing = [c for c in (*spec.hub_text_columns, "label") if c not in data.column_names]
    if missing:
        raise ValueError(f"{where}: missing columns {missing}; has {data.column_names}")
    names = getattr(data.features["label"], "names", None)
    if names is not None and tuple(names) != spec.label_names:
        raise ValueError(f"{where}: label names {names}, expected {list(spec.label_names)}")
    table = data.to_pandas()
    check_rows(where, len(table), [])
    labels = table["label"].astype("float64" if spec.is_regression else "int64")
    if spec.is_regression:
        labels = labels.where(labels >= 0)  # the hub marks unlabeled STS-B rows with -1.0
    elif not labels.between(-1, len(spec.label_names) - 1).all():
        raise ValueError(f"{where}: label ids outside -1..{len(spec.label_names) - 1}")
    text_b = table[spec.hub_text_columns[1]] if spec.is_pair else [None] * len(table)
    frame = _frame(spec, list(table[spec.hub_text_columns[0]]), list(text_b), list(labels))
    return GlueSplit(spec.name, split, hub_id, frame, [], len(table))
