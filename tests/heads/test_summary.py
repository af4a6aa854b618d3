import json

import numpy as np
import pandas as pd
import pytest

from lmlab.cli import main
from lmlab.heads.summary import rank_stability, summarise_seeds, summary_figure

from .fake_measurements import ANALYSIS, random_table, write_seed


def run_summary(tmp_path, tables: dict[int, pd.DataFrame]):
    files = {seed: write_seed(tmp_path, seed, table) for seed, table in tables.items()}
    out = {
        "summary": tmp_path / "summary" / "summary.csv",
        "stability": tmp_path / "summary" / "stability.json",
        "figure": tmp_path / "summary" / "fig_summary.png",
    }
    seeds = list(tables)
    summary = summarise_seeds(
        seeds,
        *([files[s][name] for s in seeds] for name in ("heads.csv", "stats.json", "cases.json")),
        [files[s]["pruning.jsonl"] for s in seeds],
        out,
        ANALYSIS["top_k"],
        ANALYSIS["layer_normalise"],
        ANALYSIS["bootstrap"],
    )
    return summary, out, files


COMPARED = ["I_pre_random", "I_pre_probe", "I_post", "G_random", "G_probe", "Urel"]


def test_one_seed_has_no_spread_and_says_stability_is_not_available(tmp_path):
    summary, out, files = run_summary(tmp_path, {0: random_table()})
    stats = json.loads(files[0]["stats.json"].read_text())
    row = summary.set_index("statistic").loc["spearman.I_pre_probe_vs_Urel.rho"]
    rho = stats["spearman"]["I_pre_probe_vs_Urel"]["rho"]
    assert row["mean"] == row["min"] == row["max"] == row["ci_low"] == row["ci_high"] == rho
    assert np.isnan(row["std"]) and row["n_seeds"] == 1
    assert "NaN" in out["summary"].read_text()
    stability = json.loads(out["stability"].read_text())
    assert stability["n_seeds"] == 1 and stability["rank_stability"] == "n/a"
    assert stability["status"].startswith("n/a")
    assert out["figure"].stat().st_size > 10_000


def test_three_seeds_give_mean_std_min_max_of_every_statistic(tmp_path):
    tables = {seed: random_table(seed=seed) for seed in (0, 1, 2)}
    summary, out, files = run_summary(tmp_path, tables)
    values = [
        json.loads(files[s]["stats.json"].read_text())["spearman"]["G_probe_vs_Urel"]["rho_layer"]
        for s in (0, 1, 2)
    ]
    row = summary.set_index("statistic").loc["spearman.G_probe_vs_Urel.rho_layer"]
    assert row["mean"] == pytest.approx(np.mean(values))
    assert row["std"] == pytest.approx(np.std(values, ddof=1))
    assert (row["min"], row["max"], row["n_seeds"]) == (min(values), max(values), 3)
    assert min(values) <= row["ci_low"] <= row["mean"] <= row["ci_high"] <= max(values)
    assert "loss.post.mean" in summary["statistic"].tolist()
    assert "signal.I_pre_probe.ratio" in summary["statistic"].tolist()
    pruning = summary.set_index("statistic").loc["pruning.I_post.accuracy@0"]
    assert pruning["mean"] == pytest.approx(0.79) and pruning["min"] == pytest.approx(0.78)
    read_back = pd.read_csv(out["summary"])
    columns = ["statistic", "mean", "std", "min", "max", "ci_low", "ci_high", "n_seeds"]
    assert list(read_back.columns) == columns
    stability = json.loads(out["stability"].read_text())
    assert set(stability["rank_stability"]["I_post"]["pairs"]) == {"0-1", "0-2", "1-2"}


def test_identical_rankings_across_seeds_are_perfectly_stable():
    table = random_table()
    shifted = table.assign(I_post=table["I_post"] * 2 + 1, Urel=table["Urel"] ** 2)
    stability = rank_stability({0: table, 1: shifted, 4: table}, 20, COMPARED)
    assert stability["rank_stability"]["I_post"]["min"] == pytest.approx(1.0)
    assert stability["top_k_stability"]["Urel"]["in_top_k_of_every_seed"] == 20
    assert stability["top_k_stability"]["Urel"]["expected_if_independent"] == pytest.approx(
        400 / 72
    )


def test_independent_rankings_are_unstable():
    tables = {0: random_table(seed=0), 1: random_table(seed=1)}
    stability = rank_stability(tables, 20, COMPARED)
    assert abs(stability["rank_stability"]["I_pre_probe"]["mean"]) < 0.4
    assert stability["top_k_stability"]["I_pre_probe"]["min"] < 20
    assert set(stability["rank_stability"]) == set(COMPARED)


def test_seeds_with_other_heads_are_rejected():
    with pytest.raises(ValueError, match="seed 1 lists other heads"):
        rank_stability({0: random_table(), 1: random_table(layers=5)}, 20, COMPARED)


def test_summary_figure_marks_missing_stability_with_one_seed():
    per_seed = pd.DataFrame(
        [
            {
                "spearman.I_pre_probe_vs_G_probe.rho": 0.5,
                "spearman.I_pre_probe_vs_G_probe.rho_layer": 0.1,
                "top_k_overlap.I_pre_probe_vs_G_probe.overlap": 7,
                "top_k_overlap.I_pre_probe_vs_G_probe.expected": 5.5,
                "top_k_overlap.I_pre_probe_vs_G_probe.k": 20,
            }
        ]
    )
    fig = summary_figure(per_seed, {"rank_stability": "n/a"}, {"task": "MNLI", "model": "m"})
    ax_rho, ax_top, ax_stab = fig.axes
    assert ax_rho.get_ylabel() == "Spearman ρ over heads"
    assert ax_top.get_ylabel() == "heads in both top-20"
    assert ax_stab.texts[0].get_text() == "n/a: needs ≥ 2 seeds"
    assert "one seed: no spread" in fig.get_suptitle()


def test_cli_summary_takes_one_file_per_seed(tmp_path):
    files = {seed: write_seed(tmp_path, seed, random_table(seed=seed)) for seed in (3, 5)}
    out = tmp_path / "summary"
    arguments = ["heads", "summary", "--seeds", "3", "5"]
    for option, name in (
        ("--heads-csv", "heads.csv"),
        ("--stats", "stats.json"),
        ("--cases", "cases.json"),
        ("--pruning", "pruning.jsonl"),
    ):
        arguments += [option, str(files[3][name]), str(files[5][name])]
    arguments += ["--top-k", "20", "--layer-normalise", "false"]
    arguments += ["--bootstrap", '{"resamples": 100, "level": 0.9, "seed": 0}']
    arguments += ["--summary-csv", str(out / "summary.csv")]
    arguments += ["--stability", str(out / "stability.json"), "--figure", str(out / "fig.png")]
    assert main(arguments) == 0
    stability = json.loads((out / "stability.json").read_text())
    assert stability["seeds"] == [3, 5]
    assert set(stability["rank_stability"]["G_probe"]["pairs"]) == {"3-5"}
