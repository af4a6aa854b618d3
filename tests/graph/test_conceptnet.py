"""English ConceptNet extraction: the real sample (English rows, sense-tagged URIs), a hand-written
file with every pruning rule, byte-range workers, the synthetic corpus' ground truth, loading."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from lmlab.data.conceptnet import read_relation_list, read_relation_merge
from lmlab.graph.conceptnet import (
    BLACKLIST,
    byte_ranges,
    extract,
    load_graph,
    merge_relation_path,
    relation_list_path,
)

RELATIONS = [  # relation.txt order (SPEC §4)
    "antonym", "atlocation", "capableof", "causes", "createdby", "isa", "desires", "hassubevent",
    "partof", "hascontext", "hasproperty", "madeof", "notcapableof", "notdesires",
    "receivesaction", "relatedto", "usedfor",
]  # fmt: skip
META = '{"dataset": "/d/test", "weight": %s}'


def row(rel: str, head: str, tail: str, weight: float = 1.0) -> str:
    return f"/a/[{rel}/,{head}/,{tail}/]\t{rel}\t{head}\t{tail}\t{META % weight}\n"


# Every rule of the extraction and of the pruning, one row (or two) each.
MINI_ROWS = [
    row("/r/IsA", "/c/en/cat/n/wn/animal", "/c/en/animal", 2.0),  # sense-tagged head -> cat
    row("/r/HasA", "/c/en/car", "/c/en/wheel"),  # reversed: partof(wheel, car)
    row("/r/MotivatedByGoal", "/c/en/run", "/c/en/health"),  # reversed: causes(health, run)
    row("/r/RelatedTo", "/c/en/cat", "/c/en/dog", 0.5),
    row("/r/Synonym", "/c/en/cat/n", "/c/en/dog", 3.0),  # merges into a duplicate of the above
    row("/r/HasContext", "/c/en/wheel", "/c/en/car"),  # pruned: hascontext
    row("/r/IsA", "/c/en/person", "/c/en/animal"),  # pruned: blacklist
    row("/r/AtLocation", "/c/en/dog", "/c/en/people"),  # pruned: blacklist (tail)
    row("/r/Synonym", "/c/en/big/a", "/c/en/big"),  # pruned: self-loop after the term mapping
    row("/r/IsA", "/c/fr/chat", "/c/fr/animal"),  # non-English
    row("/r/IsA", "/c/en/cat", "/c/de/tier"),  # cross-lingual: non-English
    row("/r/ExternalURL", "/c/en/cat", "http://dbpedia.org/resource/Cat"),  # not a concept
    row("/r/FormOf", "/c/en/cats", "/c/en/cat"),  # relation outside the merge
    row("/r/IsA", "/c/en/3d", "/c/en/shape"),  # non-alphabetic term
    "/a/[broken]\t/r/IsA\t/c/en/cat\n",  # malformed: 3 columns
    row("/r/UsedFor", "/c/en/ice_cream", "/c/en/cool-down"),  # `_` and `-` are letters here
]


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    path = tmp_path / "assertions.csv"
    path.write_text("".join(MINI_ROWS), encoding="utf-8")
    return path


def triples(graph) -> list[tuple[str, str, str]]:
    return [
        (graph.relations[r], graph.concepts[h], graph.concepts[t])
        for h, r, t in zip(graph.head, graph.rel, graph.tail, strict=True)
    ]


def test_mini_file_applies_every_extraction_and_pruning_rule(mini: Path, tmp_path: Path):
    stats = extract(mini, tmp_path / "out")
    graph = load_graph(tmp_path / "out")

    assert triples(graph) == [  # sorted by (rel, head, tail) ids
        ("causes", "health", "run"),
        ("isa", "cat", "animal"),
        ("partof", "wheel", "car"),
        ("relatedto", "cat", "dog"),
        ("usedfor", "ice_cream", "cool-down"),
    ]
    relatedto = graph.relations.index("relatedto")
    assert graph.weight[graph.rel == relatedto].tolist() == [0.5]  # the first duplicate's
    assert graph.concepts == [  # first seen, head before tail, after the reversal
        "cat", "animal", "wheel", "car", "health", "run", "dog", "person", "people", "big",
        "ice_cream", "cool-down",
    ]  # fmt: skip
    assert graph.relations == RELATIONS
    assert stats["rows_read"] == len(MINI_ROWS)
    assert stats["malformed_skipped"] == 1
    assert stats["malformed_lines"] == [[15, "3 columns, expected 5"]]
    assert stats["non_english_skipped"] == 3
    assert stats["unmerged_relation_skipped"] == {"formof": 1}
    assert stats["non_alphabetic_skipped"] == 1
    assert stats["english_rows"] == 12
    assert stats["extracted_edges"] == 10
    assert stats["pruning"] == {"hascontext": 1, "blacklist": 2, "self_loops": 1, "duplicates": 1}
    assert stats["edges"] == 5
    assert stats["per_relation"]["relatedto"] == 3
    assert stats["per_relation_pruned"]["relatedto"] == 1
    assert json.loads((tmp_path / "out" / "extract_stats.json").read_text()) == stats


def test_graph_file_holds_int32_edges_float32_weights_and_concept_count(mini, tmp_path):
    extract(mini, tmp_path / "out")
    with np.load(tmp_path / "out" / "graph.npz") as npz:
        assert {npz[k].dtype for k in ("head", "rel", "tail")} == {np.dtype(np.int32)}
        assert npz["weight"].dtype == np.float32
        assert int(npz["num_concepts"]) == len(load_graph(tmp_path / "out").concepts)


def test_blacklist_is_configurable(mini: Path, tmp_path: Path):
    stats = extract(mini, tmp_path / "out", blacklist=["dog"])
    kept = triples(load_graph(tmp_path / "out"))
    assert ("isa", "person", "animal") in kept
    assert all("dog" not in (h, t) for _, h, t in kept)
    assert stats["pruning"]["blacklist"] == 3  # both cat-dog rows and atlocation(dog, people)


def test_byte_range_workers_give_identical_files(mini: Path, tmp_path: Path):
    big = tmp_path / "big.csv"
    big.write_text("".join(MINI_ROWS) * 50, encoding="utf-8")
    assert len(byte_ranges(big, 4, min_bytes=1)) == 4
    one = extract(big, tmp_path / "one", workers=1)
    four = extract(big, tmp_path / "four", workers=4, min_range_bytes=1)
    assert four.pop("byte_ranges") == 4 and one.pop("byte_ranges") == 1
    assert one == four  # including the malformed lines, numbered from the file's start
    assert one["malformed_lines"][:2] == [
        [15, "3 columns, expected 5"],
        [31, "3 columns, expected 5"],
    ]
    for name in ("concepts.txt", "relations.txt", "graph.npz"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "four" / name).read_bytes()


def test_distributed_gzip_file_gives_the_plain_files_outputs(mini: Path, tmp_path: Path):
    big = tmp_path / "big.csv"
    big.write_text("".join(MINI_ROWS) * 50, encoding="utf-8")
    packed = tmp_path / "conceptnet-assertions.csv.gz"
    packed.write_bytes(gzip.compress(big.read_bytes()))
    plain = extract(big, tmp_path / "plain")
    unzipped = extract(packed, tmp_path / "gz", workers=4, min_range_bytes=1)
    assert unzipped.pop("assertions") == str(packed) and plain.pop("assertions") == str(big)
    assert unzipped == plain  # one byte range: a gzip stream cannot be cut
    for name in ("concepts.txt", "relations.txt", "graph.npz"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "gz" / name).read_bytes()


@pytest.mark.parametrize("workers", [1, 3])
def test_file_that_is_not_conceptnet_stops_extraction_naming_it(tmp_path: Path, workers: int):
    path = tmp_path / "train.tsv"  # a GLUE file given as data.files.conceptnet
    path.write_text("index\tquestion\tsentence\tlabel\n" + "0\tQ?\tS.\tentailment\n" * 400)
    with pytest.raises(ValueError, match=r"train\.tsv: not a ConceptNet .* lines 1-100 \(line 1: "):
        extract(path, tmp_path / "out", workers=workers, min_range_bytes=1)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_byte_ranges_start_at_lines_and_cover_the_file(mini: Path):
    data = mini.read_bytes()
    ranges = byte_ranges(mini, 5, min_bytes=1)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert end == start and data[start - 1 : start] == b"\n"
    assert byte_ranges(mini, 8) == [(0, None)]  # below the default size: one reader


def test_real_sample_extracts_exactly_its_english_merged_rows(real_data: Path, tmp_path: Path):
    path = real_data / "conceptnet" / "assertions.csv"
    merge = read_relation_merge(merge_relation_path())
    expected = []
    for line in path.read_text(encoding="utf-8").splitlines():
        _, rel, head, tail, _ = line.split("\t")
        name = rel.removeprefix("/r/").lower()
        if head.startswith("/c/en/") and tail.startswith("/c/en/") and name in merge:
            group, flip = merge[name]
            h, t = head.split("/")[3], tail.split("/")[3]
            expected.append((group, *((t, h) if flip else (h, t))))
    stats = extract(path, tmp_path / "out")
    graph = load_graph(tmp_path / "out")

    assert stats["rows_read"] == 764 and stats["malformed_skipped"] == 0
    assert stats["english_rows"] == 96  # awk: both ends /c/en/
    assert stats["unmerged_relation_skipped"] == {"derivedfrom": 6, "formof": 5}
    assert stats["extracted_edges"] == len(expected) == 85
    assert stats["per_relation"]["hascontext"] == 10
    no_context = [e for e in expected if e[0] != "hascontext"]
    no_loops = [e for e in no_context if e[1] != e[2]]
    assert sorted(triples(graph)) == sorted(set(no_loops))
    assert stats["pruning"] == {
        "hascontext": 10,
        "blacklist": 0,
        "self_loops": len(no_context) - len(no_loops),
        "duplicates": len(no_loops) - len(set(no_loops)),  # sense-tagged forms of one term
    }


def test_real_sample_maps_sense_tagged_uris_to_their_term(real_data: Path, tmp_path: Path):
    extract(real_data / "conceptnet" / "assertions.csv", tmp_path / "out")
    graph = load_graph(tmp_path / "out")
    assert ("antonym", "test", "breeze") in triples(graph)  # /c/en/test/n/wikt/en_1
    assert not {"en_1", "act", "n", "wn", "wikt"} & set(graph.concepts)  # QA-GNN's last segment


def test_synthetic_corpus_counts_match_its_manifest(tmp_path: Path):
    from lmlab.config import SyntheticData, build
    from lmlab.data.synth import write_corpus

    params = {"seed": 3, "concepts": 120, "edges_per_concept": 2,
              "csqa": {"train": 4, "dev": 2, "test": 2, "inhouse_train": 2},
              "glue": {"SST-2": {"train": 2, "dev": 2, "test": 2}}}  # fmt: skip
    truth = write_corpus(tmp_path / "synth", build(SyntheticData, params))["conceptnet"]
    stats = extract(tmp_path / "synth" / "conceptnet" / "assertions.csv", tmp_path / "out")
    assert stats["rows_read"] == truth["rows"]
    assert stats["english_rows"] == truth["english_rows"]
    assert stats["malformed_skipped"] == truth["malformed_lines"]
    assert sum(stats["unmerged_relation_skipped"].values()) == truth["unmapped_relation_rows"]
    assert stats["pruning"] == {
        "hascontext": truth["has_context_rows"],
        "blacklist": truth["blacklist_rows"],
        "self_loops": truth["self_loop_rows"],
        "duplicates": truth["duplicate_rows"],
    }
    assert stats["edges"] == truth["clean_rows"]


def test_packaged_relation_files_equal_kagnets(real_data: Path):
    merge = read_relation_merge(merge_relation_path())
    assert merge == read_relation_merge(real_data / "conceptnet" / "merge_relation.txt")
    assert read_relation_list(relation_list_path()) == RELATIONS
    assert read_relation_list(real_data / "conceptnet" / "relation.txt") == RELATIONS
    assert merge["hasa"] == ("partof", True) and merge["synonym"] == ("relatedto", False)
    assert set(BLACKLIST) == {"uk", "us", "take", "make", "object", "person", "people"}


def test_load_graph_rejects_inconsistent_files(mini: Path, tmp_path: Path):
    out = tmp_path / "out"
    extract(mini, out)
    (out / "concepts.txt").write_text("cat\n", encoding="utf-8")
    with pytest.raises(ValueError, match="num_concepts"):
        load_graph(out)
    (out / "graph.npz").unlink()
    with pytest.raises(FileNotFoundError):
        load_graph(out)


def test_file_without_english_edges_is_an_error(tmp_path: Path):
    path = tmp_path / "fr.csv"
    path.write_text(row("/r/IsA", "/c/fr/chat", "/c/fr/animal"), encoding="utf-8")
    with pytest.raises(ValueError, match="no English assertion"):
        extract(path, tmp_path / "out")
    assert not (tmp_path / "out" / "graph.npz").exists()
