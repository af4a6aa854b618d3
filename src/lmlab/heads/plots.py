"""Figures of the head study: per seed (I vs Urel, I vs G, statistics, pruning) and across seeds.

Every function builds a `matplotlib.figure.Figure` without pyplot (no global state, no display
backend; PNGs are written with Agg) and returns it, so tests inspect axes, labels and artists;
`save_figure` writes it atomically. Axis labels name the quantity and say what it measures;
titles carry task, seed and model; scales turn logarithmic when a quantity spans 1.5 decades or
more (symmetric-log for heavy-tailed values with signs, as ablation importance may have).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lmlab.heads.aggregate import SIGNIFICANT_SE, analysis_view, read_head_table
from lmlab.heads.cases import CASES, case_membership
from lmlab.heads.stats import pair_name
from lmlab.runtime.figures import save_figure

READOUT_TEXT = {
    "random": "θ0 read through its seeded random classification head",
    "probe": "θ0 read through a head fitted on the frozen θ0 encoder",
}
LABELS = {
    "I_post": "I_post: loss increase when the head is gated off, θ1 (nats)",
    "Urel": "Urel: |θ1 − θ0| / |θ0| over the head's Q, K, V, O slices",
}
CASE_STYLE = {
    "important_but_static": {"marker": "*", "s": 180, "edgecolor": "crimson"},
    "plastic_but_unimportant": {"marker": "s", "s": 70, "edgecolor": "royalblue"},
}
CASE_TEXT = {
    "important_but_static": "important but static ({i} top {top}, Urel bottom {bottom})",
    "plastic_but_unimportant": "plastic but unimportant (Urel top {top}, {i} bottom {bottom})",
}
SCORES = {"none": "raw scores", "layer_l2": "importance scores / layer L2 norm"}
DECADES = 1.5  # a quantity spanning this many decades (factor ~30) gets a log axis


def describe(meta: dict) -> str:
    """`MNLI, seed 0, all-MiniLM-L6-v2` from the task/seed/model entries of stats.json."""
    return f"{meta['task']}, seed {meta['seed']}, {meta['model']}"


def axis_label(quantity: str, normalisation: str = "none") -> str:
    """What a heads.csv column measures, with its θ0 readout (`I_pre_probe`, `G_random`, ...)."""
    if quantity in LABELS:
        label = LABELS[quantity]
    elif quantity.startswith("I_pre_"):
        readout = quantity.removeprefix("I_pre_")
        label = f"{quantity}: loss increase when the head is gated off, {READOUT_TEXT[readout]}"
    elif quantity.startswith("G_"):
        readout = quantity.removeprefix("G_")
        label = f"{quantity}: mean |dL/dgate| of the head, {READOUT_TEXT[readout]}"
    else:
        label = quantity
    if normalisation == "layer_l2" and quantity.startswith(("I_", "G_")):
        label += " / layer L2 norm"
    return label


def set_scale(ax, axis: str, values: Sequence[float]) -> str:
    """Give `ax`'s x or y axis a linear, log or symlog scale suited to `values`; return it.

    Positive values spanning `DECADES` or more (max / min) get a log axis. Values with zeros or
    negatives get a symmetric-log axis (linear within the median magnitude) only when heavy-tailed:
    the largest magnitude `DECADES` or more above the median one, as when a few heads dominate.
    """
    v = np.asarray(values, dtype=float)
    magnitude = np.abs(v[v != 0])
    setter = ax.set_xscale if axis == "x" else ax.set_yscale
    if magnitude.size < 2:
        scale, options = "linear", {}
    elif (v > 0).all():
        spans = np.log10(magnitude.max() / magnitude.min()) >= DECADES
        scale, options = ("log" if spans else "linear"), {}
    elif np.log10(magnitude.max() / np.median(magnitude)) >= DECADES:
        scale, options = "symlog", {"linthresh": float(np.median(magnitude))}
    else:
        scale, options = "linear", {}
    setter(scale, **options)
    return scale


def within_noise(table: pd.DataFrame, column: str) -> np.ndarray:
    """Heads whose `column` (an importance) lies within two standard errors of 0."""
    se = table.get(f"{column}_se")
    if se is None:
        return np.zeros(len(table), dtype=bool)
    return (np.abs(table[column]) < SIGNIFICANT_SE * se).to_numpy()


def case_scatter(table: pd.DataFrame, cases: dict, x: str, y: str, stats: dict) -> Figure:
    """Scatter of two per-head quantities (`x` horizontal), coloured by layer, the case sets
    marked by shape, heads whose importance `x` is within two standard errors of 0 drawn hollow,
    with the pair's statistics from stats.json as the legend title."""
    fig = Figure(figsize=(8.5, 6.2), layout="constrained")
    ax = fig.add_subplot()
    membership = case_membership(table, cases)
    layers = table["layer"].to_numpy()
    norm = {"vmin": layers.min(), "vmax": max(layers.max(), layers.min() + 1), "cmap": "viridis"}
    noise = within_noise(table, x)
    plain = membership.isna().to_numpy()
    points = ax.scatter(
        table[x][plain & ~noise],
        table[y][plain & ~noise],
        c=layers[plain & ~noise],
        s=28,
        alpha=0.8,
        edgecolors="none",
        **norm,
    )
    hollow = plain & noise
    ax.scatter(
        table[x][hollow],
        table[y][hollow],
        s=28,
        facecolors="none",
        edgecolors=layer_colours(layers[hollow], norm),
        linewidths=1.0,
    )
    handles = [
        Line2D([], [], marker="o", ls="", color="grey", label="other heads"),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markerfacecolor="none",
            markeredgecolor="grey",
            label=f"|{x}| < {SIGNIFICANT_SE:g} SE (not told apart from 0): {int(noise.sum())}",
        ),
    ]
    fractions = {"top": f"{cases['top']:.0%}", "bottom": f"{cases['bottom']:.0%}"}
    fractions["i"] = cases.get("importance", x)
    for name in CASES:
        hit = (membership == name).to_numpy()
        style = CASE_STYLE[name]
        ax.scatter(table[x][hit], table[y][hit], c=layers[hit], linewidths=1.6, **norm, **style)
        handles.append(
            Line2D(
                [],
                [],
                marker=style["marker"],
                ls="",
                markerfacecolor="lightgrey",
                markeredgecolor=style["edgecolor"],
                markeredgewidth=1.6,
                markersize=10,
                label=CASE_TEXT[name].format(**fractions) + f": {int(hit.sum())}",
            )
        )
    fig.colorbar(points, ax=ax, label="layer (0 = closest to the embeddings)")
    set_scale(ax, "x", table[x])
    set_scale(ax, "y", table[y])
    ax.set_xlabel(axis_label(x, stats["normalisation"]), fontsize=9)
    ax.set_ylabel(axis_label(y, stats["normalisation"]), fontsize=9)
    ax.set_title(f"{x} vs {y} per attention head — {describe(stats)}")
    # The statistics head the legend, which "best" places where it hides the fewest points.
    ax.legend(
        handles=handles,
        title=_pair_summary(stats, x, y),
        title_fontsize=8,
        alignment="left",
        loc="best",
        fontsize=8,
        framealpha=0.85,
    )
    return fig


