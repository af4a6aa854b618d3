"""The synthetic corpus: deterministic, exact sizes, real formats, a CSQA task that needs the graph,
and noise counts that downstream stages can assert against."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from lmlab.config import SyntheticData, build
from lmlab.data.synth import common, conceptnet, mnli, write_corpus
from lmlab.runtime.atomic import atomic_path

PARAMS = {
    "seed": 13,
    "concepts": 300,
    "edges_per_concept": 4,
    "csqa": {"train": 40, "dev": 10, "test": 10, "inhouse_train": 30},
    "glue": {
        "MNLI": {"train": 60, "dev": 20, "test": 10},
        "SST-2": {"train": 60, "dev": 20, "test": 10},
    },
}
CSQA_FILES = {
    "train": "csqa/train_rand_split.jsonl",
    "dev": "csqa/dev_rand_split.jsonl",
    "test": "csqa/test_rand_split_no_answers.jsonl",
}
MNLI_TRAIN = (
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2"
)
HEADERS = {
    "glue/MNLI/train.tsv": MNLI_TRAIN + "\tlabel1\tgold_label",
    "glue/MNLI/dev_matched.tsv": MNLI_TRAIN
    + "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label",
    "glue/MNLI/dev_mismatched.tsv": MNLI_TRAIN
    + "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label",
    "glue/MNLI/test_matched.tsv": MNLI_TRAIN,
    "glue/MNLI/test_mismatched.tsv": MNLI_TRAIN,
    "glue/SST-2/train.tsv": "sentence\tlabel",
    "glue/SST-2/dev.tsv": "sentence\tlabel",
    "glue/SST-2/test.tsv": "index\tsentence",
}
NOISE_KINDS = (
    "has_context_rows",
    "blacklist_rows",
    "self_loop_rows",
    "duplicate_rows",
    "unmapped_relation_rows",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synth")
    return out, write_corpus(out, build(SyntheticData, PARAMS))


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in _lines(path)]


def _tsv(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in _lines(path)[1:]]


def _term(uri: str) -> str | None:
    parts = uri.split("/")
    return parts[3] if len(parts) > 3 and parts[1] == "c" and parts[2] == "en" else None


def _rows(root: Path) -> tuple[list[list[str]], int]:
    """The well-formed assertion rows and the number of malformed lines (minimal parser)."""
    rows, malformed = [], 0
    for line in _lines(root / "conceptnet/assertions.csv"):
        fields = line.split("\t")
        if len(fields) == 5:
            rows.append(fields)
        else:
            malformed += 1
    return rows, malformed


def _graphs(root: Path) -> tuple[nx.Graph, nx.Graph]:
    """Undirected term graphs: every English-English row, and the pruned graph (SPEC §4:
    no HasContext, no blacklisted term, no self-loop, only the 17 merged relation groups)."""
    full, pruned = nx.Graph(), nx.Graph()
    for _, rel, head, tail, _ in _rows(root)[0]:
        h, t = _term(head), _term(tail)
        if not (h and t):
            continue
        full.add_edge(h, t)
        relation = rel.removeprefix("/r/")
        if (
            relation != "HasContext"
            and relation not in conceptnet.UNMAPPED_RELATIONS
            and not {h, t} & set(common.BLACKLIST)
            and h != t
        ):
            pruned.add_edge(h, t)
    return full, pruned


def test_same_params_give_byte_identical_files(corpus, tmp_path):
    root, manifest = corpus
    again = write_corpus(tmp_path, build(SyntheticData, copy.deepcopy(PARAMS)))
    assert _hashes(tmp_path) == _hashes(root)
    assert again == manifest
    written = _hashes(root)
    assert {name: f["sha256"] for name, f in manifest["files"].items()} == {
        name: digest for name, digest in written.items() if name != "manifest.json"
    }


def test_key_order_of_params_does_not_change_any_byte(corpus, tmp_path):
    root, _ = corpus
    reordered = {key: copy.deepcopy(PARAMS[key]) for key in reversed(PARAMS)}
    reordered["csqa"] = dict(reversed(PARAMS["csqa"].items()))
    write_corpus(tmp_path, build(SyntheticData, reordered))
    assert _hashes(tmp_path) == _hashes(root)


def test_another_seed_changes_every_file(corpus, tmp_path):
    root, _ = corpus
    other = write_corpus(tmp_path, build(SyntheticData, {**PARAMS, "seed": 14}))
    before = _hashes(root)
    assert all(before[name] != f["sha256"] for name, f in other["files"].items())


def test_resizing_sst2_leaves_graph_questions_and_mnli_unchanged(corpus, tmp_path):
    _, manifest = corpus
    params = copy.deepcopy(PARAMS)
    params["glue"]["SST-2"]["train"] = 80
    other = write_corpus(tmp_path, build(SyntheticData, params))["files"]
    for name, entry in manifest["files"].items():
        assert (entry["sha256"] == other[name]["sha256"]) == (not name.startswith("glue/SST-2/"))


def test_sizes_are_exact(corpus):
    root, manifest = corpus
    csqa, glue = PARAMS["csqa"], PARAMS["glue"]
    for split, name in CSQA_FILES.items():
        assert len(_lines(root / name)) == csqa[split]
    assert len(_lines(root / "csqa/inhouse_split_qids.txt")) == csqa["inhouse_train"]
    mnli = {"train": "train", "dev_matched": "dev", "dev_mismatched": "dev"}
    mnli |= {"test_matched": "test", "test_mismatched": "test"}
    for name, key in mnli.items():
        assert len(_tsv(root / f"glue/MNLI/{name}.tsv")) == glue["MNLI"][key]
    for split in ("train", "dev", "test"):
        assert len(_tsv(root / f"glue/SST-2/{split}.tsv")) == glue["SST-2"][split]
    assert manifest["sizes"]["glue"]["MNLI"]["dev_mismatched"] == glue["MNLI"]["dev"]
    assert manifest["conceptnet"]["concepts"] == PARAMS["concepts"]


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_glue_headers_are_the_real_ones(corpus, name):
    root, _ = corpus
    lines = _lines(root / name)
    assert lines[0] == HEADERS[name]
    assert all(len(line.split("\t")) == len(HEADERS[name].split("\t")) for line in lines)


def test_headers_and_csqa_line_shape_match_the_real_samples(corpus, real_data):
    root, _ = corpus
    real_headers = {name: name for name in HEADERS if "MNLI" in name}
    real_headers |= {
        "glue/SST-2/train.tsv": "glue/SST-2/dev.tsv",
        "glue/SST-2/dev.tsv": "glue/SST-2/dev.tsv",
    }
    for name, real in real_headers.items():
        assert _lines(root / name)[0] == _lines(real_data / real)[0]

    def shape(row: dict) -> list:
        question = row["question"]
        return [list(row), list(question), [list(c) for c in question["choices"]]]

    real_dev = _jsonl(real_data / "csqa/dev_rand_split.jsonl")[0]
    real_test = _jsonl(real_data / "csqa/test_rand_split_no_answers.jsonl")[0]
    assert shape(_jsonl(root / CSQA_FILES["dev"])[0]) == shape(real_dev)
    assert shape(_jsonl(root / CSQA_FILES["test"])[0]) == shape(real_test)


def test_csqa_ids_labels_and_inhouse_split(corpus):
    root, _ = corpus
    ids = []
    for split, name in CSQA_FILES.items():
        for row in _jsonl(root / name):
            ids.append(row["id"])
            assert re.fullmatch(r"[0-9a-f]{32}", row["id"])
            assert [c["label"] for c in row["question"]["choices"]] == list("ABCDE")
            assert ("answerKey" in row) == (split != "test")
    assert len(set(ids)) == len(ids)
    train_ids = [row["id"] for row in _jsonl(root / CSQA_FILES["train"])]
    inhouse = _lines(root / "csqa/inhouse_split_qids.txt")
    assert set(inhouse) == set(train_ids[: PARAMS["csqa"]["inhouse_train"]])


def test_every_answer_within_two_hops_and_no_distractor_within_two(corpus):
    root, manifest = corpus
    full, pruned = _graphs(root)
    hops = Counter()
    question_concepts = []
    for name in CSQA_FILES.values():
        for row in _jsonl(root / name):
            qc = row["question"]["question_concept"].replace(" ", "_")
            question_concepts.append(qc)
            near = set()
            for start in {qc, *qc.split("_")}:
                near |= set(nx.single_source_shortest_path_length(full, start, cutoff=2))
            reachable = nx.single_source_shortest_path_length(pruned, qc, cutoff=2)
            texts = {c["label"]: c["text"].replace(" ", "_") for c in row["question"]["choices"]}
            answers = [label for label, text in texts.items() if text in reachable]
            assert answers == [row.get("answerKey", answers[0])]  # test file: no answerKey
            hops[reachable[texts[answers[0]]]] += 1
            for label, text in texts.items():
                if label != answers[0]:
                    assert not {text, *text.split("_")} & near, (qc, text)
    assert len(set(question_concepts)) == len(question_concepts)  # disjoint splits, distinct
    expected = Counter()
    for split_hops in manifest["csqa"]["hops"].values():
        expected.update({int(k): v for k, v in split_hops.items()})
    assert hops == expected and set(hops) == {1, 2}


def test_answer_position_is_balanced(corpus):
    root, manifest = corpus
    for split in ("train", "dev"):
        counts = Counter(row["answerKey"] for row in _jsonl(root / CSQA_FILES[split]))
        assert max(counts.values()) - min(counts.values()) <= 1
        assert dict(sorted(counts.items())) == manifest["csqa"]["answer_keys"][split]


def test_concepts_appear_as_distractors_four_times_as_often_as_answers(corpus):
    """The choices alone carry no signal: P(answer | concept appears) is 1/5 for every concept."""
    root, manifest = corpus
    for split in ("train", "dev"):
        answers, distractors = Counter(), Counter()
        for row in _jsonl(root / CSQA_FILES[split]):
            for choice in row["question"]["choices"]:
                target = answers if choice["label"] == row["answerKey"] else distractors
                target[choice["text"]] += 1
        concepts = set(answers) | set(distractors)
        off = sum(abs(distractors[c] - 4 * answers[c]) for c in concepts)
        assert off <= 2 * manifest["csqa"]["distractor_fallbacks"][split]
        assert off <= 0.1 * sum(distractors.values())


def test_stem_names_the_question_concept_and_no_choice(corpus):
    root, _ = corpus
    for name in CSQA_FILES.values():
        for row in _jsonl(root / name):
            question = row["question"]
            stem = question["stem"]
            assert question["question_concept"] in stem
            assert re.match(r"(What|Where) ", stem) and stem.endswith("?")
            assert not any(re.search(rf"\b{c['text']}\b", stem) for c in question["choices"])


def test_conceptnet_noise_counts_match_the_manifest(corpus):
    root, manifest = corpus
    counts = manifest["conceptnet"]
    rows, malformed = _rows(root)
    assert malformed == counts["malformed_lines"] == conceptnet.MALFORMED_LINES
    english = [r for r in rows if _term(r[2]) and _term(r[3])]
    languages = [(r[2].split("/")[2], r[3].split("/")[2]) for r in rows]
    assert sum("en" not in pair for pair in languages) == counts["non_english_rows"]
    assert sum(pair.count("en") == 1 for pair in languages) == counts["cross_lingual_rows"]
    assert len(english) == counts["english_rows"]
    assert len(rows) + malformed == counts["rows"]
    seen: set[tuple[str, str, str]] = set()
    found = Counter()
    for _, rel, head, tail, _ in english:
        triple = (rel, _term(head), _term(tail))
        if triple in seen:
            found["duplicate_rows"] += 1
        seen.add(triple)
        found["has_context_rows"] += rel == "/r/HasContext"
        found["blacklist_rows"] += bool({triple[1], triple[2]} & set(common.BLACKLIST))
        found["self_loop_rows"] += triple[1] == triple[2]
        found["unmapped_relation_rows"] += rel.removeprefix("/r/") in conceptnet.UNMAPPED_RELATIONS
    for kind in NOISE_KINDS:
        assert found[kind] == counts[kind] > 0, kind
    assert counts["clean_rows"] == counts["english_rows"] - sum(counts[k] for k in NOISE_KINDS)


def test_assertion_rows_look_like_conceptnet(corpus):
    root, manifest = corpus
    rows, _ = _rows(root)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    for assertion, rel, head, tail, meta in rows:
        assert assertion == f"/a/[{rel}/,{head}/,{tail}/]"
        assert isinstance(json.loads(meta)["weight"], float)
    uris = [uri for r in rows if _term(r[2]) and _term(r[3]) for uri in r[2:4]]
    assert (
        sum(len(u.split("/")) > 4 for u in uris)
        == manifest["conceptnet"]["sense_tagged_english_uris"]
    )
    assert any(re.fullmatch(r"/c/en/\w+/n/wn/\w+", u) for u in uris)
    assert any("_" in _term(u) for u in uris)


def test_concepts_are_vocabulary_words_that_are_their_own_lemma(corpus):
    root, _ = corpus
    pool = set(common.word_pool()[0])
    _, pruned = _graphs(root)
    words = {w for term in pruned.nodes for w in term.split("_")}
    assert words <= pool
    assert all(4 <= len(w) <= 10 and w.isalpha() for w in words)


def test_mnli_labels_balanced_and_consistent(corpus):
    root, manifest = corpus
    for name in ("train", "dev_matched", "dev_mismatched"):
        rows = _tsv(root / f"glue/MNLI/{name}.tsv")
        gold = Counter(r[-1] for r in rows)
        assert set(gold) == set(mnli.NLI_LABELS)
        assert max(gold.values()) - min(gold.values()) <= 1
        assert gold == manifest["glue"]["MNLI"]["label_counts"][name]
        for r in rows:
            assert r[2] == r[1] + r[-1][0]  # pairID = promptID + e/n/c, as in MNLI
            assert r[10] == r[-1] and r[10:-1].count(r[-1]) >= (3 if name != "train" else 1)
    genres = {
        name: {r[3] for r in _tsv(root / f"glue/MNLI/{name}.tsv")}
        for name in ("train", "dev_matched", "dev_mismatched")
    }
    assert genres["dev_matched"] <= set(mnli.MATCHED.genres) >= genres["train"]
    assert genres["dev_mismatched"] <= set(mnli.MISMATCHED.genres)


def test_mnli_negation_is_not_the_contradiction_cue(tmp_path):
    params = {**PARAMS, "glue": {"MNLI": {"train": 600, "dev": 3, "test": 3}}}
    write_corpus(tmp_path, build(SyntheticData, params))
    negated = Counter(r[-1] for r in _tsv(tmp_path / "glue/MNLI/train.tsv") if " not " in r[9])
    assert set(negated) == set(mnli.NLI_LABELS)
    assert max(negated.values()) < 0.6 * sum(negated.values())


def test_sst2_labels_balanced_and_negation_in_both(corpus):
    root, manifest = corpus
    for split in ("train", "dev"):
        rows = _tsv(root / f"glue/SST-2/{split}.tsv")
        labels = Counter(r[1] for r in rows)
        assert labels == {"0": len(rows) // 2, "1": len(rows) - len(rows) // 2}
        assert labels == manifest["glue"]["SST-2"]["label_counts"][split]
        assert all(6 <= len(r[0].split()) <= 15 for r in rows)
    negated = {r[1] for r in _tsv(root / "glue/SST-2/train.tsv") if " not " in r[0]}
    assert negated == {"0", "1"}


def test_a_crash_while_writing_leaves_no_partial_file_and_no_manifest(tmp_path, monkeypatch):
    written: list[str] = []

    def crash_on_third(path, text):
        with atomic_path(path) as tmp:
            tmp.write_text(text[: len(text) // 2], encoding="utf-8")
            if len(written) == 2:
                raise OSError("disk full")
        written.append(Path(path).name)

    monkeypatch.setattr("lmlab.data.synth.corpus.write_text", crash_on_third)
    with pytest.raises(OSError, match="disk full"):
        write_corpus(tmp_path, build(SyntheticData, PARAMS))
    files = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert sorted(files) == sorted(written)  # only the two finished files, no temporaries
    assert not (tmp_path / "manifest.json").exists()


def test_a_crash_while_generating_writes_nothing(tmp_path, monkeypatch):
    def boom(*_):
        raise RuntimeError("generator bug")

    monkeypatch.setattr("lmlab.data.synth.corpus.sst2_files", boom)
    with pytest.raises(RuntimeError):
        write_corpus(tmp_path, build(SyntheticData, PARAMS))
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"edges_per_concept": 5}, r"^data\.synthetic\.edges_per_concept: .*more than 2 hops from"),
        ({"edges_per_concept": 24}, r"edges_per_concept must be <= \(concepts - 1\) / 4"),
        ({"csqa": {"train": 2, "dev": 1, "test": 1, "inhouse_train": 3}}, r"inhouse_train \(3\)"),
        ({"csqa": {"train": 40, "dev": 6, "test": 6, "inhouse_train": 1}}, r"one concept each"),
    ],
)
def test_infeasible_sizes_name_the_config_key_and_write_nothing(tmp_path, changes, message):
    """Schema-valid sizes the generators cannot serve: too few far distractors (5 edges per
    concept), a graph too dense to build (24), more in-house ids than train questions, more
    questions than concepts."""
    csqa = {"train": 2, "dev": 1, "test": 1, "inhouse_train": 1}
    params = {**PARAMS, "concepts": 50, "csqa": csqa, **changes}
    with pytest.raises(ValueError, match=message):
        write_corpus(tmp_path, build(SyntheticData, params))
    assert not any(tmp_path.iterdir())


def test_cli_in_a_fresh_process_with_another_hash_seed_writes_the_same_bytes(corpus, tmp_path):
    """Snakemake runs the stage in a new process: no result may depend on set iteration order."""
    root, _ = corpus
    argv = ["data", "synth", "--out-dir", str(tmp_path), "--params", json.dumps(PARAMS)]
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    subprocess.run([sys.executable, "-m", "lmlab", *argv], env=env, check=True)
    assert _hashes(tmp_path) == _hashes(root)


def test_the_readers_read_every_file_skipping_only_the_malformed_lines(corpus):
    from lmlab.data.conceptnet import iter_assertions
    from lmlab.data.csqa import read_qa_jsonl
    from lmlab.data.glue import read_glue_tsv

    root, manifest = corpus
    skipped: list = []
    assert sum(1 for _ in iter_assertions(root / "conceptnet/assertions.csv", skipped)) == (
        manifest["conceptnet"]["rows"] - conceptnet.MALFORMED_LINES
    )
    assert len(skipped) == conceptnet.MALFORMED_LINES
    for split, name in CSQA_FILES.items():
        qa = read_qa_jsonl(root / name)
        assert (len(qa.questions), qa.skipped, qa.dataset) == (PARAMS["csqa"][split], [], "csqa")
    for name in HEADERS:
        glue = read_glue_tsv(root / name)
        assert glue.skipped == [] and len(glue.frame) == manifest["files"][name]["lines"] - 1
        if "test" not in name:
            assert glue.frame["label"].min() >= 0
