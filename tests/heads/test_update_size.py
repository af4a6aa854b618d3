import copy

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from lmlab.heads.update_size import update_sizes
from lmlab.models.architecture import encoder_layers, output_projection, qkv_projections

from ..tiny_models import SMALL, build_tiny


@pytest.mark.parametrize("name", ["bert-eager", "roberta", "deberta-v2"])
def test_update_of_one_heads_slice_shows_only_in_that_head(name):
    theta0 = build_tiny(name)
    theta1 = copy.deepcopy(theta0)
    layer, head, dim = 1, 2, 8
    rows = slice(head * dim, (head + 1) * dim)
    block = encoder_layers(theta1)[layer]
    query, _, value = qkv_projections(theta1, block)
    with torch.no_grad():
        query.weight[rows] += 0.3
        value.bias[rows] += 0.4
        output_projection(block).weight[:, rows] += 0.1
    result = {(r["layer"], r["head"]): r for r in update_sizes(theta0, theta1)}
    changed = result.pop((layer, head))
    assert changed["Uq"] == pytest.approx(0.3 * (dim * 32) ** 0.5)
    assert changed["Uv"] == pytest.approx(0.4 * dim**0.5)
    assert changed["Uo"] == pytest.approx(0.1 * (32 * dim) ** 0.5)
    assert changed["Uk"] == 0.0
    parts = sum(changed[f"U{p}"] ** 2 for p in "qkvo") ** 0.5
    assert changed["U"] == pytest.approx(parts) and 0 < changed["Urel"] < changed["U"]
    assert all(r["U"] == 0.0 and r["Urel"] == 0.0 for r in result.values())
    assert len(result) == 7


def test_uniform_shrinkage_is_parallel_to_theta0_so_its_orthogonal_part_vanishes():
    theta0 = build_tiny("bert-sdpa")
    theta1 = copy.deepcopy(theta0)
    with torch.no_grad():
        for param in theta1.parameters():
            param.mul_(0.99)
    for row in update_sizes(theta0, theta1):
        # U = 0.01 * |(n_q, n_k, n_v, n_o)|_2 and Urel divides by the sum: between 0.005 and 0.01
        assert 0.005 - 1e-9 <= row["Urel"] <= 0.01 + 1e-9
        assert row["Uorth"] < 1e-4 * row["U"]  # fp32 rounding of 0.99 * θ0


def test_models_of_different_shapes_are_rejected():
    deeper = BertForSequenceClassification(BertConfig(**{**SMALL, "num_hidden_layers": 3}))
    with pytest.raises(ValueError, match="heads"):
        update_sizes(build_tiny("bert-eager"), deeper)
