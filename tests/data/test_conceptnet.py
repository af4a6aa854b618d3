"""ConceptNet readers: the real 764-row sample with counts verified by awk, URI terms (including
the QA-GNN last-segment bug), malformed rows, streaming, and the KagNet relation files."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lmlab.data.conceptnet import (
    PROBE_LINES,
    Assertion,
    iter_assertions,
    language_of,
    read_relation_list,
    read_relation_merge,
    term_of,
)

# Counted with `awk -F'\t' '{print $2}' assertions.csv | sort | uniq -c`.
REAL_RELATIONS = {
    "/r/Synonym": 408,
    "/r/RelatedTo": 102,
    "/r/ExternalURL": 82,
    "/r/IsA": 58,
    "/r/SymbolOf": 25,
    "/r/HasContext": 22,
    "/r/DerivedFrom": 22,
    "/r/FormOf": 16,
    "/r/EtymologicallyRelatedTo": 14,
    "/r/UsedFor": 5,
    "/r/HasSubevent": 3,
    "/r/AtLocation": 2,
    "/r/Antonym": 2,
    "/r/HasProperty": 1,
    "/r/HasPrerequisite": 1,
    "/r/CapableOf": 1,
}
# Rows whose head and tail both start with /c/en/ (awk), by relation.
REAL_ENGLISH = {
    "/r/RelatedTo": 49,
    "/r/Synonym": 12,
    "/r/HasContext": 10,
    "/r/IsA": 7,
    "/r/DerivedFrom": 6,
    "/r/FormOf": 5,
    "/r/Antonym": 2,
    "/r/AtLocation": 2,
    "/r/UsedFor": 2,
    "/r/HasProperty": 1,
}
RELATION_IDS = [  # relation.txt, in id order (SPEC §4)
    "antonym",
    "atlocation",
    "capableof",
    "causes",
    "createdby",
    "isa",
    "desires",
    "hassubevent",
    "partof",
    "hascontext",
    "hasproperty",
    "madeof",
    "notcapableof",
    "notdesires",
    "receivesaction",
    "relatedto",
    "usedfor",
]

JSON = '{"dataset": "/d/x", "weight": 2.5}'


def row(rel: str = "/r/IsA", head: str = "/c/en/dog", tail: str = "/c/en/animal", meta=JSON) -> str:
    return f"/a/[{rel}/,{head}/,{tail}/]\t{rel}\t{head}\t{tail}\t{meta}"


def test_real_assertions_counts(real_data: Path) -> None:
    skipped: list = []
    edges = list(iter_assertions(real_data / "conceptnet" / "assertions.csv", skipped))
    assert (len(edges), skipped) == (764, [])
    assert Counter(e.relation for e in edges) == REAL_RELATIONS
    english = [e for e in edges if language_of(e.head) == language_of(e.tail) == "en"]
    assert Counter(e.relation for e in english) == REAL_ENGLISH
    assert sum(e.tail.startswith("http") for e in edges) == 82
    assert len({language_of(e.head) for e in edges}) == 44
    weights = Counter(e.weight for e in edges)
    assert (weights[1.0], weights[2.0], weights[0.5], max(weights)) == (393, 228, 81, 3.462)
    assert edges[0] == Assertion("/r/Antonym", "/c/en/test/n/wikt/en_1", "/c/en/breeze", 1.0)


def test_real_sense_tagged_uris_map_to_their_term_not_the_last_segment(real_data: Path) -> None:
    edges = list(iter_assertions(real_data / "conceptnet" / "assertions.csv"))
    uris = [uri for e in edges for uri in (e.head, e.tail) if uri.startswith("/c/en/")]
    tagged = [uri for uri in uris if len(uri.split("/")) > 4]
    assert len(tagged) == 221  # `grep -c '^/c/en/[^/]*/'` over both columns
    assert all(term_of(uri) == uri.split("/")[3] != uri.split("/")[-1] for uri in tagged)
    assert "/c/en/test/n/wn/act" in tagged  # QA-GNN would read this as "act"


@pytest.mark.parametrize(
    ("uri", "term", "language"),
    [
        ("/c/en/test/n/wikt/en_1", "test", "en"),
        ("/c/en/test/n/wn/act", "test", "en"),
        ("/c/en/hard_questions", "hard_questions", "en"),
        ("/c/en/striking_down/n", "striking_down", "en"),
        ("/c/ja/テスト", None, "ja"),
        ("/c/fr/test/n", None, "fr"),
        ("http://wordnet-rdf.princeton.edu/wn31/100792739-n", None, None),
        ("/r/IsA", None, None),
        ("/c/en/", None, "en"),
    ],
)
def test_term_and_language_of_uris(uri: str, term: str | None, language: str | None) -> None:
    assert term_of(uri) == term
    assert language_of(uri) == language


def test_malformed_rows_are_skipped_with_their_line_numbers(write) -> None:
    lines = [
        row(),
        "only\tfour\tcolumns\there",  # line 2
        row(meta="{not json"),  # line 3
        row(head="/c/de/hund"),
        row(meta='{"weight": "heavy"}'),  # line 5
        row(meta='{"dataset": "/d/x"}'),  # no weight: 1.0
        row(rel="IsA"),  # line 7
        row(tail="/c/en/pet/n"),
        row(),
    ]
    skipped: list = [(99, "from an earlier file")]
    edges = list(iter_assertions(write("a.csv", "\n".join(lines)), skipped))
    assert [e.weight for e in edges] == [2.5, 2.5, 1.0, 2.5, 2.5]
    assert edges[1].head == "/c/de/hund"  # no language filtering here
    assert [line for line, _ in skipped] == [99, 2, 3, 5, 7]
    reasons = dict(skipped)
    assert reasons[2] == "4 columns, expected 5"
    assert reasons[3].startswith("bad JSON")
    assert "weight" in reasons[5]
    assert "not a /r/ URI" in reasons[7]


def test_iteration_streams_and_checks_the_file_at_the_end(write) -> None:
    path = write("mostly_bad.csv", "\n".join([row()] + ["bad"] * 3) + "\n")
    edges = iter_assertions(path)
    assert isinstance(edges, Iterator)
    assert next(edges).tail == "/c/en/animal"  # yielded before the rest is read
    with pytest.raises(ValueError, match=r"mostly_bad\.csv: 3 of 4 records are malformed"):
        next(edges)


def test_distributed_gzip_file_is_read_as_the_plain_file(real_data: Path, tmp_path) -> None:
    plain = real_data / "conceptnet" / "assertions.csv"
    packed = tmp_path / "conceptnet-assertions-5.7.0.csv.gz"
    with gzip.open(packed, "wb") as fh:  # as users download it
        fh.write(plain.read_bytes())
    plain_skipped: list = []
    packed_skipped: list = []
    edges = list(iter_assertions(packed, packed_skipped))
    assert edges == list(iter_assertions(plain, plain_skipped))
    assert (len(edges), packed_skipped) == (764, plain_skipped)


def test_gzip_is_decompressed_while_streaming_and_truncation_names_the_file(write, tmp_path):
    rows = [row(tail=f"/c/en/animal_{i}") for i in range(2000)]
    data = gzip.compress(("\n".join(rows) + "\n").encode(), compresslevel=1)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[: len(data) // 2])  # an interrupted download
    edges = iter_assertions(cut)
    read = [next(edges) for _ in range(10)]  # rows come before the end of the stream is read
    assert read[9].tail == "/c/en/animal_9"
    with pytest.raises(ValueError, match=r"cut\.csv\.gz: corrupt or truncated gzip data"):
        list(edges)


@pytest.mark.parametrize(
    ("text", "first_problem"),
    [
        ("index\tsentence1\tsentence2\tlabel\n" + "0\tA.\tB.\tentailment\n" * 300,
         "4 columns, expected 5"),  # a GLUE file: stops at line PROBE_LINES
        ('{"id": "q1", "question": {}}\n' * 3, "1 columns, expected 5"),  # a short jsonl
        ("a\tb\tc\td\te\n" * 300, "relation 'b' is not a /r/ URI"),
    ],
)  # fmt: skip
def test_file_that_is_not_conceptnet_is_an_error_naming_file_and_line(
    write, text: str, first_problem: str
) -> None:
    path = write("assertions.csv", text)
    skipped: list = []
    with pytest.raises(ValueError, match="line 1: " + first_problem) as err:
        list(iter_assertions(path, skipped))
    assert str(path) in str(err.value)
    assert len(skipped) == min(PROBE_LINES, len(text.splitlines()))  # no further line read


def test_malformed_head_of_a_conceptnet_file_is_not_taken_for_another_format(write) -> None:
    lines = ["bad line"] * (PROBE_LINES - 1) + [row()] * PROBE_LINES
    assert len(list(iter_assertions(write("a.csv", "\n".join(lines))))) == PROBE_LINES


def test_empty_assertions_file_is_an_error(write) -> None:
    with pytest.raises(ValueError, match=r"empty\.csv: no records"):
        list(iter_assertions(write("empty.csv", "")))


def test_real_relation_merge_has_17_groups_named_as_relation_txt(real_data: Path) -> None:
    merge = read_relation_merge(real_data / "conceptnet" / "merge_relation.txt")
    assert len(merge) == 31
    assert {group for group, _ in merge.values()} == set(RELATION_IDS)
    assert sorted(rel for rel, (_, reverse) in merge.items() if reverse) == [
        "hasa",
        "motivatedbygoal",
    ]
    assert merge["hasa"] == ("partof", True)
    assert merge["motivatedbygoal"] == ("causes", True)
    assert merge["causesdesire"] == ("causes", False)
    assert merge["instanceof"] == ("isa", False)
    assert merge["mannerof"] == ("hassubevent", False)
    assert merge["receivesaction"] == ("receivesaction", False)


def test_real_relation_list_is_in_id_order(real_data: Path) -> None:
    assert read_relation_list(real_data / "conceptnet" / "relation.txt") == RELATION_IDS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("isa/instanceof\npartof/*isa\n", r"line 2: relation 'isa' listed twice"),
        ("isa\n*hasa/partof\n", r"line 2: bad group"),
        ("isa//definedas\n", r"line 1: bad group"),
        ("\n\n", "no relation groups"),
    ],
)
def test_bad_relation_merge_is_an_error(write, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_relation_merge(write("merge_relation.txt", text))


def test_bad_relation_list_is_an_error(write) -> None:
    with pytest.raises(ValueError, match="listed twice"):
        read_relation_list(write("relation.txt", "isa\nantonym\nisa\n"))
    with pytest.raises(ValueError, match="no relations"):
        read_relation_list(write("empty.txt", ""))
