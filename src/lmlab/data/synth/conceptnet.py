"""Rule 1, ConceptNet: `conceptnet/assertions.csv`, a random graph of real words plus noise rows.

The file has the 5 tab-separated columns of the real dump and is sorted by assertion URI like
it. Concepts come from the word pool (`common.word_pool`); about 3% of them are two-word
concepts `a_b` joined from two chosen words, to exercise n-gram grounding. The base graph has
`round(concepts * edges_per_concept)` edges with random endpoints and real relation names
(weighted towards /r/RelatedTo, as in ConceptNet); no two edges share an unordered term pair, so
merging relations never creates accidental duplicates. About 15% of the English URIs carry a
part of speech and sense (`/c/en/w/n`, `/c/en/w/n/wn/food`, `/c/en/w/v/wikt/en_1`); the WordNet
sense segments are real words, so an extractor that takes the last URI segment instead of the
term (QA-GNN's bug) produces visibly wrong edges.

Noise rows, each in exactly one category, counted in `manifest["conceptnet"]`: non-English rows
(both ends `/c/fr|de|es|it`), cross-lingual rows (one end English), /r/HasContext rows between
concepts, rows touching the blacklist {uk, us, take, make, object, person, people}, self-loops,
duplicate triples (a clean edge repeated with a different URI form of the same terms), English
rows whose relation is outside the 17 merged groups (/r/FormOf, /r/DerivedFrom, ...), and
exactly `MALFORMED_LINES` lines with a wrong column count (between terms that are not concepts).

The CSQA generator (`csqa`) adds its answer edges to the same `Graph` before the noise is added.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lmlab.data.synth.common import BLACKLIST, STREAM_CONCEPTS, pick, stream, word_pool

MALFORMED_LINES = 2
MULTIWORD_SHARE = 0.03
SENSE_SHARE = 0.15

# Relations of the clean graph, with weights loosely following ConceptNet's English edge counts.
_BASE_RELATIONS = {
    "RelatedTo": 12, "IsA": 6, "Synonym": 4, "AtLocation": 4, "UsedFor": 4, "PartOf": 3,
    "HasA": 2, "CapableOf": 3, "Causes": 2, "HasSubevent": 2, "HasProperty": 3, "Antonym": 2,
    "MotivatedByGoal": 1, "Desires": 1, "MadeOf": 1, "ReceivesAction": 2, "HasPrerequisite": 1,
    "CausesDesire": 1, "DistinctFrom": 1, "NotDesires": 1, "CreatedBy": 1, "LocatedNear": 1,
    "SimilarTo": 1, "MannerOf": 1, "DefinedAs": 1, "NotCapableOf": 1, "HasFirstSubevent": 1,
}  # fmt: skip
# English relations that KagNet's 17 merged groups do not cover (dropped by extraction).
UNMAPPED_RELATIONS = ("FormOf", "DerivedFrom", "EtymologicallyRelatedTo", "SymbolOf")

# URI suffixes: part of speech and sense; the WordNet senses are real words on purpose.
_SENSES = ("/n", "/v", "/a", "/n/wn", "/n/wikt/en_1", "/v/wikt/en_2", "/n/wn/food", "/n/wn/act",
           "/n/wn/artifact", "/n/wn/plant", "/n/wn/animal", "/n/wn/location")  # fmt: skip
_FOREIGN = {
    "fr": ("maison", "chat", "chien", "livre", "pomme", "forêt", "été", "école", "voiture",
           "arbre", "eau", "ville", "fleur", "pain", "soleil", "lune"),
    "de": ("haus", "katze", "hund", "buch", "apfel", "straße", "baum", "wasser", "schule",
           "stadt", "blume", "brot", "sonne", "mond", "tür", "fenster"),
    "es": ("casa", "gato", "perro", "libro", "manzana", "árbol", "agua", "niño", "ciudad",
           "flor", "pan", "sol", "luna", "puerta", "ventana", "escuela"),
    "it": ("casa", "gatto", "cane", "libro", "mela", "albero", "acqua", "città", "scuola",
           "fiore", "pane", "sole", "luna", "porta", "finestra", "strada"),
}  # fmt: skip
_SOURCES = (
    ("/d/conceptnet/4/en", "cc:by/4.0", "omcs"),
    ("/d/wiktionary/en", "cc:by-sa/4.0", "wiktionary"),
    ("/d/wordnet/3.1", "cc:by-sa/4.0", "wordnet"),
    ("/d/verbosity", "cc:by/4.0", "verbosity"),
)
_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 3.464)


@dataclass(slots=True)
class _Edge:
    relation: str  # relation name without /r/
    head: str  # full URI
    tail: str
    kind: str  # clean, answer, or a noise category of manifest["conceptnet"]
    meta: dict[str, Any]


@dataclass
class Graph:
    """The edges written to the assertions file, and the set of term pairs already joined."""

    rng: np.random.Generator
    edges: list[_Edge] = field(default_factory=list)
    pairs: set[frozenset[str]] = field(default_factory=set)

    def free(self, a: str, b: str) -> bool:
        """True when no edge joins terms `a` and `b` yet (either direction)."""
        return frozenset((a, b)) not in self.pairs

    def add(self, relation: str, head: str, tail: str, kind: str) -> None:
        """Add an edge between English terms (or full URIs when they start with `/c/`); an
        English term gets a part of speech and sense with probability `SENSE_SHARE`."""
        self.pairs.add(frozenset((head, tail)))
        h, t = (self._uri(x) for x in (head, tail))
        self.edges.append(_Edge(relation, h, t, kind, _meta(self.rng)))

    def _uri(self, term: str) -> str:
        if term.startswith("/c/"):
            return term
        sense = pick(self.rng, _SENSES) if self.rng.random() < SENSE_SHARE else ""
        return f"/c/en/{term}{sense}"


def _meta(rng: np.random.Generator) -> dict[str, Any]:
    """The JSON column: dataset, license, sources and weight, shaped like ConceptNet's."""
    dataset, license_, kind = pick(rng, _SOURCES)
    if kind == "omcs":
        user = int(rng.integers(1, 5000))
        sources = [{"activity": "/s/activity/omcs/omcs1_possibly_free_text",
                    "contributor": f"/s/contributor/omcs/user{user}"}]  # fmt: skip
    elif kind == "wiktionary":
        sources = [{"contributor": "/s/resource/wiktionary/en",
                    "process": "/s/process/wikiparsec/2"}]  # fmt: skip
    elif kind == "wordnet":
        sources = [{"contributor": "/s/resource/wordnet/rdf/3.1"}]
    else:
        sources = [{"contributor": "/s/resource/verbosity"}]
    return {"dataset": dataset, "license": license_, "sources": sources,
            "weight": pick(rng, _WEIGHTS)}  # fmt: skip


