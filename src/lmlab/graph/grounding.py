"""Ground statements to ConceptNet concepts by lemma n-gram matching (SPEC §5.3).

Output: QA-GNN's grounded jsonl, one line `{"sent", "ans", "qc", "ac"}` per statement in
statement order (question and answer concepts, sorted). The rules are those of QA-GNN's
`utils/grounding.py` (after KagNet/MHGRN; Yasunaga et al., NAACL 2021), implemented here from
their description, with an offline lemmatizer: spaCy `blank("en")` + the lookup lemmatizer of
`spacy-lookups-data` (QA-GNN uses en_core_web_sm, which cannot be installed offline).

1. Patterns: a concept (underscores read as spaces) is matchable by the lemma sequence of its
   tokens, unless it has 5 or more tokens, starts or ends with a pronoun, or every token is a
   stopword (by text or lemma) or a grounding-blacklist lemma ("want", "someone", ...).
2. Mentions of a text (lower-cased): every token n-gram whose lemma sequence is a pattern. In a
   statement, n-grams whose tokens equal the answer's tokens are excluded. The candidates of a
   span are its matched concepts, plus, for a one-word concept, its lemma; per span, the 3
   shortest candidates (ties alphabetical) are kept, each replaced by its lemma form when that is
   also among them, grounding-blacklist concepts dropped; a candidate spelt exactly like the span
   is always kept.
3. Answer concepts = mentions of the answer text; question concepts = mentions of the statement
   minus the answer concepts. A side left empty falls back to the single-token lemmas of its
   text that are concepts.
4. Pruning: drop `Xer` when `X` is a candidate, and `Xe` when `X` is; drop question concepts with
   any stopword token and answer concepts whose tokens are all stopwords; drop what is not in the
   vocabulary (lemma forms may not be). A side may end up empty (QA-GNN keeps such lines too).

Intentional differences from QA-GNN: ties among equally long candidates are broken
alphabetically (theirs follow Python's randomised set order, so their output varies between
runs); the lemmatizer is a lookup table without part-of-speech (en_core_web_sm would, e.g.,
lemmatise "left" by context); the fallback adds only single-token lemmas (QA-GNN also tries the
whole text with spaces, which its pruning then always removes, since concepts use underscores).
Stopwords are NLTK's English list (179 words, `resources/stopwords_en.txt`), as QA-GNN uses.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from multiprocessing import Pool
from pathlib import Path

from lmlab.runtime.atomic import write_json, write_jsonl
from lmlab.runtime.logs import progress

log = logging.getLogger(__name__)

MAX_PATTERN_TOKENS = 4
CANDIDATES_PER_SPAN = 3
GROUNDING_BLACKLIST = frozenset(
    {"-PRON-", "actually", "likely", "possibly", "want", "make", "my", "someone",
     "sometimes_people", "sometimes", "would", "want_to", "one", "something", "everybody",
     "somebody", "could", "could_be"}
)  # fmt: skip
"""Concepts never taken as mentions (QA-GNN `grounding.py`; `-PRON-` is spaCy 2's pronoun lemma)."""
PRONOUNS = frozenset(
    {"my", "you", "it", "its", "your", "i", "he", "she", "his", "her", "they", "them", "their",
     "our", "we"}
)  # fmt: skip
"""A concept starting or ending with one of these gets no pattern."""
_CHUNK = 64
PATTERNS_FORMAT = "lmlab concept patterns 1"


@functools.cache
def stopwords() -> frozenset[str]:
    """NLTK's English stopword list (the one QA-GNN prunes with), packaged with lmlab."""
    text = (resources.files("lmlab.graph") / "resources" / "stopwords_en.txt").read_text("utf-8")
    return frozenset(text.split())


@functools.cache
def english_pipeline():
    """spaCy `blank("en")` with the lookup lemmatizer of spacy-lookups-data (offline)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@dataclass
class ConceptPatterns:
    """The vocabulary and the lemma-sequence patterns of its matchable concepts."""

    vocab: frozenset[str]
    patterns: dict[tuple[str, ...], tuple[str, ...]]

    @classmethod
    def build(cls, concepts: Iterable[str]) -> ConceptPatterns:
        """Patterns of `concepts` (rule 1 of the module docstring)."""
        concepts = [c for c in concepts if c]
        nlp, stop = english_pipeline(), stopwords()
        patterns: dict[tuple[str, ...], list[str]] = {}
        docs = nlp.pipe((c.replace("_", " ") for c in concepts), batch_size=4096)
        pairs = zip(concepts, docs, strict=True)
        for concept, doc in progress(pairs, "concept patterns", len(concepts)):
            if (
                len(doc) > MAX_PATTERN_TOKENS
                or doc[0].text in PRONOUNS
                or doc[-1].text in PRONOUNS
                or all(
                    t.text in stop or t.lemma_ in stop or t.lemma_ in GROUNDING_BLACKLIST
                    for t in doc
                )
            ):
                continue
            patterns.setdefault(tuple(t.lemma_ for t in doc), []).append(concept)
        return cls(frozenset(concepts), {key: tuple(v) for key, v in patterns.items()})

    def save(self, path: str | os.PathLike) -> None:
        """Write the patterns as JSON (atomically), with the lemmatizer versions they need."""
        write_json(
            path,
            {
                "format": PATTERNS_FORMAT,
                "lemmatizer": lemmatizer_versions(),
                "vocab": sorted(self.vocab),
                "patterns": [[list(lemmas), list(c)] for lemmas, c in self.patterns.items()],
            },
            indent=None,
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> ConceptPatterns:
        """Read patterns written by `save`; an error if they came from another lemmatizer."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("format") != PATTERNS_FORMAT:
                raise ValueError(f"{path}: not a concept-pattern file of lmlab")
            vocab, rows, built_with = data["vocab"], data["patterns"], data["lemmatizer"]
        except (json.JSONDecodeError, KeyError, AttributeError) as err:
            raise ValueError(f"{path}: not a concept-pattern file ({err})") from None
        if built_with != lemmatizer_versions():
            raise ValueError(
                f"{path}: built with {built_with}, this environment has "
                f"{lemmatizer_versions()}: rebuild it (lmlab graph patterns)"
            )
        return cls(frozenset(vocab), {tuple(lemmas): tuple(c) for lemmas, c in rows})


def lemmatizer_versions() -> dict[str, str]:
    """Versions of the packages that decide the lemmas (patterns are only valid with them)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("spacy", "spacy-lookups-data")}


class Grounder:
    """Question and answer concepts of (statement, answer) pairs (rules 2-4 of the docstring)."""

    def __init__(self, patterns: ConceptPatterns) -> None:
        self.vocab = patterns.vocab
        self.patterns = patterns.patterns
        self.nlp = english_pipeline()
        self.stop = stopwords()
        self._lemma_forms: dict[str, str] = {}

    def ground(self, statement: str, answer: str) -> dict:
        """QA-GNN's grounded line for one statement and its answer text."""
        mentioned = self.mentions(statement, exclude=answer)
        answer_concepts = self.mentions(answer)
        question_concepts = mentioned - answer_concepts
        if not question_concepts:
            question_concepts = self.vocabulary_lemmas(statement)
        if not answer_concepts:
            answer_concepts = self.vocabulary_lemmas(answer)
        return {
            "sent": statement,
            "ans": answer,
            "qc": self.prune(sorted(question_concepts), question=True),
            "ac": self.prune(sorted(answer_concepts), question=False),
        }

    def mentions(self, text: str, exclude: str | None = None) -> set[str]:
        """Concepts mentioned in `text`, skipping n-grams spelt like `exclude` (rule 2)."""
        doc = self.nlp(text.lower())
        lemmas = [t.lemma_ for t in doc]
        excluded = self._occurrences(doc, exclude) if exclude is not None else set()
        candidates: dict[str, set[str]] = {}
        for start in range(len(doc)):
            for end in range(start + 1, min(start + MAX_PATTERN_TOKENS, len(doc)) + 1):
                concepts = self.patterns.get(tuple(lemmas[start:end]))
                if not concepts or (start, end) in excluded:
                    continue
                span = candidates.setdefault(doc[start:end].text, set())
                for concept in concepts:
                    span.add(concept)
                    if "_" not in concept:
                        span.add(self.lemma_form(concept))
        found: set[str] = set()
        for span, concepts in candidates.items():
            ordered = sorted(concepts, key=lambda c: (len(c), c))
            shortest = ordered[:CANDIDATES_PER_SPAN]
            for concept in shortest:
                if concept in GROUNDING_BLACKLIST:
                    continue
                lemma = self.lemma_form(concept)
                found.add(lemma if lemma in shortest else concept)
            found.update(c for c in ordered if c.replace("_", " ") == span)
        return found

    def _occurrences(self, doc, phrase: str) -> set[tuple[int, int]]:
        """Token spans of `doc` whose texts equal the lower-cased tokens of `phrase`."""
        words = [t.text.lower() for t in self.nlp(phrase)]
        texts = [t.text for t in doc]
        n = len(words)
        if n == 0:
            return set()
        return {(i, i + n) for i in range(len(texts) - n + 1) if texts[i : i + n] == words}

    def lemma_form(self, concept: str) -> str:
        """The concept with every token replaced by its lemma (`celestial_bodies` -> `..._body`)."""
        form = self._lemma_forms.get(concept)
        if form is None:
            form = "_".join(t.lemma_ for t in self.nlp(concept.replace("_", " ")))
            self._lemma_forms[concept] = form
        return form

    def vocabulary_lemmas(self, text: str) -> set[str]:
        """The fallback of rule 3: single-token lemmas of `text` that are concepts."""
        return {t.lemma_ for t in self.nlp(text.lower()) if t.lemma_ in self.vocab}

    def prune(self, concepts: list[str], question: bool) -> list[str]:
        """Rule 4 on a sorted list of question (`question=True`) or answer concepts."""
        present = set(concepts)
        kept = []
        for concept in concepts:
            if (concept.endswith("er") and concept[:-2] in present) or (
                concept.endswith("e") and concept[:-1] in present
            ):
                continue
            stop = [token in self.stop for token in concept.split("_")]
            if (any(stop) if question else all(stop)) or concept not in self.vocab:
                continue
            kept.append(concept)
        return kept


def read_pairs(statements_path: str | os.PathLike) -> list[tuple[str, str]]:
    """(statement, answer text) for every statement of a statement jsonl, in file order."""
    pairs = []
    path = Path(statements_path)
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                statements = [s["statement"] for s in item["statements"]]
                answers = [c["text"] for c in item["question"]["choices"]]
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise ValueError(f"{path}: line {number}: not a statement line ({err})") from None
            if len(statements) != len(answers):
                raise ValueError(f"{path}: line {number}: statements and choices differ in number")
            pairs += zip(statements, answers, strict=True)
    if not pairs:
        raise ValueError(f"{path}: no statements")
    return pairs


def write_patterns(concepts_path: str | os.PathLike, output: str | os.PathLike) -> None:
    """Stage function: the patterns of a concept vocabulary (one concept per line), as JSON.

    Its own stage because lemmatising every concept takes about a minute on the full
    ConceptNet (800k concepts), the same for every split that is grounded against it.
    """
    concepts = Path(concepts_path).read_text(encoding="utf-8").splitlines()
    patterns = ConceptPatterns.build(concepts)
    patterns.save(output)
    log.info("%s: %d patterns of %d concepts", output, len(patterns.patterns), len(concepts))


def ground_statements(
    statements_path: str | os.PathLike,
    patterns_path: str | os.PathLike,
    output: str | os.PathLike,
    workers: int = 1,
) -> dict[str, int]:
    """Write the grounded jsonl of a statement file against concept patterns (`write_patterns`);
    `workers` processes ground chunks of statements. Returns counts for the log."""
    pairs = read_pairs(statements_path)
    patterns = ConceptPatterns.load(patterns_path)
    counts = {"statements": len(pairs), "empty_qc": 0, "empty_ac": 0}

    def lines() -> Iterator[dict]:
        for line in _ground_all(pairs, patterns, workers):
            counts["empty_qc"] += not line["qc"]
            counts["empty_ac"] += not line["ac"]
            yield line

    write_jsonl(output, lines())
    log.info("%s: %s", statements_path, counts)
    if max(counts["empty_qc"], counts["empty_ac"]) * 2 > len(pairs):
        log.warning("%s: most statements have no question or answer concept: is %s the "
                    "vocabulary of this dataset?", statements_path, patterns_path)  # fmt: skip
    return counts


def _ground_all(
    pairs: list[tuple[str, str]], patterns: ConceptPatterns, workers: int
) -> Iterator[dict]:
    lines: Iterable[dict]
    if workers <= 1 or len(pairs) <= _CHUNK:
        grounder = Grounder(patterns)
        lines = (grounder.ground(s, a) for s, a in pairs)
        yield from progress(lines, "grounding", len(pairs))
        return
    with Pool(workers, initializer=_start_worker, initargs=(patterns,)) as pool:
        lines = pool.imap(_ground_pair, pairs, chunksize=_CHUNK)
        yield from progress(lines, "grounding", len(pairs))


_WORKER: Grounder | None = None


def _start_worker(patterns: ConceptPatterns) -> None:
    global _WORKER
    _WORKER = Grounder(patterns)


def _ground_pair(pair: tuple[str, str]) -> dict:
    assert _WORKER is not None, "worker not initialised"
    return _WORKER.ground(*pair)
