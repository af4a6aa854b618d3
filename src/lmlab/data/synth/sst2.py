"""Rule 4, SST-2: `glue/SST-2/{train,dev,test}.tsv`, lexicon sentences with label-flipping negation.

The sentences are lower-cased and tokenised as in the real files: one or two sentiment words
from a small lexicon, a negation ("is not good") in about 30% of sentences flipping the label,
neutral filler phrases; labels balanced to within one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lmlab.data.synth.common import STREAM_SST2, article, pick, stream

_POSITIVE = ("good", "great", "wonderful", "charming", "moving", "funny", "brilliant",
             "delightful", "smart", "beautiful", "engaging", "touching")  # fmt: skip
_NEGATIVE = ("bad", "dull", "boring", "awful", "tedious", "clumsy", "silly", "weak", "bland",
             "painful", "messy", "forgettable")  # fmt: skip
_NOUNS = ("film", "movie", "story", "script", "cast", "plot", "performance", "ending", "comedy",
          "drama", "soundtrack", "direction")  # fmt: skip
_FILLERS = ("from start to finish", "for the most part", "in the end", "on the whole",
            "at almost two hours", "in its second half", "as far as i can tell")  # fmt: skip
_INTENSIFIERS = ("really", "very", "quite", "often", "surprisingly")


def sst2_files(sizes: dict[str, int], seed: int) -> tuple[dict[str, str], dict[str, Any]]:
    """train/dev.tsv (`sentence<TAB>label`) and test.tsv (`index<TAB>sentence`)."""
    rng = stream(seed, STREAM_SST2)
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
    noun = pick(rng, _NOUNS)
    filler = f" {pick(rng, _FILLERS)}" if rng.random() < 0.5 else ""
    if negated:
        template = pick(rng, ("the {n} is not {a}{f} .", "this {n} is n't {a} at all .",
                               "i did not find the {n} {a}{f} ."))  # fmt: skip
    else:
        template = pick(
            rng,
            (
                "the {n} is {i} {a}{f} .",
                "{art} {a} and {b} {n}{f} .",
                "it 's {art} {a} {n}{f} .",
                "the {n} feels {a} and {b} .",
            ),
        )
    intensifier = pick(rng, _INTENSIFIERS)
    return (
        template.format(n=noun, a=first, b=second, f=filler, i=intensifier, art=article(first))
        + " "
    )