def _choose_concepts(n_concepts: int, rng: np.random.Generator) -> list[str]:
    """`n_concepts` distinct terms: sampled pool words, then two-word `a_b` concepts."""
    pool = word_pool()[0]
    n_multi = max(1, round(n_concepts * MULTIWORD_SHARE))
    singles = [pool[i] for i in rng.choice(len(pool), size=n_concepts - n_multi, replace=False)]
    multi: list[str] = []
    while len(multi) < n_multi:
        a, b = rng.choice(len(singles), size=2, replace=False)
        term = f"{singles[a]}_{singles[b]}"
        if term not in multi:
            multi.append(term)
    return singles + multi


def build_graph(seed: int, n_concepts: int, edges_per_concept: int) -> tuple[Graph, list[str]]:
    """Choose the concepts and add the clean random edges (stream `STREAM_CONCEPTS`)."""
    rng = stream(seed, STREAM_CONCEPTS)
    concepts = _choose_concepts(n_concepts, rng)
    graph = Graph(rng)
    relations = list(_BASE_RELATIONS)
    weights = np.array(list(_BASE_RELATIONS.values()), dtype=float)
    weights /= weights.sum()
    n_edges = round(n_concepts * edges_per_concept)
    while len(graph.edges) < n_edges:
        h, t = rng.integers(len(concepts), size=2)
        if h != t and graph.free(concepts[h], concepts[t]):
            rel = relations[int(rng.choice(len(relations), p=weights))]
            graph.add(rel, concepts[h], concepts[t], "clean")
    return graph, concepts


