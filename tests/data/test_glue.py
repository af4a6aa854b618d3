"""GLUE readers: every real sample file with counts verified by awk/grep, hand-written edge cases,
and the hub path with a stand-in `datasets.load_dataset`."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import datasets
import pytest

from lmlab.data.glue import GLUE_TASKS, GlueSplit, glue_task, load_glue, read_glue_tsv

# file -> (good rows, lines, label id counts, rows with a literal `"`), counted with
# `awk -F'\t' 'NR>1{print $NF}' | sort | uniq -c` and `grep -c '"'` on the files.
REAL_GLUE = {
    "RTE/train.tsv": (2490, 2491, {0: 1249, 1: 1241}, 454),
    "RTE/dev.tsv": (277, 278, {0: 146, 1: 131}, 48),
    "RTE/test.tsv": (3000, 3001, {-1: 3000}, 504),
    "SST-2/dev.tsv": (872, 873, {0: 428, 1: 444}, 0),
    "MRPC/dev.tsv": (408, 409, {0: 129, 1: 279}, 85),
    "MNLI/train.tsv": (3, 4, {0: 2, 1: 1}, 0),
    "MNLI/dev_matched.tsv": (2, 3, {1: 1, 2: 1}, 0),
    "MNLI/dev_mismatched.tsv": (2, 3, {2: 2}, 0),
    "MNLI/test_matched.tsv": (1, 2, {-1: 1}, 0),
    "MNLI/test_mismatched.tsv": (1, 2, {-1: 1}, 0),
}

RTE_HEADER = "index\tsentence1\tsentence2\tlabel\n"
STSB_HEADER = (
    "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
)


def test_every_real_glue_file_is_covered(real_data: Path) -> None:
    files = {str(p.relative_to(real_data / "glue")) for p in (real_data / "glue").rglob("*.tsv")}
    assert files == set(REAL_GLUE)


@pytest.mark.parametrize("name", sorted(REAL_GLUE))
def test_real_file_rows_and_labels_match_independent_counts(real_data: Path, name: str) -> None:
    rows, lines, label_counts, with_quotes = REAL_GLUE[name]
    data = read_glue_tsv(real_data / "glue" / name)
    assert (data.task, data.split) == (name.split("/")[0], Path(name).stem)
    assert data.skipped == []
    assert (len(data.frame), data.n_lines) == (rows, lines)
    assert dict(Counter(data.frame["label"])) == label_counts
    texts = data.frame["text_a"] + "\t" + data.frame["text_b"].fillna("")
    assert texts.str.contains('"', regex=False).sum() == with_quotes
    assert not texts.str.contains("\n").any()


def test_real_mnli_columns_are_found_by_header_name(real_data: Path) -> None:
    train = read_glue_tsv(real_data / "glue" / "MNLI" / "train.tsv").frame  # 12 columns
    dev = read_glue_tsv(real_data / "glue" / "MNLI" / "dev_matched.tsv").frame  # 16 columns
    assert train.loc[0, "text_a"].startswith("Conceptually cream skimming has two basic")
    assert train.loc[0, "text_b"] == "Product and geography are what make cream skimming work. "
    assert train.loc[0, "label"] == 1  # neutral
    assert dev.loc[0, "text_a"] == "The new rights are nice enough"


def test_real_mrpc_bom_header_and_literal_leading_quote(real_data: Path) -> None:
    data = read_glue_tsv(real_data / "glue" / "MRPC" / "dev.tsv")
    assert data.frame.loc[0, "label"] == 1
    assert data.frame.loc[0, "text_b"].startswith('" The foodservice pie business')


def test_load_glue_reads_glue_data_directory_and_mnli_dev_is_matched(real_data: Path) -> None:
    rte = load_glue("rte", "dev", real_data / "glue")
    assert (rte.task, rte.split, len(rte.frame)) == ("RTE", "dev", 277)
    mnli = load_glue("MNLI", "dev", str(real_data / "glue"))
    assert Path(mnli.path).name == "dev_matched.tsv"
    assert list(mnli.frame["label"]) == [1, 2]  # neutral, contradiction


def test_task_specs_cover_the_nine_tasks() -> None:
    assert list(GLUE_TASKS) == [
        "CoLA",
        "SST-2",
        "MRPC",
        "STS-B",
        "QQP",
        "MNLI",
        "QNLI",
        "RTE",
        "WNLI",
    ]
    assert GLUE_TASKS["CoLA"].metrics == ("mcc",)
    assert GLUE_TASKS["MRPC"].metrics == ("f1", "accuracy")
    assert GLUE_TASKS["STS-B"].metrics == ("spearman", "pearson")
    assert GLUE_TASKS["STS-B"].label_names == () and GLUE_TASKS["STS-B"].is_regression
    assert GLUE_TASKS["MNLI"].label_names == ("entailment", "neutral", "contradiction")
    assert GLUE_TASKS["WNLI"].label_names == ("not_entailment", "entailment")
    assert not GLUE_TASKS["CoLA"].train_dev_have_header and GLUE_TASKS["RTE"].train_dev_have_header
    assert not GLUE_TASKS["SST-2"].is_pair and GLUE_TASKS["QQP"].is_pair
    hub_configs = [spec.hub_config for spec in GLUE_TASKS.values()]
    assert hub_configs == ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"]
    assert glue_task("sts-b") is glue_task("stsb") is GLUE_TASKS["STS-B"]


def test_split_files_and_hub_split_names() -> None:
    mnli, rte = GLUE_TASKS["MNLI"], GLUE_TASKS["RTE"]
    assert mnli.file_name("dev") == "dev_matched.tsv"
    assert mnli.file_name("test_mismatched") == "test_mismatched.tsv"
    assert mnli.hub_split("dev") == "validation_matched"
    assert mnli.hub_split("dev_mismatched") == "validation_mismatched"
    assert mnli.hub_split("test") == "test_matched"
    assert (rte.hub_split("train"), rte.hub_split("dev"), rte.hub_split("test")) == (
        "train",
        "validation",
        "test",
    )
    with pytest.raises(ValueError, match="no split 'dev_matched'"):
        rte.file_name("dev_matched")


def test_headerless_cola_train_and_headed_cola_test(write) -> None:
    train = write(
        "CoLA/train.tsv",
        "gj04\t1\t\tOur friends won't buy this analysis.\n"
        "gj04\t0\t*\tThey drank the pub.\n"
        "gj04\t1\t\tThe more you eat, the less you want.\n",
    )
    data = read_glue_tsv(train)
    assert (data.task, data.split, data.n_lines) == ("CoLA", "train", 3)
    assert list(data.frame["label"]) == [1, 0, 1]
    assert data.frame.loc[1, "text_a"] == "They drank the pub."
    assert data.frame["text_b"].isna().all()

    test = read_glue_tsv(
        write("CoLA/test.tsv", "index\tsentence\n0\tBill whistled past the house.\n")
    )
    assert list(test.frame["label"]) == [-1]
    assert test.frame.loc[0, "text_a"] == "Bill whistled past the house."


def test_mrpc_header_with_utf8_bom(write) -> None:
    path = write(
        "MRPC/train.tsv",
        "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t702876\t702977\tA b .\tC d .\n",
    )
    data = read_glue_tsv(path)
    assert data.frame.to_dict("records") == [{"text_a": "A b .", "text_b": "C d .", "label": 1}]


def test_last_line_without_trailing_newline_is_read(write) -> None:
    path = write("RTE/dev.tsv", RTE_HEADER + "0\tA.\tB.\tentailment\n1\tC.\tD.\tnot_entailment")
    data = read_glue_tsv(path)
    assert list(data.frame["label"]) == [0, 1]
    assert data.frame.loc[1, "text_b"] == "D."
    assert data.n_lines == 3


def test_crlf_line_endings_are_stripped(write) -> None:
    data = read_glue_tsv(write("SST-2/dev.tsv", "sentence\tlabel\r\ngood .\t1\r\n"))
    assert data.frame.to_dict("records") == [{"text_a": "good .", "text_b": None, "label": 1}]


def test_quotes_are_literal_and_do_not_swallow_the_next_line(write) -> None:
    path = write(
        "RTE/train.tsv",
        RTE_HEADER + '0\tHe said "hello.\tHe spoke.\tentailment\n1\tShe left" early.\tGone.\t'
        'not_entailment\n2\t"Quoted"\t"Both"\tentailment\n',
    )
    data = read_glue_tsv(path)
    assert list(data.frame["text_a"]) == ['He said "hello.', 'She left" early.', '"Quoted"']
    assert list(data.frame["text_b"]) == ["He spoke.", "Gone.", '"Both"']


def test_malformed_rows_are_skipped_with_their_line_numbers(write) -> None:
    path = write(
        "RTE/train.tsv",
        RTE_HEADER
        + "0\tA.\tB.\tentailment\n"  # line 2
        + "1\tonly three\tentailment\n"  # line 3: a column is missing
        + "2\tC.\tD.\tnot_entailment\n"
        + "3\tE.\tF.\t\n"  # line 5: empty label
        + "4\tG.\tH.\tentailment\n"
        + "5\tI.\tJ.\t\n"  # line 7: empty label
        + "6\tK.\tL.\tnot_entailment\n"
        + "\n"  # line 9: empty line
        + "7\tM.\tN.\tentailment\n",
    )
    data = read_glue_tsv(path)
    assert len(data.frame) == 5
    assert [line for line, _ in data.skipped] == [3, 5, 7, 9]
    reasons = [reason for _, reason in data.skipped]
    assert reasons[0] == "3 columns, expected 4"
    assert reasons[1] == "empty label"
    assert reasons[2] == "empty label"
    assert reasons[3] == "empty line"
    assert data.n_lines == 10


def test_mostly_malformed_file_is_an_error_naming_it(write) -> None:
    path = write("RTE/dev.tsv", RTE_HEADER + "0\tA.\tB.\tentailment\n1\tx\n2\ty\n")
    with pytest.raises(ValueError, match=r"RTE/dev\.tsv: 2 of 3 records are malformed"):
        read_glue_tsv(path)


def test_unknown_label_is_an_error_naming_file_and_line(write) -> None:
    path = write("SST-2/dev.tsv", "sentence\tlabel\nfine .\t1\nbad .\tnegative\n")
    with pytest.raises(ValueError, match=r"SST-2/dev\.tsv:3: unknown label 'negative'"):
        read_glue_tsv(path)


@pytest.mark.parametrize("text", ["", RTE_HEADER, RTE_HEADER.rstrip("\n")])
def test_empty_split_is_an_error_naming_the_file(write, text: str) -> None:
    path = write("RTE/test.tsv", text)
    with pytest.raises(ValueError, match=r"RTE/test\.tsv: no"):
        read_glue_tsv(path)


def test_stsb_scores_are_floats_and_bad_scores_are_skipped(write) -> None:
    rows = [
        "0\tmain\tf\t2012\t1\ts\ts\tA plane.\tA jet.\t5.000",
        "1\tmain\tf\t2012\t2\ts\ts\tA.\tB.\t0.5",
    ]
    rows += ["2\tmain\tf\t2012\t3\ts\ts\tC.\tD.\t7.2", "3\tmain\tf\t2012\t4\ts\ts\tE.\tF.\t3.8"]
    data = read_glue_tsv(write("STS-B/dev.tsv", STSB_HEADER + "\n".join(rows) + "\n"))
    assert data.frame["label"].dtype == "float64"
    assert list(data.frame["label"]) == [5.0, 0.5, 3.8]
    assert data.skipped == [(4, "score '7.2' is not a number in [0, 5]")]
    test_header = STSB_HEADER.removesuffix("\tscore\n") + "\n"
    test = read_glue_tsv(write("STS-B/test.tsv", test_header + rows[0].rsplit("\t", 1)[0] + "\n"))
    assert math.isnan(test.frame.loc[0, "label"])


def test_task_from_argument_or_directory_and_split_from_file_name(write) -> None:
    path = write("glue_copy/dev_mismatched.tsv", RTE_HEADER + "0\tA.\tB.\tentailment\n")
    with pytest.raises(
        ValueError, match=r"glue_copy/dev_mismatched\.tsv: cannot tell the GLUE task"
    ):
        read_glue_tsv(path)
    data = read_glue_tsv(path, task="rte")
    assert (data.task, data.split) == ("RTE", "dev_mismatched")
    assert read_glue_tsv(path, task="RTE", split="dev").split == "dev"


def test_labeled_split_without_label_column_is_an_error(write) -> None:
    path = write("RTE/train.tsv", "index\tsentence1\tsentence2\n0\tA.\tB.\n")
    with pytest.raises(ValueError, match=r"RTE/train\.tsv: no 'label' column in the train split"):
        read_glue_tsv(path)
    assert list(read_glue_tsv(path, split="test").frame["label"]) == [-1]


MNLI_TRAIN_HEADER = (
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n"
)


@pytest.mark.parametrize(
    ("given_as", "text", "expected", "found"),
    [
        ("QNLI/dev.tsv", RTE_HEADER + "0\tA.\tB.\tentailment\n", "['question', 'sentence']",
         "['index', 'sentence1', 'sentence2', 'label']"),
        ("MNLI/train.tsv", "sentence\tlabel\ngood .\t1\n", "['sentence1', 'sentence2']",
         "['sentence', 'label']"),  # an SST-2 file as MNLI
        ("SST-2/train.tsv", MNLI_TRAIN_HEADER + "0\t1\t1e\tfiction" + "\tx" * 6 + "\tneutral\n",
         "['sentence']", "['index', 'promptID', 'pairID', 'genre', "),  # MNLI as SST-2
        ("CoLA/train.tsv", RTE_HEADER + "0\tA.\tB.\tentailment\n", "['sentence'] or a "
         "headerless row ['source', 'label', 'author_label', 'sentence']", "['index', "),
    ],
)  # fmt: skip
def test_another_tasks_file_is_an_error_naming_expected_and_found_columns(
    write, given_as: str, text: str, expected: str, found: str
) -> None:
    task = given_as.split("/")[0]
    with pytest.raises(ValueError) as err:
        read_glue_tsv(write(given_as, text))
    message = str(err.value)
    assert f"{given_as}: line 1 is not a GLUE {task} header" in message
    assert f"expected a header with columns {expected}" in message
    assert f"found {found}" in message


def test_same_layout_other_labels_is_an_unknown_label_error(write) -> None:
    """WNLI has RTE's columns but labels 0/1: the first row's label names file and line."""
    path = write("RTE/dev.tsv", RTE_HEADER + "0\tA.\tB.\t1\n1\tC.\tD.\t0\n")
    with pytest.raises(ValueError, match=r"RTE/dev\.tsv:2: unknown label '1' \(expected one of"):
        read_glue_tsv(path)


class FakeHub:
    """Stands in for `datasets.load_dataset`: serves in-memory splits, records each call."""

    def __init__(self, splits: dict[tuple[str, str], datasets.Dataset]) -> None:
        self.splits = splits
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, hub_id: str, config: str, split: str) -> datasets.Dataset:
        self.calls.append((hub_id, config, split))
        return self.splits[(config, split)]


def _classes(columns: dict, names: list[str]) -> datasets.Dataset:
    features = {name: datasets.Value("string") for name in columns if name != "label"}
    features["label"] = datasets.ClassLabel(names=names)
    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))


def test_hub_id_loads_through_datasets_with_mapped_splits_and_columns(monkeypatch) -> None:
    mnli = ["entailment", "neutral", "contradiction"]
    hub = FakeHub(
        {
            ("mnli", "validation_matched"): _classes(
                {"premise": ["P1", "P2"], "hypothesis": ["H1", "H2"], "label": [2, 0]}, mnli
            ),
            ("mnli", "test_mismatched"): _classes(
                {"premise": ["P3"], "hypothesis": ["H3"], "label": [-1]}, mnli
            ),
            ("sst2", "train"): _classes(
                {"sentence": ["good", "bad"], "label": [1, 0]}, ["negative", "positive"]
            ),
            ("stsb", "test"): datasets.Dataset.from_dict(
                {"sentence1": ["A"], "sentence2": ["B"], "label": [-1.0]}
            ),
        }
    )
    monkeypatch.setattr(datasets, "load_dataset", hub)

    dev = load_glue("MNLI", "dev", "nyu-mll/glue")
    assert isinstance(dev, GlueSplit) and (dev.task, dev.split, dev.path) == (
        "MNLI",
        "dev",
        "nyu-mll/glue",
    )
    assert dev.frame.to_dict("records") == [
        {"text_a": "P1", "text_b": "H1", "label": 2},
        {"text_a": "P2", "text_b": "H2", "label": 0},
    ]
    assert list(load_glue("mnli", "test_mismatched", "nyu-mll/glue").frame["label"]) == [-1]
    sst2 = load_glue("SST-2", "train", "nyu-mll/glue").frame
    assert sst2.to_dict("records")[0] == {"text_a": "good", "text_b": None, "label": 1}
    assert math.isnan(load_glue("STS-B", "test", "nyu-mll/glue").frame.loc[0, "label"])
    assert [call[1:] for call in hub.calls] == [
        ("mnli", "validation_matched"),
        ("mnli", "test_mismatched"),
        ("sst2", "train"),
        ("stsb", "test"),
    ]


def test_hub_split_with_other_label_names_is_an_error(monkeypatch) -> None:
    wrong = _classes({"sentence1": ["A"], "sentence2": ["B"], "label": [0]}, ["yes", "no"])
    monkeypatch.setattr(datasets, "load_dataset", FakeHub({("rte", "validation"): wrong}))
    with pytest.raises(ValueError, match="label names"):
        load_glue("RTE", "dev", "nyu-mll/glue")


def test_line_that_is_not_utf8_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "RTE" / "dev.tsv"
    path.parent.mkdir()
    path.write_bytes(
        RTE_HEADER.encode()
        + b"0\tA.\tB.\tentailment\n1\tC\xff.\tD.\tentailment\n2\tE.\tF.\tentailment\n"
    )
    data = read_glue_tsv(path)
    assert list(data.frame["text_a"]) == ["A.", "E."]
    assert [line for line, _ in data.skipped] == [3]
    assert data.skipped[0][1].startswith("not UTF-8")
