"""Rule 3, MNLI: `glue/MNLI/*.tsv`, premise scenes and hypotheses labelled by their claims.

The files have the real 12-column train, 16-column dev and 10-column test headers. A premise
describes a scene with slots: subject, action (always), adjectives from incompatible pairs
(tall/short, ...), place, time. Each premise gets one hypothesis per label (like MNLI's promptID
groups; test files one per premise). A hypothesis makes claims about the slots: true if the
premise has the same value, false if it has an incompatible one, unknown if the premise leaves
the slot empty; entailment = all claims true (it drops details or generalises the subject to
"person"/"someone"), contradiction = one claim false (changed action or attribute, or a negated
true action), neutral = a claim about an empty slot. Negated claims occur in all three labels
("is not sleeping" is entailed by "is cooking"; of the hypotheses with "not", about 44% are
contradictions, 37% neutral and 19% entailments), so "not" alone does not give the label. Labels
are balanced to within one. dev_matched and test_matched share train's vocabulary and templates;
dev_mismatched and test_mismatched use other subjects, actions, places, adjectives, genres, past
tense and a fronted time phrase (a shifted distribution). Parse columns hold placeholder parses
built from the tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from lmlab.data.synth.common import STREAM_MNLI, article, pick, stream

MNLI_TRAIN_HEADER = (
    "index", "promptID", "pairID", "genre", "sentence1_binary_parse", "sentence2_binary_parse",
    "sentence1_parse", "sentence2_parse", "sentence1", "sentence2", "label1", "gold_label",
)  # fmt: skip
MNLI_DEV_HEADER = (*MNLI_TRAIN_HEADER[:11], "label2", "label3", "label4", "label5", "gold_label")
MNLI_TEST_HEADER = MNLI_TRAIN_HEADER[:10]
NLI_LABELS = ("entailment", "neutral", "contradiction")


@dataclass(frozen=True)
class NliVocab:
    """Word lists and surface choices of one MNLI distribution (matched or mismatched)."""

    genres: tuple[str, ...]
    subjects: tuple[str, ...]
    adjectives: tuple[tuple[str, str], ...]  # slots of two incompatible values
    actions: tuple[str, ...]  # mutually exclusive activities
    places: tuple[str, ...]
    times: tuple[str, ...]
    copula: str
    time_first: bool


MATCHED = NliVocab(
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
MISMATCHED = NliVocab(
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


def mnli_files(sizes: dict[str, int], seed: int) -> tuple[dict[str, str], dict[str, Any]]:
    """The five MNLI files and their label counts."""
    rng = stream(seed, STREAM_MNLI)
    plan = (
        ("train", MATCHED, sizes["train"], MNLI_TRAIN_HEADER, 3),
        ("dev_matched", MATCHED, sizes["dev"], MNLI_DEV_HEADER, 3),
        ("dev_mismatched", MISMATCHED, sizes["dev"], MNLI_DEV_HEADER, 3),
        ("test_matched", MATCHED, sizes["test"], MNLI_TEST_HEADER, 1),
        ("test_mismatched", MISMATCHED, sizes["test"], MNLI_TEST_HEADER, 1),
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
            genre = pick(rng, vocab.genres)
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


def _scene(vocab: NliVocab, rng: np.random.Generator) -> dict[str, str]:
    """A premise scene: subject, action and 2-3 filled optional slots."""
    scene = {"subject": pick(rng, vocab.subjects), "action": pick(rng, vocab.actions)}
    filled = rng.choice(len(_NLI_SLOTS), size=int(rng.integers(2, 4)), replace=False)
    for i in filled:
        scene[_NLI_SLOTS[i]] = _slot_value(_NLI_SLOTS[i], vocab, rng)
    return scene


def _slot_value(slot: str, vocab: NliVocab, rng: np.random.Generator, not_: str = "") -> str:
    """A value for `slot`, different from `not_` when given (an incompatible value)."""
    if slot.startswith("adj"):
        options = vocab.adjectives[int(slot[3])]
    else:
        options = vocab.places if slot == "place" else vocab.times
    return pick(rng, [o for o in options if o != not_])


def _hypothesis(
    scene: dict[str, str], label: str, vocab: NliVocab, rng: np.random.Generator
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
            slot = pick(rng, missing_adj)
            value = _slot_value(slot, vocab, rng)
        else:
            slot = pick(rng, filled_adj)
            # "is v" and "is not v'" are entailed, "is v'" and "is not v" contradicted.
            same = (label == "entailment") != negated
            value = scene[slot] if same else _slot_value(slot, vocab, rng, not_=scene[slot])
        return f"The {scene['subject']} {vocab.copula} {'not ' if negated else ''}{value}."
    claims: dict[str, str] = {}
    if form == "negated" and (label != "neutral" or missing_adj):
        action = scene["action"] if label == "contradiction" else pick(rng, other_actions)
        if label == "neutral":
            slot = pick(rng, missing_adj)
            claims[slot] = _slot_value(slot, vocab, rng)
        elif filled_adj and rng.random() < 0.5:
            slot = pick(rng, filled_adj)
            claims[slot] = scene[slot]
        return _render({**claims, "subject": scene["subject"], "action": action}, vocab,
                       negated=True, rng=rng)  # fmt: skip
    action = scene["action"]
    if label == "neutral":
        kept = [str(s) for s in rng.permutation(filled)[: int(rng.integers(2))]]
        slot = pick(rng, missing)
        claims[slot] = _slot_value(slot, vocab, rng)
    else:
        n_details = int(rng.choice(3, p=[0.2, 0.45, 0.35]))
        kept = [str(s) for s in rng.permutation(filled)[:n_details]]
    claims.update({s: scene[s] for s in kept})
    if label == "contradiction":
        if kept and rng.random() < 0.5:
            slot = pick(rng, kept)
            claims[slot] = _slot_value(slot, vocab, rng, not_=scene[slot])
        else:
            action = pick(rng, other_actions)
    return _render({**claims, "subject": scene["subject"], "action": action}, vocab, rng=rng)


def _render(
    scene: dict[str, str],
    vocab: NliVocab,
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
        noun_phrase = f"{'the' if the else article(words)} {words}"
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
        labels[int(rng.integers(4))] = pick(rng, [x for x in NLI_LABELS if x != gold])
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
