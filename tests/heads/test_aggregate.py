import json

import numpy as np
import pandas as pd
import pytest

from lmlab.cli import main
from lmlab.heads.aggregate import (
    build_head_table,
    fixed_columns,
    normalise_columns,
    normalise_per_layer,
    read_head_table,
)

from .fake_measurements import aggregate, random_table, write_measurements


def strict_json(path):
    def refuse(constant):
        raise AssertionError(f"{path} holds {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_head_table_names_every_theta0_column_after_its_readout(tmp_path):
    table = random_table(layers=3, heads=4)
    importance, gradfisher, update = write_measurements(
        tmp_path, table.sample(frac=1, random_state=1), {"Urel_orth": 0.5}
    )
    joined = build_head_table(importance, gradfisher, update)
    columns = fixed_columns(["random", "probe"])
    assert list(joined.columns) == [*columns, "Urel_orth"]
    assert {"I_pre_random", "I_pre_probe", "G_random", "G_probe", "I_post_se"} <= set(columns)
    values = [c for c in columns if not c.endswith("_se")]
    expected = table[values].sort_values(["layer", "head"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(joined[values], expected, check_dtype=False, atol=1e-12)


def test_one_readout_gives_only_its_columns(tmp_path):
    importance, gradfisher, update = write_measurements(tmp_path, random_table(2, 4))
    del importance["pre_random"], gradfisher["random"]
    joined = build_head_table(importance, gradfisher, update)
    assert "I_pre_probe" in joined and not any("random" in c for c in joined.columns)
    with pytest.raises(ValueError, match="one gradfisher file per readout"):
        build_head_table({**importance, "pre_random": tmp_path / "x"}, gradfisher, update)


def test_aggregate_writes_table_stats_and_cases_as_strict_json(tmp_path):
    outputs = aggregate(tmp_path, write_measurements(tmp_path, random_table()))
    assert len(read_head_table(outputs["heads_csv"])) == 72
    stats = strict_json(outputs["stats"])
    assert stats["n_heads"] == 72 and stats["n_layers"] == 6 and stats["task"] == "MNLI"
    assert stats["normalisation"] == "none" and stats["readout"] == "probe"
    assert stats["readouts"] == ["random", "probe"]
    assert stats["quantities"] == [
        *("I_pre_random", "I_pre_probe", "I_post", "G_random", "G_probe", "Urel")
    ]
    assert len(stats["spearman"]) == len(stats["top_k_overlap"]) == 15
    assert stats["top_k_overlap"]["I_pre_probe_vs_Urel"]["expected"] == pytest.approx(400 / 72)
    assert stats["loss"]["post"]["mean"] == pytest.approx(0.4, abs=0.1)
    cases = strict_json(outputs["cases"])
    assert cases["importance"] == "I_pre_probe" and cases["top"] == 0.1
    assert all("I_pre_probe" in head for head in cases["important_but_static"]["heads"])


def test_every_statistic_has_a_bootstrap_interval_around_it(tmp_path):
    stats = strict_json(aggregate(tmp_path, write_measurements(tmp_path, random_table()))["stats"])
    assert stats["bootstrap"]["n_examples"] == 24 and stats["bootstrap"]["fixed"] == ["Urel"]
    for pair, values in stats["spearman"].items():
        for key in ("rho", "rho_layer"):
            low, high = values[f"{key}_ci"]
            assert low <= high, pair
        overlap = stats["top_k_overlap"][pair]
        assert overlap["overlap_ci"][0] <= overlap["overlap_ci"][1]
    for loss in stats["loss"].values():
        assert loss["ci"][0] <= loss["mean"] <= loss["ci"][1]


def test_intervals_widen_with_per_example_noise_and_vanish_without_it(tmp_path):
    table = random_table()
    stats = {}
    for name, spread in (("quiet", 0.0), ("noisy", 0.1)):
        measurements = write_measurements(tmp_path / name, table, spread=spread)
        stats[name] = strict_json(aggregate(tmp_path / name, measurements)["stats"])
    pair = "I_pre_probe_vs_I_post"
    low, high = stats["quiet"]["spearman"][pair]["rho_ci"]
    assert low == pytest.approx(high) == pytest.approx(stats["quiet"]["spearman"][pair]["rho"])
    wide = stats["noisy"]["spearman"][pair]["rho_ci"]
    assert wide[1] - wide[0] > 0.3
    assert stats["quiet"]["signal"]["I_pre_probe"]["median_se"] == 0
    assert stats["noisy"]["signal"]["I_pre_probe"]["ratio"] < 10


def test_standard_errors_come_from_the_measurement_files(tmp_path):
    measurements = write_measurements(tmp_path, random_table(2, 4), spread=0.05)
    table = pd.read_csv(aggregate(tmp_path, measurements)["heads_csv"])
    rows = [json.loads(line) for line in measurements[0]["post"].read_text().splitlines()]
    np.testing.assert_allclose(table["I_post_se"], [r["I_se"] for r in rows])
    assert (table["I_post_se"] > 0).all()


def test_per_example_values_must_match_the_table(tmp_path):
    importance, gradfisher, update = write_measurements(tmp_path, random_table(2, 4))
    lines = importance["post"].read_text().splitlines()
    row = json.loads(lines[0])
    lines[0] = json.dumps({**row, "I": row["I"] + 1.0})
    importance["post"].write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="per-example values of I_post do not average"):
        aggregate(tmp_path, (importance, gradfisher, update))


def test_undefined_statistics_are_written_as_null(tmp_path):
    table = random_table(layers=2, heads=4)
    table["Urel"] = 1.0  # constant: rho undefined
    stats = strict_json(aggregate(tmp_path, write_measurements(tmp_path, table))["stats"])
    assert stats["spearman"]["I_post_vs_Urel"]["rho"] is None
    assert stats["spearman"]["I_post_vs_Urel"]["rho_ci"] is None


def test_per_layer_normalisation_is_an_explicit_variant(tmp_path):
    table = random_table()
    table["I_pre_probe"] = table["I_pre_probe"] * (1 + 10 * table["layer"])  # grows with depth
    measurements = write_measurements(tmp_path, table)
    raw = aggregate(tmp_path / "raw", measurements)
    normed = aggregate(tmp_path / "norm", measurements, layer_normalise=True)
    raw_stats, norm_stats = strict_json(raw["stats"]), strict_json(normed["stats"])
    assert norm_stats["normalisation"] == "layer_l2" and raw_stats["normalisation"] == "none"
    pair = "I_pre_probe_vs_G_probe"
    assert norm_stats["spearman"][pair]["rho"] != raw_stats["spearman"][pair]["rho"]
    pd.testing.assert_frame_equal(pd.read_csv(raw["heads_csv"]), pd.read_csv(normed["heads_csv"]))


def test_normalised_layers_have_unit_l2_norm_and_errors_scale_alike():
    table = random_table()
    table["I_post_se"] = table["I_post"].abs()
    normed = normalise_per_layer(table)
    columns = ["I_pre_probe", "I_post", "G_random"]
    norms = normed.groupby("layer")[columns].apply(lambda f: np.sqrt((f**2).sum()))
    np.testing.assert_allclose(norms.to_numpy(), 1.0)
    np.testing.assert_allclose(normed["I_post_se"], normed["I_post"].abs())
    replicates = normalise_columns(np.repeat(table[["I_post"]].to_numpy(), 3, 1), table["layer"])
    np.testing.assert_allclose(replicates[:, 0], normed["I_post"])


def test_files_listing_different_heads_are_rejected_naming_the_file(tmp_path):
    importance, gradfisher, update = write_measurements(tmp_path, random_table(2, 4))
    lines = update.read_text().splitlines()
    update.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(ValueError, match=r"update\.jsonl lists other heads"):
        build_head_table(importance, gradfisher, update)


def test_bad_lines_are_errors_with_file_and_line(tmp_path):
    importance, gradfisher, update = write_measurements(tmp_path, random_table(2, 4))
    path = gradfisher["probe"]
    lines = path.read_text().splitlines()
    lines[2] = json.dumps({"layer": 0, "head": 2, "G": 0.1})
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"gradfisher_pre_probe.jsonl:3: missing \['F', 'Ppred'\]"):
        build_head_table(importance, gradfisher, update)
    lines[2] = lines[1]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"\(0, 1\) listed more than once"):
        build_head_table(importance, gradfisher, update)


