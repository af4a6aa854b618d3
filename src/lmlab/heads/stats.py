"""Statistics relating per-head importance, gradients and updates (SPEC §8, per seed).

For every pair of the quantities (I_pre and G of every measured θ0 readout, I_post, Urel):

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
- For each of them a basic bootstrap interval over the eval subset's examples
  (`lmlab.heads.bootstrap`; `*_ci` keys), when the per-example values are given. The p-values
  treat the heads of one model as independent draws, which they are not; the intervals make no
  such assumption.

Every statistic is computed column-wise (`*_columns`: one column per bootstrap replicate), so
the point estimate and its replicates come from the same code.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from lmlab.heads.bootstrap import basic_interval


def quantities(readouts: Sequence[str]) -> list[str]:
    """The compared per-head quantities when θ0 was measured through `readouts`."""
    return [*(f"I_pre_{r}" for r in readouts), "I_post", *(f"G_{r}" for r in readouts), "Urel"]


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


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks of every column of `[N, B]` values."""
    return sps.rankdata(values, axis=0)


def _column_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of matching columns of two centred `[N, B]` arrays (NaN when one
    column is constant)."""
    norm = np.sqrt((a * a).sum(0) * (b * b).sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (a * b).sum(0) / norm
    return np.where(norm > 0, np.clip(rho, -1.0, 1.0), np.nan)


def spearman_columns(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of every column pair of `[N, B]` arrays."""
    rx, ry = _ranks(x), _ranks(y)
    return _column_correlation(rx - rx.mean(0), ry - ry.mean(0))


def _group_centred(ranks: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """`ranks` minus the mean rank of their group, per column (least squares on group dummies)."""
    _, codes = np.unique(groups, return_inverse=True)
    dummies = np.eye(codes.max() + 1)[codes]  # [N, L]
    means = (dummies.T @ ranks) / dummies.sum(0)[:, None]
    return ranks - dummies @ means


def partial_spearman_columns(x: np.ndarray, y: np.ndarray, groups: Sequence[int]) -> np.ndarray:
    """Spearman's rho controlling for the categorical `groups`, per column of `[N, B]` arrays."""
    groups = np.asarray(groups)
    rx, ry = _group_centred(_ranks(x), groups), _group_centred(_ranks(y), groups)
    return _column_correlation(rx, ry)


def partial_spearman(
    x: Sequence[float], y: Sequence[float], groups: Sequence[int]
) -> tuple[float, float]:
    """Spearman correlation of `x` and `y` controlling for the categorical `groups` (layers).

    Returns (rho, two-sided p-value). NaN when either variable is constant within every group or
    when there are too few heads for the degrees of freedom (n - 2 - (L - 1) < 1).
    """
    x, y, groups = np.asarray(x, float), np.asarray(y, float), np.asarray(groups)
    dof = len(x) - 2 - (len(np.unique(groups)) - 1)
    rho = float(partial_spearman_columns(x[:, None], y[:, None], groups)[0])
    if dof < 1 or math.isnan(rho):
        return math.nan, math.nan
    if abs(rho) == 1.0:
        return rho, 0.0
    t = rho * math.sqrt(dof / (1.0 - rho**2))
    return rho, float(2.0 * sps.t.sf(abs(t), dof))


def top_k_columns(values: np.ndarray, k: int) -> np.ndarray:
    """`[N, B]` masks of each column's `k` largest values; ties keep the earlier row."""
    order = np.argsort(-values, axis=0, kind="stable")[:k]
    mask = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=0)
    return mask


def overlap_columns(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Size of the intersection of the top-`k` sets of every column pair."""
    return (top_k_columns(x, k) & top_k_columns(y, k)).sum(0)


def top_k(values: Sequence[float], k: int) -> set[int]:
    """Positions of the `k` largest values; ties keep the earlier position (stable sort)."""
    column = np.asarray(values, dtype=float)[:, None]
    return set(np.flatnonzero(top_k_columns(column, k)[:, 0]).tolist())


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


def seed_statistics(
    table: pd.DataFrame,
    k: int,
    compared: Sequence[str],
    replicates: dict[str, np.ndarray] | None = None,
    level: float = 0.95,
) -> dict:
    """Correlations (raw and layer-controlled) and top-K overlaps of every pair of `compared`.

    `table` has one row per head with a `layer` column and the quantity columns. `k` larger than
    the number of heads is clamped to it (and the clamped value is what is recorded as `k`).
    `replicates` (quantity -> `[N, B]` bootstrap replicates, rows in `table`'s order) adds the
    basic bootstrap interval at `level` of every statistic (`rho_ci`, `rho_layer_ci`,
    `overlap_ci`).
    """
    missing = [q for q in (*compared, "layer") if q not in table.columns]
    if missing:
        raise ValueError(f"head table lacks columns {missing}")
    for q in compared:
        if not np.isfinite(table[q].to_numpy(dtype=float)).all():
            raise ValueError(f"column {q} has NaN or infinite values; statistics need every head")
    n = len(table)
    k_used = min(k, n)
    layers = table["layer"].to_numpy()
    correlations, overlaps = {}, {}
    for x, y in itertools.combinations(compared, 2):
        rho, p = spearman(table[x], table[y])
        rho_layer, p_layer = partial_spearman(table[x], table[y], layers)
        pair = pair_name(x, y)
        correlations[pair] = {"rho": rho, "p": p, "rho_layer": rho_layer, "p_layer": p_layer}
        overlaps[pair] = top_k_overlap(table[x], table[y], k_used)
        if replicates is not None:
            rx, ry = replicates[x], replicates[y]
            rhos = {"rho": spearman_columns(rx, ry)}
            rhos["rho_layer"] = partial_spearman_columns(rx, ry, layers)
            for key, values in rhos.items():
                estimate = correlations[pair][key]
                correlations[pair][f"{key}_ci"] = basic_interval(values, estimate, level, (-1, 1))
            overlaps[pair]["overlap_ci"] = basic_interval(
                overlap_columns(rx, ry, k_used), overlaps[pair]["overlap"], level, (0, k_used)
            )
    return {
        "n_heads": n,
        "n_layers": int(table["layer"].nunique()),
        "k_config": k,
        "quantities": list(compared),
        "spearman": correlations,
        "top_k_overlap": overlaps,
    }