def layer_colours(values: np.ndarray, norm: dict) -> np.ndarray:
    """RGBA colours of `values` under the scatter colour map and limits `norm`."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    scale = Normalize(vmin=norm["vmin"], vmax=norm["vmax"])
    return colormaps[norm["cmap"]](scale(values))


def _pair_summary(stats: dict, x: str, y: str) -> str:
    """The pair's raw and within-layer rho and top-K overlap with their bootstrap intervals, as
    printed in a scatter's corner."""
    key = pair_name(x, y) if pair_name(x, y) in stats["spearman"] else pair_name(y, x)
    rho, top = stats["spearman"][key], stats["top_k_overlap"][key]
    level = f"{stats['bootstrap']['level']:.0%}"
    return "\n".join(
        [
            f"Spearman ρ = {_fmt(rho['rho'])} {_ci(rho.get('rho_ci'))} (p = {_fmt(rho['p'], 'g')})",
            f"within layers ρ = {_fmt(rho['rho_layer'])} {_ci(rho.get('rho_layer_ci'))} "
            f"(p = {_fmt(rho['p_layer'], 'g')})",
            f"top-{top['k']} overlap {top['overlap']} {_ci(top.get('overlap_ci'), 'd')} "
            f"(chance {top['expected']:.1f}, p = {_fmt(top['p'], 'g')})",
            f"[ ]: {level} bootstrap interval over {stats['bootstrap']['n_examples']} examples;"
            f" N = {stats['n_heads']} heads",
        ]
    )