def test_cli_aggregate_writes_the_three_files(tmp_path):
    importance, gradfisher, update = write_measurements(tmp_path, random_table(2, 4))
    out = tmp_path / "out"
    code = main(
        [
            "heads", "aggregate",
            "--importance", *(f"{when}={path}" for when, path in importance.items()),
            "--gradfisher", *(f"{readout}={path}" for readout, path in gradfisher.items()),
            "--update", str(update), "--readout", "random",
            "--bootstrap", '{"resamples": 50, "level": 0.9, "seed": 1}',
            "--heads-csv", str(out / "heads.csv"), "--stats", str(out / "stats.json"),
            "--cases", str(out / "cases.json"),
            "--top-k", "3", "--case-fractions", '{"top": 0.1, "bottom": 0.3}',
            "--layer-normalise", "false",
            "--task", "MNLI", "--seed", "7", "--model", "tiny",
        ]
    )  # fmt: skip
    assert code == 0
    stats = strict_json(out / "stats.json")
    assert (stats["seed"], stats["model"], stats["n_heads"]) == (7, "tiny", 8)
    assert stats["top_k_overlap"]["I_pre_random_vs_G_random"]["k"] == 3
    assert stats["readout"] == "random" and stats["bootstrap"]["level"] == 0.9
    assert strict_json(out / "cases.json")["importance"] == "I_pre_random"


def test_analysis_readout_must_be_measured(tmp_path):
    importance, gradfisher, update = write_measurements(tmp_path, random_table(2, 4))
    del importance["pre_probe"], gradfisher["probe"]
    with pytest.raises(ValueError, match="readout 'probe' was not measured"):
        aggregate(tmp_path, (importance, gradfisher, update))


def test_a_damaged_per_example_file_is_reported_with_its_path(tmp_path):
    importance, gradfisher, update = write_measurements(tmp_path, random_table(2, 4))
    damaged = tmp_path / "importance_post_examples.safetensors"
    data = bytearray(damaged.read_bytes())
    data[-5] ^= 0xFF  # a flipped byte inside the per-example losses
    damaged.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"importance_post_examples\.safetensors is truncated or"):
        aggregate(tmp_path, (importance, gradfisher, update))
