"""Heads where importance and update size disagree (SPEC §8, `cases.json`).

The importance column is I_pre of one θ0 readout (`heads.analysis.readout`: the probe by
default), named in cases.json (`importance`, `readout`).

- "important but static": I_pre in the top `top` fraction and Urel in the bottom `bottom`
  fraction — heads the pretrained model relies on that fine-tuning barely moved;
- "plastic but unimportant": Urel in the top `top` fraction and I_pre in the bottom `bottom`
  fraction — heads that moved a lot without mattering (before fine-tuning) to the loss.

Fractions are percentile ranks over all heads: a head is in the top q when its average rank
divided by N exceeds 1 - q, in the bottom q when it is at most q (ties share a rank, so tied
heads are in or out together). With independent rankings about N * top * bottom heads fall in
each set by chance; that number is recorded next to each set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

CASES = ("important_but_static", "plastic_but_unimportant")


def case_rules(importance: str) -> dict[str, tuple[str, str]]:
    """Per case set, (the column in its top fraction, the column in its bottom fraction)."""
    return {
        "important_but_static": (importance, "Urel"),
        "plastic_but_unimportant": ("Urel", importance),
    }


def percentile_rank(values: pd.Series) -> np.ndarray:
    """Average rank / N, in (0, 1]: the largest value has 1."""
    return sps.rankdata(values.to_numpy(dtype=float)) / len(values)


def select_cases(table: pd.DataFrame, importance: str, top: float, bottom: float) -> dict:
    """The two case sets of `table` (one row per head with layer, head, Urel and the
    `importance` column, e.g. I_pre_probe)."""
    if not (0 < top < 1 and 0 < bottom < 1):
        raise ValueError(f"case quantiles must lie in (0, 1), got top={top} bottom={bottom}")
    n = len(table)
    result: dict = {
        "n_heads": n,
        "top": top,
        "bottom": bottom,
        "definition": "top q: percentile rank (average rank / N) > 1 - q; bottom q: <= q",
        "importance": importance,
    }
    for name, (high, low) in case_rules(importance).items():
        chosen = (percentile_rank(table[high]) > 1 - top) & (percentile_rank(table[low]) <= bottom)
        rows = table.loc[chosen, ["layer", "head", importance, "Urel"]]
        result[name] = {
            "rule": f"{high} in the top {top:.0%} and {low} in the bottom {bottom:.0%}",
            "count": len(rows),
            "expected_if_independent": n * top * bottom,
            "heads": [
                {"layer": int(r.layer), "head": int(r.head), importance: r[2], "Urel": r[3]}
                for r in rows.itertuples(index=False)
            ],
        }
    return result


def case_membership(table: pd.DataFrame, cases: dict) -> pd.Series:
    """Per row of `table`, the name of the case set it belongs to, or None."""
    label = pd.Series([None] * len(table), index=table.index, dtype=object)
    keys = list(zip(table["layer"].astype(int), table["head"].astype(int), strict=True))
    for name in CASES:
        members = {(h["layer"], h["head"]) for h in cases[name]["heads"]}
        hit = [key in members for key in keys]
        label[hit] = name
    return label
