"""The low-resource protocol of UniPELT (Mao et al., ACL 2022, §4.1; SPEC §7): K training
examples, a dev set for model selection cut from the same training split, and the official dev
split as the test set.

The training split is shuffled with the data seed; the first K examples train and the next
`dev_size` select the checkpoint (and stop training early). With K = `all` (full data) the first
`dev_size` examples are dev and every other example trains. The official dev split (MNLI:
dev_matched) is never seen before testing.
"""

from __future__ import annotations

import numpy as np

ALL = "all"


def kshot_indices(n: int, k: int | str, dev_size: int, seed: int) -> tuple[list[int], list[int]]:
    """(train, dev) indices into a training split of `n` examples, for K = `k` (or `all`)."""
    order = np.random.default_rng(seed).permutation(n)
    if k == ALL:
        if dev_size >= n:
            raise ValueError(f"unipelt.dev_size {dev_size} leaves no training example of {n}")
        return order[dev_size:].tolist(), order[:dev_size].tolist()
    if k + dev_size > n:
        raise ValueError(f"K {k} + unipelt.dev_size {dev_size} exceeds the {n} training examples")
    return order[:k].tolist(), order[k : k + dev_size].tolist()


def official_test_split(task: str) -> str:
    """The official dev split that serves as the test set (MNLI: matched)."""
    return "dev_matched" if task == "MNLI" else "dev"
