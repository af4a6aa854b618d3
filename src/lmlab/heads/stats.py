"""Statistics relating per-head importance, gradients and updates (SPEC §8, per seed).

For every pair of the quantities I_pre, I_post, G and Urel:

- Spearman's rho with its two-sided p-value (`scipy.stats.spearmanr`).
- The same rank correlation controlling for layer: importance and update size both vary with
  depth, so a raw correlation can come from the layer alone. The partial Spearman correlation
  ranks both variables over all heads (average ranks for ties), regresses the layer out of each
  rank vector by least squares on layer dummies plus an intercept (which amounts to subtracting
  each layer's mean rank), and takes the Pearson correlation of the residuals. Its p-value uses
  the usual partial-correlation t test with n - 2 - (L - 1) degrees of freedom for L layers
  (the L - 1 dummies are the covariates), as in the standard partial correlation of ranks
  (e.g. Conover, "Practical Nonparametric Statistics", and the `spearman` method of pingouin's
  `partial_corr`, which is not a dependency here).
- The overlap of the two top-K sets, against its chance expectation K^2/N when the sets were
  independent uniform draws, with the hypergeometric p-value P(overlap >= observed).

No confidence intervals: the per-head values are means over one fixed eval subset and only the
per-example losses could be resampled, which the measurement stages do not keep; resampling heads
would treat the 72 (or 144) heads of one model as independent draws, which they are not. The
spread over training seeds (summary.py) is the defensible uncertainty.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

QUANTITIES = ("I_pre", "I_post", "G", "Urel")


def pair_name(x: str, y: str) -> str:
    """Key of the pair (x, y) in stats.json and summary.csv."""
    return f"{x}_vs_{y}"


def spearman(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value (NaN for a constant input)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan, math.nan
    result = sps.spearmanr(x, y)
    return float(result.statistic), float(result.pvalue)


def _residual_ranks(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Ranks of `values` minus the mean rank of their group (least squares on group dummies)."""
    ranks = sps.rankdata(values)
    means = pd.Series(ranks).groupby(groups).transform("mean").to_numpy()
    return ranks - means


def partial_spearman(
    x: Sequence[float], y: Sequence[float], groups: Sequence[int]
) -> tuple[float, float]:
    """Spearman correlation of `x` and `y` controlling for the categorical `groups` (layers).

    Returns (rho, two-sided p-value). NaN when either variable is constant within every group or
    when there are too few heads for the degrees of freedom (n - 2 - (L - 1) < 1).
    """
    x, y, groups = np.asarray(x, float), np.asarray(y, float), np.asarray(groups)
    rx, ry = _residual_ranks(x, groups), _residual_ranks(y, groups)
    dof = len(x) - 2 - (len(np.unique(groups)) - 1)
    norm = math.sqrt(float(rx @ rx) * float(ry @ ry))
    if dof < 1 or norm == 0:
        return math.nan, math.nan
    rho = float(np.clip((rx @ ry) / norm, -1.0, 1.0))
    if abs(rho) == 1.0:
        return rho, 0.0
    t = rho * math.sqrt(dof / (1.0 - rho**2))
    return rho, float(2.0 * sps.t.sf(abs(t), dof))


def top_k(values: Sequence[float], k: int) -> set[int]:
    """Positions of the `k` largest values; ties keep the earlier position (stable sort)."""
    order = np.argsort(-np.asarray(values, dtype=float), kind="stable")
    return set(order[:k].tolist())


def overlap_p_value(overlap: int, n: int, k: int) -> float:
    """P(X >= overlap) for X ~ Hypergeometric(n items, k marked, k drawn): the chance that two
    independent uniformly random k-subsets of n share at least `overlap` items."""
    return float(sps.hypergeom.sf(overlap - 1, n, k, k))


def top_k_overlap(x: Sequence[float], y: Sequence[float], k: int) -> dict:
    """Overlap of the top-`k` sets of `x` and `y`, its expectation k^2/n and p-value."""
    n = len(x)
    if not 1 <= k <= n:
        raise ValueError(f"top-K overlap needs 1 <= K <= number of heads ({n}), got K={k}")
    overlap = len(top_k(x, k) & top_k(y, k))
    return {
        "k": k,
        "overlap": overlap,
        "expected": k * k / n,
        "p": overlap_p_value(overlap, n, k),
    }


def seed_statistics(table: pd.DataFrame, k: int, quantities: Sequence[str] = QUANTITIES) -> dict:
    """Correlations (raw and layer-controlled) and top-K overlaps of every pair of `quantities`.

    `table` has one row per head with a `layer` column and the quantity columns. `k` larger than
    the number of heads is clamped to it (and the clamped value is what is recorded as `k`).
    """
    missing = [q for q in (*quantities, "layer") if q not in table.columns]
    if missing:
        raise ValueError(f"head table lacks columns {missing}")
    for q in quantities:
        if not np.isfinite(table[q].to_numpy(dtype=float)).all():
            raise ValueError(f"column {q} has NaN or infinite values; statistics need every head")
    n = len(table)
    k_used = min(k, n)
    correlations, overlaps = {}, {}
    for x, y in itertools.combinations(quantities, 2):
        rho, p = spearman(table[x], table[y])
        rho_layer, p_layer = partial_spearman(table[x], table[y], table["layer"])
        correlations[pair_name(x, y)] = {
            "rho": rho,
            "p": p,
            "rho_layer": rho_layer,
            "p_layer": p_layer,
        }
        overlaps[pair_name(x, y)] = top_k_overlap(table[x], table[y], k_used)
    return {
        "n_heads": n,
        "n_layers": int(table["layer"].nunique()),
        "k_config": k,
        "spearman": correlations,
        "top_k_overlap": overlaps,
    }