def _ci(interval, kind: str = "f") -> str:
    if interval is None:
        return "[n/a]"
    low, high = interval
    return f"[{low:.0f}, {high:.0f}]" if kind == "d" else f"[{low:.2f}, {high:.2f}]"


def _fmt(value, kind: str = "f") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{value:.2g}" if kind == "g" else f"{value:.2f}"


def stats_figure(stats: dict) -> Figure:
    """Bars of every pair's Spearman rho (raw and within layers) with p-values, and the top-K
    overlaps against their chance expectation with hypergeometric p-values."""
    pairs = list(stats["spearman"])
    names = [p.replace("_vs_", " vs ") for p in pairs]
    idx = np.arange(len(pairs))
    fig = Figure(figsize=(max(10, 0.75 * len(pairs) + 3), 10.5), layout="constrained")
    ax_rho, ax_top = fig.subplots(2, 1)
    width = 0.38
    for offset, key, pkey, colour, label in (
        (-width / 2, "rho", "p", "tab:blue", "raw Spearman ρ"),
        (width / 2, "rho_layer", "p_layer", "tab:orange", "controlling for layer (partial ρ)"),
    ):
        values = [_nan(stats["spearman"][p][key]) for p in pairs]
        error = _error_bars(values, [stats["spearman"][p].get(f"{key}_ci") for p in pairs])
        bars = ax_rho.bar(
            idx + offset, values, width, yerr=error, capsize=2, color=colour, label=label
        )
        ax_rho.bar_label(
            bars,
            labels=[f"p={_fmt(stats['spearman'][p][pkey], 'g')}" for p in pairs],
            fontsize=7,
            padding=3,
            rotation=90,
        )
    ax_rho.axhline(0, color="black", lw=0.8)
    ax_rho.set_ylim(-1.45, 1.45)
    ax_rho.set_yticks(np.linspace(-1, 1, 9))
    ax_rho.set_xticks(idx, names, fontsize=8, rotation=30, ha="right")
    ax_rho.set_ylabel("Spearman ρ over heads")
    ax_rho.set_title(
        f"Rank correlations (p: two-sided; bars: {stats['bootstrap']['level']:.0%} bootstrap "
        f"interval over {stats['bootstrap']['n_examples']} examples)"
    )
    ax_rho.legend(fontsize=8, loc="lower left")

    overlaps = [stats["top_k_overlap"][p] for p in pairs]
    k = overlaps[0]["k"]
    observed = [float(o["overlap"]) for o in overlaps]
    bars = ax_top.bar(
        idx,
        observed,
        0.6,
        yerr=_error_bars(observed, [o.get("overlap_ci") for o in overlaps]),
        capsize=2,
        color="tab:green",
        label=f"observed top-{k} overlap",
    )
    labels = [f"p={_fmt(o['p'], 'g')}" for o in overlaps]
    ax_top.bar_label(bars, labels=labels, fontsize=7, rotation=90, padding=3)
    ax_top.axhline(
        overlaps[0]["expected"],
        color="black",
        ls="--",
        label=f"chance K²/N = {overlaps[0]['expected']:.1f}",
    )
    ax_top.set_ylim(0, k * 1.3)
    ax_top.set_xticks(idx, names, fontsize=8, rotation=30, ha="right")
    ax_top.set_ylabel(f"heads in both top-{k} sets")
    ax_top.set_title("Top-K overlap (p: hypergeometric, P(≥ observed))")
    ax_top.legend(fontsize=8, loc="upper right")
    fig.suptitle(
        f"Head statistics — {describe(stats)} (N = {stats['n_heads']} heads, "
        f"{stats['n_layers']} layers, {SCORES[stats['normalisation']]}; θ0 readouts: "
        f"{', '.join(stats['readouts'])})"
    )
    return fig


