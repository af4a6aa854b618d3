"""`inspect_path`: one JSON summary per file, for every real sample file (counts verified with
awk/grep, as in the reader tests) and for hand-written files of each format."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from lmlab.cli import main
from lmlab.data.inspect import detect_format, inspect_path

MERGE_GROUPS = {
    "atlocation": 2,
    "capableof": 1,
    "causes": 3,
    "createdby": 1,
    "desires": 1,
    "antonym": 2,
    "hascontext": 1,
    "hasproperty": 1,
    "hassubevent": 6,
    "isa": 3,
    "madeof": 1,
    "notcapableof": 1,
    "notdesires": 1,
    "partof": 2,
    "relatedto": 3,
    "usedfor": 1,
    "receivesaction": 1,
}


def _nli(entailment: int, neutral: int, contradiction: int) -> dict[str, int]:
    return {"entailment": entailment, "neutral": neutral, "contradiction": contradiction}


# file -> (format, task, split, rows, label_counts)
REAL_SUMMARIES = {
    "glue/RTE/train.tsv": (
        "glue_tsv",
        "RTE",
        "train",
        2490,
        {"entailment": 1249, "not_entailment": 1241},
    ),
    "glue/RTE/dev.tsv": ("glue_tsv", "RTE", "dev", 277, {"entailment": 146, "not_entailment": 131}),
    "glue/RTE/test.tsv": ("glue_tsv", "RTE", "test", 3000, {"unlabeled": 3000}),
    "glue/SST-2/dev.tsv": ("glue_tsv", "SST-2", "dev", 872, {"negative": 428, "positive": 444}),
    "glue/MRPC/dev.tsv": (
        "glue_tsv",
        "MRPC",
        "dev",
        408,
        {"not_equivalent": 129, "equivalent": 279},
    ),
    "glue/MNLI/train.tsv": ("glue_tsv", "MNLI", "train", 3, _nli(2, 1, 0)),
    "glue/MNLI/dev_matched.tsv": ("glue_tsv", "MNLI", "dev_matched", 2, _nli(0, 1, 1)),
    "glue/MNLI/dev_mismatched.tsv": ("glue_tsv", "MNLI", "dev_mismatched", 2, _nli(0, 0, 2)),
    "glue/MNLI/test_matched.tsv": ("glue_tsv", "MNLI", "test_matched", 1, {"unlabeled": 1}),
    "glue/MNLI/test_mismatched.tsv": ("glue_tsv", "MNLI", "test_mismatched", 1, {"unlabeled": 1}),
    "csqa/dev_rand_split.jsonl": (
        "qa_jsonl",
        "csqa",
        "dev",
        1221,
        {"A": 239, "B": 255, "C": 241, "D": 251, "E": 235},
    ),
    "csqa/test_rand_split_no_answers.jsonl": (
        "qa_jsonl",
        "csqa",
        "test",
        1140,
        {"unlabeled": 1140},
    ),
    "qagnn/test_data.jsonl": ("qa_jsonl", "csqa", "test", 1, {"unlabeled": 1}),
    "qagnn/statement/test.statement.jsonl": ("qa_jsonl", "csqa", "test", 1, {"unlabeled": 1}),
    "conceptnet/merge_relation.txt": ("conceptnet_relation_merge", None, None, 31, MERGE_GROUPS),
    "conceptnet/relation.txt": ("conceptnet_relation_list", None, None, 17, {}),
}
# Not dataset files for inspect: the id list, QA-GNN's grounding output and its adj pickle.
REAL_REJECTED = {
    "csqa/inhouse_split_qids.txt": "unknown format",
    "qagnn/grounded/test.grounded.jsonl": "5 of 5 records are malformed",
    "qagnn/graph/test.graph.adj.pk": "unknown format",
}


def test_every_real_file_is_covered(real_data: Path) -> None:
    files = {str(p.relative_to(real_data)) for p in real_data.rglob("*") if p.is_file()}
    covered = {*REAL_SUMMARIES, *REAL_REJECTED, "conceptnet/assertions.csv", "SOURCES.md"}
    assert files == covered


@pytest.mark.parametrize("name", sorted(REAL_SUMMARIES))
def test_real_file_summary(real_data: Path, name: str) -> None:
    fmt, task, split, rows, label_counts = REAL_SUMMARIES[name]
    summary = inspect_path(real_data / name)
    assert summary["format"] == fmt
    assert (summary["task"], summary["split"], summary["rows"]) == (task, split, rows)
    assert summary["label_counts"] == label_counts
    assert (summary["skipped"], summary["skipped_examples"]) == (0, [])
    assert summary["path"] == str(real_data / name)
    assert json.loads(json.dumps(summary)) == summary


def test_real_conceptnet_summary(real_data: Path) -> None:
    summary = inspect_path(real_data / "conceptnet" / "assertions.csv")
    assert (summary["format"], summary["rows"], summary["skipped"]) == ("conceptnet_csv", 764, 0)
    assert summary["relations"] == 16
    assert summary["english_rows"] == 96
    assert summary["head_languages"] == 44
    assert summary["label_counts"]["/r/Synonym"] == 408
    assert sum(summary["label_counts"].values()) == 764
    assert json.loads(json.dumps(summary)) == summary


def test_gzip_conceptnet_summary_equals_the_plain_files(real_data: Path, tmp_path) -> None:
    plain = real_data / "conceptnet" / "assertions.csv"
    packed = tmp_path / "assertions.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    summary = inspect_path(packed)
    assert summary.pop("path") == str(packed)
    expected = inspect_path(plain)
    expected.pop("path")
    assert summary == expected


@pytest.mark.parametrize("name", sorted(REAL_REJECTED))
def test_real_non_dataset_files_are_errors_naming_them(real_data: Path, name: str) -> None:
    with pytest.raises(ValueError, match=REAL_REJECTED[name]) as err:
        inspect_path(real_data / name)
    assert str(real_data / name) in str(err.value)


def test_real_merge_summary_lists_reversed_relations(real_data: Path) -> None:
    summary = inspect_path(real_data / "conceptnet" / "merge_relation.txt")
    assert (summary["groups"], summary["reversed"]) == (17, ["hasa", "motivatedbygoal"])


def test_glue_skipped_examples_are_the_first_five_with_line_numbers(write) -> None:
    good = [f"{i}\tA.\tB.\tentailment" for i in range(7)]
    bad = [f"{i}\tbroken" for i in range(6)]
    lines = [
        "index\tsentence1\tsentence2\tlabel",
        *[x for pair in zip(good[:6], bad, strict=True) for x in pair],
    ]
    summary = inspect_path(write("WNLI_copy/train.tsv", "\n".join(lines) + "\n" + good[6]), "RTE")
    assert (summary["task"], summary["rows"], summary["skipped"]) == ("RTE", 7, 6)
    assert summary["label_counts"] == {"entailment": 7, "not_entailment": 0}
    assert summary["skipped_examples"] == [
        {"line": line, "reason": "2 columns, expected 4"} for line in (3, 5, 7, 9, 11)
    ]


def test_stsb_summary_has_a_score_histogram(write) -> None:
    header = (
        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
    )
    scores = ["0.0", "0.8", "2.5", "3.2", "4.0", "5.000"]
    rows = [f"{i}\tg\tf\t2012\t{i}\ts\ts\tA.\tB.\t{score}" for i, score in enumerate(scores)]
    summary = inspect_path(write("STS-B/dev.tsv", header + "\n".join(rows)))
    assert summary["label_counts"] == {"0-1": 2, "1-2": 0, "2-3": 1, "3-4": 1, "4-5": 2}
    assert summary["score"] == {"mean": 2.5833, "min": 0.0, "max": 5.0}
    assert summary["metrics"] == ["spearman", "pearson"]


def test_obqa_summary(write) -> None:
    choices = [{"label": label, "text": label.lower()} for label in "ABCD"]
    lines = [
        {
            "id": "7-1",
            "question": {"stem": "Q?", "choices": choices},
            "answerKey": "B",
            "fact1": "f",
        },
        {"id": "7-2", "question": {"stem": "Q?", "choices": choices}, "answerKey": "B"},
    ]
    path = write("OpenBookQA/train_complete.jsonl", "\n".join(map(json.dumps, lines)) + "\n")
    summary = inspect_path(path)
    assert (summary["format"], summary["task"], summary["split"]) == ("qa_jsonl", "obqa", "train")
    assert (summary["n_choices"], summary["with_fact1"], summary["label_counts"]) == (
        4,
        1,
        {"B": 2},
    )


def test_format_is_detected_from_content(write) -> None:
    assert (
        detect_format(write("a.csv", "/a/[x]\t/r/IsA\t/c/en/a\t/c/en/b\t{}\n")) == "conceptnet_csv"
    )
    assert detect_format(write("glue", "sentence\tlabel\ngood\t1\n")) == "glue_tsv"
    assert detect_format(write("m.txt", "isa\npartof/*hasa\n")) == "conceptnet_relation_merge"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("notes.md", "# just some notes\n", "unknown format"),
        ("empty.tsv", "\n\n", "empty file"),
        ("dev.csv", "sentence\tlabel\ngood\t1\n", r"looks like glue_tsv, extension says"),
        ("train.tsv", '{"id": "q1"}\n', r"looks like qa_jsonl, extension says"),
    ],
)
def test_unknown_or_mismatched_format_is_an_error_naming_the_file(
    write, name: str, text: str, message: str
) -> None:
    path = write(name, text)
    with pytest.raises(ValueError, match=message) as err:
        inspect_path(path)
    assert str(path) in str(err.value)


def test_cli_prints_and_writes_the_summary(write, tmp_path, capsys) -> None:
    path = write("SST-2/dev.tsv", "sentence\tlabel\ngood .\t1\nbad .\t0\n")
    out = tmp_path / "summary.json"
    assert main(["data", "inspect", str(path), "--output", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert (printed["task"], printed["rows"]) == ("SST-2", 2)
    assert main(["data", "inspect", str(write("x.md", "?\n"))]) == 2
