import numpy as np
import pandas as pd

from lmlab.heads.cases import case_membership, select_cases


def twenty_heads() -> pd.DataFrame:
    """20 heads, I_pre = 0..19. Top 10% = the 2 largest, bottom 30% = the 6 smallest.
    Head 19 (top I_pre) has the smallest Urel; head 0 (bottom I_pre) the largest."""
    urel = np.arange(20.0) + 1  # Urel rank = head + 1 ...
    urel[19], urel[0] = 0.5, 100.0  # ... except head 19 (lowest) and head 0 (highest)
    urel[18] = 50.0  # head 18: top I_pre but Urel not in the bottom
    return pd.DataFrame(
        {
            "layer": np.arange(20) // 5,
            "head": np.arange(20) % 5,
            "I_pre_probe": np.arange(20.0),
            "Urel": urel,
        }
    )


def test_case_sets_follow_the_quantile_definitions():
    cases = select_cases(twenty_heads(), "I_pre_probe", top=0.1, bottom=0.3)
    static = [(h["layer"], h["head"]) for h in cases["important_but_static"]["heads"]]
    plastic = [(h["layer"], h["head"]) for h in cases["plastic_but_unimportant"]["heads"]]
    assert static == [(3, 4)]  # head 19
    assert plastic == [(0, 0)]  # head 0; head 18 has top Urel too but I_pre is not in the bottom
    assert cases["important_but_static"]["expected_if_independent"] == 20 * 0.1 * 0.3
    assert cases["importance"] == "I_pre_probe"
    assert cases["important_but_static"]["heads"][0]["I_pre_probe"] == 19.0
    assert cases["important_but_static"]["rule"].startswith("I_pre_probe in the top 10%")


def test_wider_quantiles_catch_more_heads():
    narrow = select_cases(twenty_heads(), "I_pre_probe", top=0.1, bottom=0.3)
    wide = select_cases(twenty_heads(), "I_pre_probe", top=0.5, bottom=0.7)
    assert narrow["important_but_static"]["count"] == 1
    assert wide["important_but_static"]["count"] == 5  # heads 10..13 and 19


def test_membership_labels_rows_of_the_table():
    table = twenty_heads()
    labels = case_membership(table, select_cases(table, "I_pre_probe", top=0.1, bottom=0.3))
    assert labels[19] == "important_but_static" and labels[0] == "plastic_but_unimportant"
    assert labels.isna().sum() == 18
