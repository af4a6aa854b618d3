"""PeltConfig: methods and their submodules, validation, round trip."""

from __future__ import annotations

import pytest

from lmlab.pelt.config import METHODS, PeltConfig

from .helpers import tiny_config


def test_methods_are_the_papers_arms():
    assert set(METHODS) == {"full", "lora", "adapter", "prefix", "unipelt", "unipelt_nogate"}


def test_unipelt_has_all_three_submodules_gated_and_the_ablation_ungated():
    gated, ungated = tiny_config("unipelt"), tiny_config("unipelt_nogate")
    assert gated.lora_config().gated and gated.prefix_config().gated
    assert gated.adapter_config().gated
    assert not (ungated.lora_config().gated or ungated.prefix_config().gated)
    assert not ungated.adapter_config().gated


def test_single_methods_carry_only_their_submodule_ungated():
    config = tiny_config("lora")
    assert config.prefix_config() is None and config.adapter_config() is None
    assert not config.lora_config().gated
    assert config.lora_config().scaling == 8.0 / 4
    assert tiny_config("full").lora_config() is None


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match=r"pelt\.method"):
        tiny_config("bitfit")


def test_dict_round_trip():
    config = tiny_config("unipelt")
    assert PeltConfig.from_dict(config.to_dict()) == config
