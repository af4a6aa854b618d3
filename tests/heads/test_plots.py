import json

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lmlab.cli import main
from lmlab.heads.aggregate import read_head_table
from lmlab.heads.plots import (
    case_scatter,
    pruning_figure,
    set_scale,
    stats_figure,
    write_seed_figures,
)

from .fake_measurements import random_table, write_seed

NAMES = ("I_vs_U", "I_vs_G", "stats", "pruning")


def seed_files(tmp_path):
    files = write_seed(tmp_path, 0, random_table())
    stats = json.loads(files["stats.json"].read_text())
    cases = json.loads(files["cases.json"].read_text())
    return files, read_head_table(files["heads.csv"]), stats, cases


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_importance_vs_update_scatter_names_quantities_and_marks_cases(tmp_path):
    _, table, stats, cases = seed_files(tmp_path)
    fig = case_scatter(table, cases, "I_pre_probe", "Urel", stats)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith(
        "I_pre_probe: loss increase when the head is gated off, θ0 read through a head fitted"
    )
    assert ax.get_ylabel().startswith("Urel: |θ1 − θ0| / |θ0|")
    assert "MNLI, seed 0, tiny-test" in ax.get_title()
    texts = legend_texts(ax)
    assert any(t.startswith("important but static") for t in texts)
    assert any(t.startswith("plastic but unimportant") for t in texts)
    assert ax.get_yscale() == "log"  # Urel spans about two decades
    markers = {len(c.get_offsets()) for c in ax.collections}
    assert sum(len(c.get_offsets()) for c in ax.collections) == 72 and len(markers) > 1
    corner = ax.get_legend().get_title().get_text()
    assert "Spearman ρ" in corner and "within layers ρ" in corner and "top-20 overlap" in corner
    assert "95% bootstrap interval over 24 examples" in corner


def test_heads_within_two_standard_errors_of_zero_are_drawn_hollow(tmp_path):
    _, table, stats, cases = seed_files(tmp_path)
    table = table.assign(I_pre_probe_se=0.0)
    table.loc[:9, "I_pre_probe_se"] = table.loc[:9, "I_pre_probe"].abs()  # |I| = 1 SE
    cases = {
        **cases,
        "important_but_static": {"heads": []},
        "plastic_but_unimportant": {"heads": []},
    }
    ax = case_scatter(table, cases, "I_pre_probe", "Urel", stats).axes[0]
    filled, hollow = ax.collections[0], ax.collections[1]
    assert len(filled.get_offsets()) == 62 and len(hollow.get_offsets()) == 10
    assert hollow.get_facecolors().size == 0  # no fill
    assert "|I_pre_probe| < 2 SE (not told apart from 0): 10" in legend_texts(ax)


def test_scales_follow_the_range_of_values():
    fig = Figure()
    ax = fig.add_subplot()
    assert set_scale(ax, "x", [0.1, 0.2, 0.5]) == "linear"
    assert set_scale(ax, "x", [1e-4, 1e-2, 1.0]) == "log"
    assert set_scale(ax, "x", [-0.02, 0.01, 0.03, 0.05]) == "linear"  # signed, not heavy-tailed
    assert set_scale(ax, "y", [-1e-3, 2e-3, 1e-3, 3e-3, 0.0, 1.0]) == "symlog"  # one dominant head
    assert ax.get_yscale() == "symlog"


def test_layer_normalised_scores_say_so_on_the_axis(tmp_path):
    _, table, stats, cases = seed_files(tmp_path)
    fig = case_scatter(
        table, cases, "I_pre_probe", "G_probe", {**stats, "normalisation": "layer_l2"}
    )
    assert fig.axes[0].get_xlabel().endswith("/ layer L2 norm")


def test_stats_figure_shows_raw_and_layer_controlled_rho_with_p_values(tmp_path):
    _, _, stats, _ = seed_files(tmp_path)
    fig = stats_figure(stats)
    ax_rho, ax_top = fig.axes
    assert ax_rho.get_ylabel() == "Spearman ρ over heads"
    assert legend_texts(ax_rho) == ["raw Spearman ρ", "controlling for layer (partial ρ)"]
    heights = [p.get_height() for p in ax_rho.patches]
    expected = [stats["spearman"][k]["rho"] for k in stats["spearman"]]
    np.testing.assert_allclose(heights[:15], expected)
    assert sum(t.get_text().startswith("p=") for t in ax_rho.texts) == 30
    assert "bootstrap interval" in ax_rho.get_title()
    caps = [line for line in ax_rho.lines if len(line.get_xdata()) > 0]
    assert caps  # the intervals are drawn as error bars
    assert ax_top.get_ylabel() == "heads in both top-20 sets"
    assert any("chance K²/N" in t for t in legend_texts(ax_top))


def test_pruning_figure_plots_metric_against_fraction(tmp_path):
    files, _, stats, _ = seed_files(tmp_path)
    fig = pruning_figure(pd.read_json(files["pruning.jsonl"], lines=True), stats)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "fraction of the 72 attention heads gated off"
    assert ax.get_ylabel() == "accuracy on the eval subset (30 examples)"
    texts = legend_texts(ax)
    assert "least important first (by I_post)" in texts and "majority class of the subset" in texts
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.8, 0.7, 0.33])


def test_seed_figures_are_written_as_png(tmp_path):
    files, _, _, _ = seed_files(tmp_path)
    outputs = {name: tmp_path / "fig" / f"fig_{name}.png" for name in NAMES}
    write_seed_figures(
        files["heads.csv"],
        files["stats.json"],
        files["cases.json"],
        files["pruning.jsonl"],
        outputs,
    )
    for path in outputs.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == sorted(
        f"fig_{n}.png" for n in NAMES
    )


def test_cli_figures_draws_the_four_figures_of_a_seed(tmp_path):
    files, _, _, _ = seed_files(tmp_path)
    figures = [tmp_path / "figs" / f"{name}.png" for name in NAMES]
    code = main(
        [
            "heads", "figures",
            "--heads-csv", str(files["heads.csv"]), "--stats", str(files["stats.json"]),
            "--cases", str(files["cases.json"]), "--pruning", str(files["pruning.jsonl"]),
            "--i-vs-u", str(figures[0]), "--i-vs-g", str(figures[1]),
            "--stats-figure", str(figures[2]), "--pruning-figure", str(figures[3]),
        ]
    )  # fmt: skip
    assert code == 0 and all(path.stat().st_size > 0 for path in figures)