def _error_bars(values: Sequence[float], intervals: Sequence) -> np.ndarray:
    """`[2, n]` distances from each value down and up to its interval (0 where it has none)."""
    error = np.zeros((2, len(values)))
    for i, (value, interval) in enumerate(zip(values, intervals, strict=True)):
        if interval is not None and np.isfinite(value):
            error[:, i] = [max(value - interval[0], 0.0), max(interval[1] - value, 0.0)]
    return error


def _nan(value) -> float:
    return float("nan") if value is None else float(value)


def pruning_figure(rows: pd.DataFrame, meta: dict) -> Figure:
    """Task metric on the eval subset vs fraction of heads gated off, by importance and at
    random (rows of pruning.jsonl)."""
    metric = rows["metric"].iloc[0]
    fig = Figure(figsize=(7.5, 5.2), layout="constrained")
    ax = fig.add_subplot()
    for order, group in rows.groupby("order", sort=False):
        curve = group.groupby("fraction")[metric].agg(["mean", "min", "max"])
        if order == "random":
            repeats = group["repeat"].nunique()
            label = f"random order (mean of {repeats} seeded)" if repeats > 1 else "random order"
            ax.plot(curve.index, curve["mean"], "o--", color="grey", label=label)
            if repeats > 1:
                ax.fill_between(
                    curve.index,
                    curve["min"],
                    curve["max"],
                    color="grey",
                    alpha=0.25,
                    label="random orders: min–max",
                )
        else:
            ax.plot(
                curve.index,
                curve["mean"],
                "o-",
                color="tab:red",
                label=f"least important first (by {order})",
            )
    unpruned = rows.loc[rows["heads_off"] == 0, metric]
    if len(unpruned):
        ax.axhline(unpruned.iloc[0], color="black", lw=0.8, label="all heads (θ1)")
    majority = rows["majority_accuracy"].iloc[0]
    if metric == "accuracy" and pd.notna(majority):
        ax.axhline(majority, color="black", ls=":", label="majority class of the subset")
    ax.set_xlabel(f"fraction of the {int(rows['heads_total'].iloc[0])} attention heads gated off")
    ax.set_ylabel(f"{metric} on the eval subset ({int(rows['examples'].iloc[0])} examples)")
    ax.set_title(f"Head pruning of θ1 — {describe(meta)}")
    ax.legend(fontsize=8, loc="best")
    return fig


