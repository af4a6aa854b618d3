"""Across-seed summary of the head study: `summary.csv`, `stability.json`, `fig_summary.png`.

summary.csv has one row per statistic of stats.json (every pair's rho, p, rho_layer, p_layer,
top-K overlap and its p-value, each baseline loss and signal-to-noise figure), per case-set count
of cases.json and per pruning point (mean accuracy at each fraction and order), with its mean,
sample standard deviation (ddof = 1), min and max over seeds, a percentile bootstrap interval of
the mean over seeds (`ci_low`, `ci_high`: resampling seeds; with 2 seeds its ends are the two
values, so read it as a range, not as coverage) and the number of seeds. With one seed the
standard deviation is undefined and written as NaN, and min = max. The per-seed intervals over
examples stay in each seed's stats.json.

stability.json says how reproducible the head rankings are: for each compared quantity (I_pre
and G of every θ0 readout, I_post, Urel), the Spearman correlation between every pair of seeds
over the same heads (mean, min and each pair) and the overlap of the seeds' top-K sets
(pairwise mean and min, chance K^2/N, and how many heads are in the top K of every seed). It
needs two seeds or more; with one it says "n/a" explicitly instead of inventing a number.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lmlab.config import Bootstrap
from lmlab.heads.aggregate import analysis_view, json_safe, read_head_table
from lmlab.heads.bootstrap import seed_mean_interval
from lmlab.heads.cases import CASES
from lmlab.heads.plots import summary_figure
from lmlab.heads.stats import spearman, top_k
from lmlab.runtime.atomic import atomic_path, write_json
from lmlab.runtime.figures import save_figure


def flatten(prefix: str, value, out: dict[str, float]) -> None:
    """Numeric leaves of nested dicts as `a.b.c` keys (numbers only; None becomes NaN)."""
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    elif value is None:
        out[prefix] = float("nan")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out[prefix] = float(value)


def seed_row(stats: dict, cases: dict, pruning: pd.DataFrame) -> dict[str, float]:
    """The statistics of one seed as one flat row."""
    row: dict[str, float] = {}
    flatten("", {k: stats[k] for k in ("spearman", "top_k_overlap", "loss", "signal")}, row)
    for name in CASES:
        row[f"cases.{name}.count"] = float(cases[name]["count"])
    metric = pruning["metric"].iloc[0]
    curve = pruning.groupby(["order", "fraction"])[metric].mean()
    for (order, fraction), value in curve.items():
        row[f"pruning.{order}.{metric}@{fraction:g}"] = float(value)
    return row


def describe_over_seeds(per_seed: pd.DataFrame, bootstrap: Bootstrap) -> pd.DataFrame:
    """Mean, std (ddof 1; NaN for one seed), min, max, the bootstrap interval of the mean over
    seeds and n seeds of every column."""
    intervals = [seed_mean_interval(per_seed[c].to_numpy(), bootstrap) for c in per_seed.columns]
    return pd.DataFrame(
        {
            "statistic": per_seed.columns,
            "mean": per_seed.mean().to_numpy(),
            "std": per_seed.std(ddof=1).to_numpy(),
            "min": per_seed.min().to_numpy(),
            "max": per_seed.max().to_numpy(),
            "ci_low": [np.nan if ci is None else ci[0] for ci in intervals],
            "ci_high": [np.nan if ci is None else ci[1] for ci in intervals],
            "n_seeds": per_seed.count().to_numpy(),
        }
    )


def rank_stability(tables: dict[int, pd.DataFrame], k: int, compared: Sequence[str]) -> dict:
    """Pairwise between-seed Spearman and top-K overlap of each `compared` quantity (>= 2
    seeds)."""
    seeds = sorted(tables)
    keys = None
    for seed in seeds:
        index = list(zip(tables[seed]["layer"], tables[seed]["head"], strict=True))
        if keys is not None and index != keys:
            raise ValueError(f"seed {seed} lists other heads (layer, head) than seed {seeds[0]}")
        keys = index
    n = len(keys)
    k = min(k, n)
    ranks, overlaps = {}, {}
    for quantity in compared:
        rhos, shared = {}, {}
        for a, b in itertools.combinations(seeds, 2):
            rhos[f"{a}-{b}"] = spearman(tables[a][quantity], tables[b][quantity])[0]
            top_a, top_b = top_k(tables[a][quantity], k), top_k(tables[b][quantity], k)
            shared[f"{a}-{b}"] = len(top_a & top_b)
        in_all = set.intersection(*(top_k(tables[s][quantity], k) for s in seeds))
        ranks[quantity] = {
            "mean": float(np.nanmean(list(rhos.values()))),
            "min": float(np.nanmin(list(rhos.values()))),
            "pairs": rhos,
        }
        overlaps[quantity] = {
            "mean": float(np.mean(list(shared.values()))),
            "min": int(min(shared.values())),
            "expected_if_independent": k * k / n,
            "in_top_k_of_every_seed": len(in_all),
            "pairs": shared,
        }
    return {"k": k, "rank_stability": ranks, "top_k_stability": overlaps}


def summarise_seeds(
    seeds: Sequence[int],
    heads_csvs: Sequence[str | os.PathLike],
    stats_jsons: Sequence[str | os.PathLike],
    cases_jsons: Sequence[str | os.PathLike],
    pruning_jsonls: Sequence[str | os.PathLike],
    outputs: dict[str, str | os.PathLike],
    top_k: int,
    layer_normalise: bool,
    bootstrap: Bootstrap,
) -> pd.DataFrame:
    """Write summary.csv, stability.json and fig_summary.png (`outputs` keys: summary,
    stability, figure) from the per-seed files, given in the order of `seeds`; return the
    summary table. `top_k`, `layer_normalise`, `bootstrap`: the `heads.analysis` keys."""
    lists = (heads_csvs, stats_jsons, cases_jsons, pruning_jsonls)
    if not seeds or any(len(files) != len(seeds) for files in lists):
        raise ValueError(
            f"need one heads.csv, stats.json, cases.json, pruning.jsonl per seed {seeds}"
        )
    rows, tables, stats = [], {}, {}
    for seed, heads_csv, stats_json, cases_json, pruning_jsonl in zip(seeds, *lists, strict=True):
        stats = json.loads(Path(stats_json).read_text(encoding="utf-8"))
        cases = json.loads(Path(cases_json).read_text(encoding="utf-8"))
        rows.append(seed_row(stats, cases, pd.read_json(pruning_jsonl, lines=True)))
        tables[seed] = analysis_view(read_head_table(heads_csv), layer_normalise)
    per_seed = pd.DataFrame(rows, index=list(seeds))
    summary = describe_over_seeds(per_seed, bootstrap)
    meta = {
        "task": stats["task"],
        "model": stats["model"],
        "n_seeds": len(seeds),
        "readouts": stats["readouts"],
    }
    if len(seeds) >= 2:
        compared = stats["quantities"]
        stability = {**meta, "seeds": list(seeds), **rank_stability(tables, top_k, compared)}
    else:
        stability = {
            **meta,
            "seeds": list(seeds),
            "status": "n/a: stability of head rankings across seeds needs at least 2 seeds",
            "rank_stability": "n/a",
            "top_k_stability": "n/a",
        }
    with atomic_path(outputs["summary"]) as tmp:
        summary.to_csv(tmp, index=False, float_format="%.6g", na_rep="NaN")
    write_json(outputs["stability"], json_safe(stability))
    save_figure(summary_figure(per_seed, stability, meta), outputs["figure"])
    return summary
