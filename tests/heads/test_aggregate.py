import json

import numpy as np
import pandas as pd
import pytest

from lmlab.cli import main
from lmlab.heads.aggregate import (
    COLUMNS,
    aggregate_seed,
    build_head_table,
    normalise_per_layer,
    read_head_table,
)

from .fake_measurements import ANALYSIS, META, random_table, write_measurements


def outputs(folder):
    return [folder / name for name in ("heads.csv", "stats.json", "cases.json")]


def strict_json(path):
    def refuse(constant):
        raise AssertionError(f"{path} holds {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_head_table_joins_the_four_files_under_the_paper_names(tmp_path):
    table = random_table(layers=3, heads=4)
    paths = write_measurements(tmp_path, table.sample(frac=1, random_state=1), {"Urel_orth": 0.5})
    joined = build_head_table(paths)
    assert list(joined.columns) == [*COLUMNS, "Urel_orth"]
    expected = table[list(COLUMNS)].sort_values(["layer", "head"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(joined[list(COLUMNS)], expected, check_dtype=False)


def test_aggregate_writes_table_stats_and_cases_as_strict_json(tmp_path):
    paths = write_measurements(tmp_path, random_table())
    aggregate_seed(paths, *outputs(tmp_path), *ANALYSIS.values(), META)
    heads_csv, stats_json, cases_json = outputs(tmp_path)
    assert len(read_head_table(heads_csv)) == 72
    stats = strict_json(stats_json)
    assert stats["n_heads"] == 72 and stats["n_layers"] == 6 and stats["task"] == "MNLI"
    assert stats["normalisation"] == "none"
    assert stats["loss_pre"] == 0.9 and stats["loss_post"] == 0.4
    assert stats["top_k_overlap"]["I_pre_vs_Urel"]["expected"] == pytest.approx(400 / 72)
    cases = strict_json(cases_json)
    assert cases["top"] == 0.1 and cases["bottom"] == 0.3 and "important_but_static" in cases


def test_undefined_statistics_are_written_as_null(tmp_path):
    table = random_table(layers=2, heads=4)
    table["G"] = 1.0  # constant: rho undefined
    paths = write_measurements(tmp_path, table)
    aggregate_seed(paths, *outputs(tmp_path), *ANALYSIS.values(), META)
    assert strict_json(tmp_path / "stats.json")["spearman"]["I_pre_vs_G"]["rho"] is None


def test_per_layer_normalisation_is_an_explicit_variant(tmp_path):
    table = random_table()
    table["I_pre"] = table["I_pre"] * (1 + 10 * table["layer"])  # importance grows with depth
    paths = write_measurements(tmp_path, table)
    raw = aggregate_seed(paths, *outputs(tmp_path / "raw"), *ANALYSIS.values(), META)
    variant = {**ANALYSIS, "layer_normalise": True}
    normed = aggregate_seed(paths, *outputs(tmp_path / "norm"), *variant.values(), META)
    assert normed["normalisation"] == "layer_l2" and raw["normalisation"] == "none"
    assert normed["spearman"]["I_pre_vs_G"]["rho"] != raw["spearman"]["I_pre_vs_G"]["rho"]
    raw_csv = pd.read_csv(tmp_path / "raw" / "heads.csv")
    pd.testing.assert_frame_equal(raw_csv, pd.read_csv(tmp_path / "norm" / "heads.csv"))


def test_normalised_layers_have_unit_l2_norm():
    normed = normalise_per_layer(random_table())
    norms = normed.groupby("layer")[["I_pre", "I_post", "G"]].apply(lambda f: np.sqrt((f**2).sum()))
    np.testing.assert_allclose(norms.to_numpy(), 1.0)


def test_files_listing_different_heads_are_rejected_naming_the_file(tmp_path):
    table = random_table(layers=2, heads=4)
    paths = write_measurements(tmp_path, table)
    lines = paths["update"].read_text().splitlines()
    paths["update"].write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(ValueError, match=r"update\.jsonl lists other heads"):
        build_head_table(paths)


def test_bad_lines_are_errors_with_file_and_line(tmp_path):
    paths = write_measurements(tmp_path, random_table(layers=2, heads=4))
    lines = paths["gradfisher_pre"].read_text().splitlines()
    lines[2] = json.dumps({"layer": 0, "head": 2, "G": 0.1})
    paths["gradfisher_pre"].write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"gradfisher_pre.jsonl:3: missing \['F', 'Ppred'\]"):
        build_head_table(paths)
    lines[2] = lines[1]
    paths["gradfisher_pre"].write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"\(0, 1\) listed more than once"):
        build_head_table(paths)


def test_cli_aggregate_writes_the_three_files(tmp_path):
    paths = write_measurements(tmp_path, random_table(layers=2, heads=4))
    heads_csv, stats_json, cases_json = outputs(tmp_path / "out")
    code = main(
        [
            "heads", "aggregate",
            "--importance-pre", str(paths["importance_pre"]),
            "--importance-post", str(paths["importance_post"]),
            "--gradfisher", str(paths["gradfisher_pre"]),
            "--update", str(paths["update"]),
            "--heads-csv", str(heads_csv), "--stats", str(stats_json), "--cases", str(cases_json),
            "--top-k", "3", "--case-fractions", '{"top": 0.1, "bottom": 0.3}',
            "--layer-normalise", "false",
            "--task", "MNLI", "--seed", "7", "--model", "tiny",
        ]
    )  # fmt: skip
    assert code == 0
    stats = strict_json(stats_json)
    assert (stats["seed"], stats["model"], stats["n_heads"]) == (7, "tiny", 8)
    assert stats["top_k_overlap"]["I_pre_vs_G"]["k"] == 3
    assert heads_csv.exists() and cases_json.exists()
