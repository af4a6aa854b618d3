import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from lmlab.heads.stats import (
    overlap_columns,
    overlap_p_value,
    partial_spearman,
    partial_spearman_columns,
    quantities,
    seed_statistics,
    spearman,
    spearman_columns,
    top_k,
    top_k_overlap,
)

from .fake_measurements import random_table


def layer_confounded(layers: int = 6, per_layer: int = 4) -> pd.DataFrame:
    """x and y both grow with the layer; within every layer their orders are uncorrelated."""
    x_offsets = [0, 1, 2, 3]
    y_offsets = [1, 3, 0, 2]  # centred dot product with x_offsets is exactly 0
    rows = []
    for layer in range(layers):
        for head in range(per_layer):
            rows.append(
                {
                    "layer": layer,
                    "head": head,
                    "x": 10 * layer + x_offsets[head],
                    "y": 10 * layer + y_offsets[head],
                }
            )
    return pd.DataFrame(rows)


def test_monotone_quantities_have_rho_one_raw_and_within_layers():
    table = random_table()
    x = table["I_pre_probe"]
    rho, p = spearman(x, np.exp(x))
    assert rho == pytest.approx(1.0) and p < 1e-10
    rho_layer, p_layer = partial_spearman(x, np.exp(x), table["layer"])
    assert rho_layer == pytest.approx(1.0) and p_layer == 0.0
    assert spearman(table["G_probe"], -table["G_probe"])[0] == pytest.approx(-1.0)


def test_layer_confounded_data_correlate_raw_but_not_within_layers():
    table = layer_confounded()
    rho, p = spearman(table["x"], table["y"])
    assert rho > 0.95 and p < 1e-10
    rho_layer, p_layer = partial_spearman(table["x"], table["y"], table["layer"])
    assert abs(rho_layer) < 1e-12
    assert p_layer == pytest.approx(1.0)


def test_partial_spearman_equals_regression_on_layer_dummies():
    table = random_table(layers=5, heads=7, seed=4)
    x, y, layer = table["I_pre_probe"], table["Urel"] + 0.05 * table["layer"], table["layer"]
    design = np.column_stack([np.ones(len(table)), pd.get_dummies(layer, drop_first=True)])
    design = design.astype(float)

    def residual(values):
        ranks = sps.rankdata(values)
        coef, *_ = np.linalg.lstsq(design, ranks, rcond=None)
        return ranks - design @ coef

    expected = np.corrcoef(residual(x), residual(y))[0, 1]
    dof = len(table) - 2 - 4
    t = expected * math.sqrt(dof / (1 - expected**2))
    rho, p = partial_spearman(x, y, layer)
    assert rho == pytest.approx(expected, abs=1e-12)
    assert p == pytest.approx(2 * sps.t.sf(abs(t), dof), rel=1e-9)


def test_identical_rankings_overlap_fully_with_hypergeometric_p():
    values = np.arange(30.0)
    result = top_k_overlap(values, values * 3, 5)
    assert result["overlap"] == 5
    assert result["expected"] == pytest.approx(25 / 30)
    assert result["p"] == pytest.approx(1 / math.comb(30, 5))


def test_hypergeometric_p_value_matches_hand_computation():
    # N = 10 heads, K = 3: P(overlap >= 2) = [C(3,2) C(7,1) + C(3,3) C(7,0)] / C(10,3) = 22/120
    assert overlap_p_value(2, 10, 3) == pytest.approx(22 / 120)
    assert overlap_p_value(0, 10, 3) == pytest.approx(1.0)


def test_top_k_breaks_ties_by_position():
    assert top_k([1.0, 5.0, 5.0, 5.0, 0.0], 2) == {1, 2}


def test_top_k_overlap_of_disjoint_sets_is_zero_with_p_one():
    values = np.arange(10.0)
    result = top_k_overlap(values, -values, 3)
    assert result["overlap"] == 0 and result["p"] == pytest.approx(1.0)


def test_seed_statistics_cover_every_pair_and_clamp_k_to_the_heads():
    table = random_table(layers=2, heads=4)
    result = seed_statistics(table, 20, quantities(["probe"]))
    assert set(result["spearman"]) == {
        "I_pre_probe_vs_I_post",
        "I_pre_probe_vs_G_probe",
        "I_pre_probe_vs_Urel",
        "I_post_vs_G_probe",
        "I_post_vs_Urel",
        "G_probe_vs_Urel",
    }
    assert "rho_ci" not in result["spearman"]["I_post_vs_Urel"]  # no replicates, no intervals
    assert result["n_heads"] == 8 and result["n_layers"] == 2 and result["k_config"] == 20
    assert all(o["k"] == 8 and o["overlap"] == 8 for o in result["top_k_overlap"].values())


def test_seed_statistics_reject_missing_values_naming_the_column():
    table = random_table(layers=2, heads=4)
    table.loc[3, "Urel"] = np.nan
    with pytest.raises(ValueError, match="Urel"):
        seed_statistics(table, 2, quantities(["random"]))
    with pytest.raises(ValueError, match="K"):
        top_k_overlap([1.0, 2.0], [1.0, 2.0], 3)


def test_column_statistics_equal_the_single_ones_column_by_column():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(24, 5)), rng.normal(size=(24, 5))
    x[:, 4] = y[:, 4] ** 3  # a monotone pair
    layers = np.repeat(np.arange(6), 4)
    rho, partial, overlap = (
        spearman_columns(x, y),
        partial_spearman_columns(x, y, layers),
        overlap_columns(x, y, 6),
    )
    for b in range(5):
        assert rho[b] == pytest.approx(spearman(x[:, b], y[:, b])[0], abs=1e-12)
        assert partial[b] == pytest.approx(partial_spearman(x[:, b], y[:, b], layers)[0], abs=1e-12)
        assert overlap[b] == top_k_overlap(x[:, b], y[:, b], 6)["overlap"]
    assert rho[4] == pytest.approx(1.0) and overlap[4] == 6


def test_intervals_come_from_the_replicates():
    table = random_table(layers=2, heads=4)
    compared = quantities(["probe"])
    same = {q: np.repeat(table[[q]].to_numpy(dtype=float), 10, axis=1) for q in compared}
    result = seed_statistics(table, 3, compared, same, level=0.9)
    pair = result["spearman"]["I_post_vs_Urel"]
    assert pair["rho_ci"] == pytest.approx([pair["rho"], pair["rho"]])
    overlap = result["top_k_overlap"]["I_post_vs_Urel"]
    assert overlap["overlap_ci"] == [overlap["overlap"], overlap["overlap"]]