def add_noise(graph: Graph, concepts: list[str], rng: np.random.Generator) -> dict[str, int]:
    """Add the noise rows the extraction stage must drop; return their count per category."""
    n_base = sum(e.kind == "clean" for e in graph.edges)
    foreign_pairs = sum(len(w) * (len(w) - 1) // 2 for w in _FOREIGN.values())
    counts = {
        "non_english_rows": min(max(5, round(0.05 * n_base)), foreign_pairs // 2),
        "cross_lingual_rows": max(4, round(0.02 * n_base)),
        "has_context_rows": max(3, round(0.01 * n_base)),
        "blacklist_rows": max(len(BLACKLIST), round(0.01 * n_base)),
        "self_loop_rows": max(2, round(0.002 * n_base)),
        "duplicate_rows": max(3, round(0.005 * n_base)),
        "unmapped_relation_rows": max(3, round(0.01 * n_base)),
    }
    languages = sorted(_FOREIGN)

    def foreign(lang: str) -> str:
        return f"/c/{lang}/{pick(rng, _FOREIGN[lang])}"

    def concept() -> str:
        return pick(rng, concepts)

    def non_english(_: int) -> tuple[str, str]:
        lang = pick(rng, languages)
        return foreign(lang), foreign(lang)

    def cross_lingual(i: int) -> tuple[str, str]:
        other = foreign(pick(rng, languages))
        return (concept(), other) if i % 2 == 0 else (other, concept())

    def blacklisted(i: int) -> tuple[str, str]:
        word = BLACKLIST[i % len(BLACKLIST)]
        return (word, concept()) if rng.random() < 0.5 else (concept(), word)

    plan = (
        ("non_english", non_english, ("Synonym", "IsA", "RelatedTo", "Antonym")),
        ("cross_lingual", cross_lingual, ("Synonym",)),
        ("has_context", lambda _: (concept(), concept()), ("HasContext",)),
        ("blacklist", blacklisted, tuple(_BASE_RELATIONS)),
        ("unmapped_relation", lambda _: (concept(), concept()), UNMAPPED_RELATIONS),
    )
    for kind, endpoints, relations in plan:
        added = 0
        while added < counts[f"{kind}_rows"]:
            head, tail = endpoints(added)
            if head != tail and graph.free(head, tail):
                graph.add(pick(rng, relations), head, tail, kind)
                added += 1
    for term in rng.choice(concepts, size=counts["self_loop_rows"], replace=False):
        graph.add(pick(rng, tuple(_BASE_RELATIONS)), str(term), str(term), "self_loop")
    clean = [e for e in graph.edges if e.kind == "clean"]
    for i in rng.choice(len(clean), size=counts["duplicate_rows"], replace=False):
        original = clean[i]
        head, tail = (_other_form(uri, rng) for uri in (original.head, original.tail))
        graph.edges.append(_Edge(original.relation, head, tail, "duplicate", _meta(rng)))
    counts["malformed_lines"] = MALFORMED_LINES
    return counts


def _other_form(uri: str, rng: np.random.Generator) -> str:
    """The same English term under a different URI (sense added, or sense removed)."""
    base = "/".join(uri.split("/")[:4])
    return base + pick(rng, _SENSES) if uri == base else base


def _term(uri: str) -> str | None:
    parts = uri.split("/")
    return parts[3] if len(parts) > 3 and parts[1] == "c" and parts[2] == "en" else None


def adjacency(graph: Graph, kinds: set[str] | None = None) -> dict[str, set[str]]:
    """Undirected term adjacency of the English-English edges (of `kinds`, or all)."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for edge in graph.edges:
        head, tail = _term(edge.head), _term(edge.tail)
        if head and tail and (kinds is None or edge.kind in kinds):
            neighbours[head].add(tail)
            neighbours[tail].add(head)
    return neighbours


def graph_counts(graph: Graph, concepts: list[str]) -> dict[str, int]:
    """Row counts a downstream extraction can be checked against.

    `rows`: lines of the file (malformed included); `english_rows`: well-formed rows with both
    ends `/c/en/`; `clean_rows`: those left after dropping the noise categories (HasContext,
    blacklist, self-loop, duplicate, unmapped relation), i.e. the distinct edges of the pruned
    graph, `answer_rows` of them added for CSQA answer paths; `sense_tagged_english_uris`: URIs of
    English rows with a part of speech or sense after the term.
    """
    kinds = Counter(e.kind for e in graph.edges)
    english = [e for e in graph.edges if _term(e.head) and _term(e.tail)]
    return {
        "concepts": len(concepts),
        "multiword_concepts": sum("_" in c for c in concepts),
        "rows": len(graph.edges) + MALFORMED_LINES,
        "english_rows": len(english),
        "clean_rows": kinds["clean"] + kinds["answer"],
        "answer_rows": kinds["answer"],
        "sense_tagged_english_uris": sum(
            len(uri.split("/")) > 4 for e in english for uri in (e.head, e.tail)
        ),
    }


def assertions_text(graph: Graph) -> str:
    """The CSV lines, the malformed ones included, sorted by assertion URI like the real dump."""
    lines = []
    for edge in graph.edges:
        rel = f"/r/{edge.relation}"
        uri = f"/a/[{rel}/,{edge.head}/,{edge.tail}/]"
        meta = json.dumps(edge.meta, sort_keys=True, ensure_ascii=False)
        lines.append("\t".join((uri, rel, edge.head, edge.tail, meta)))
    meta = json.dumps(_meta(graph.rng), sort_keys=True)
    # Exactly MALFORMED_LINES lines: a missing tail column and a stray sixth column.
    lines.append(
        f"/a/[/r/IsA/,/c/en/broken_row/,/c/en/bad_line/]\t/r/IsA\t/c/en/broken_row\t{meta}"
    )
    lines.append(
        "/a/[/r/IsA/,/c/en/extra_column/,/c/en/bad_line/]\t/r/IsA\t/c/en/extra_column\t"
        f"/c/en/bad_line\t{meta}\tstray"
    )
    return "".join(line + "\n" for line in sorted(lines))