def summary_figure(per_seed: pd.DataFrame, stability: dict, meta: dict) -> Figure:
    """Across seeds: each correlation and top-K overlap (seeds as dots, mean, min–max bar), and
    the rank stability of each quantity between seeds."""
    fig = Figure(figsize=(16, 10.5), layout="constrained")
    axes = fig.subplot_mosaic([["rho", "rho"], ["top", "stab"]], width_ratios=[3, 1])
    ax_rho, ax_top, ax_stab = axes["rho"], axes["top"], axes["stab"]
    n_seeds = len(per_seed)
    rho_cols = [c for c in per_seed.columns if c.startswith("spearman.") and c.endswith(".rho")]
    pairs = [c.split(".")[1] for c in rho_cols]
    idx = np.arange(len(pairs))
    names = [p.replace("_vs_", " vs ") for p in pairs]
    for offset, suffix, colour, label in (
        (-0.17, "rho", "tab:blue", "raw ρ"),
        (0.17, "rho_layer", "tab:orange", "controlling for layer"),
    ):
        cols = [f"spearman.{p}.{suffix}" for p in pairs]
        _spread(ax_rho, idx + offset, per_seed[cols].to_numpy(dtype=float), colour, label)
    ax_rho.axhline(0, color="black", lw=0.8)
    ax_rho.set_ylim(-1.1, 1.1)
    ax_rho.set_xticks(idx, names, fontsize=8, rotation=30, ha="right")
    ax_rho.set_ylabel("Spearman ρ over heads")
    ax_rho.set_title("Rank correlations over heads")
    ax_rho.legend(fontsize=8, loc="lower left")

    cols = [f"top_k_overlap.{p}.overlap" for p in pairs]
    _spread(ax_top, idx, per_seed[cols].to_numpy(dtype=float), "tab:green", "observed")
    expected = per_seed[f"top_k_overlap.{pairs[0]}.expected"].iloc[0]
    ax_top.axhline(expected, color="black", ls="--", label=f"chance K²/N = {expected:.1f}")
    k = int(per_seed[f"top_k_overlap.{pairs[0]}.k"].iloc[0])
    ax_top.set_ylim(0, k * 1.05)
    ax_top.set_xticks(idx, names, fontsize=8, rotation=30, ha="right")
    ax_top.set_ylabel(f"heads in both top-{k}")
    ax_top.set_title("Top-K overlap")
    ax_top.legend(fontsize=8)

    ax_stab.set_title("Head ranking stability\nbetween seeds")
    ax_stab.set_ylabel("pairwise Spearman ρ between seeds")
    if isinstance(stability.get("rank_stability"), dict):
        quantities = list(stability["rank_stability"])
        means = [stability["rank_stability"][q]["mean"] for q in quantities]
        mins = [stability["rank_stability"][q]["min"] for q in quantities]
        pos = np.arange(len(quantities))
        ax_stab.bar(pos, means, 0.6, color="tab:purple", label="mean over seed pairs")
        ax_stab.scatter(pos, mins, marker="_", s=300, color="black", label="min over seed pairs")
        ax_stab.set_xticks(pos, quantities, rotation=45, ha="right", fontsize=8)
        ax_stab.set_ylim(min(0.0, *mins) - 0.05, 1.05)
        ax_stab.legend(fontsize=7, loc="lower left")
    else:
        ax_stab.set_xticks([])
        ax_stab.text(
            0.5, 0.5, "n/a: needs ≥ 2 seeds", ha="center", va="center", transform=ax_stab.transAxes
        )
    spread = (
        "diamond: mean, bar: min–max over seeds, dots: seeds"
        if n_seeds > 1
        else "one seed: no spread"
    )
    fig.suptitle(f"Head study across {n_seeds} seed(s) — {meta['task']}, {meta['model']}: {spread}")
    return fig


def _spread(ax, x: np.ndarray, values: np.ndarray, colour: str, label: str) -> None:
    """Per column of `values` (seeds x items): dots per seed, the mean, a min–max bar."""
    for row in values:
        ax.scatter(x, row, s=12, color=colour, alpha=0.45, edgecolors="none")
    mean = np.nanmean(values, axis=0)
    err = np.vstack([mean - np.nanmin(values, axis=0), np.nanmax(values, axis=0) - mean])
    ax.errorbar(x, mean, yerr=err, fmt="D", color=colour, capsize=4, label=label)


def write_seed_figures(
    heads_csv: str | os.PathLike,
    stats_json: str | os.PathLike,
    cases_json: str | os.PathLike,
    pruning_jsonl: str | os.PathLike,
    outputs: dict[str, str | os.PathLike],
) -> None:
    """Draw every figure of one seed from its measurements (no model is loaded).

    `outputs` maps I_vs_U, I_vs_G, stats and pruning to the PNG paths. The scatters show I_pre
    and G of the analysis readout (stats.json `readout`), in the view the statistics used (raw,
    or per-layer normalised; stats.json says which).
    """
    stats = json.loads(Path(stats_json).read_text(encoding="utf-8"))
    cases = json.loads(Path(cases_json).read_text(encoding="utf-8"))
    table = analysis_view(read_head_table(heads_csv), stats["normalisation"] == "layer_l2")
    importance, readout = f"I_pre_{stats['readout']}", stats["readout"]
    save_figure(case_scatter(table, cases, importance, "Urel", stats), outputs["I_vs_U"])
    save_figure(case_scatter(table, cases, importance, f"G_{readout}", stats), outputs["I_vs_G"])
    save_figure(stats_figure(stats), outputs["stats"])
    rows = pd.read_json(pruning_jsonl, lines=True)
    save_figure(pruning_figure(rows, stats), outputs["pruning"])
