import numpy as np
import pytest
import torch

from lmlab.heads.importance import cached_importance, naive_importance
from lmlab.heads.layer_cache import LayerCache
from lmlab.tasks.examples import Examples, batches, model_inputs

from ..tiny_models import VOCAB, build_tiny


def random_examples(n: int, seed: int = 0) -> Examples:
    """`n` random token sequences of 4..14 tokens (first token fixed, like [CLS])."""
    rng = np.random.default_rng(seed)
    ids = [[2, *rng.integers(5, VOCAB, rng.integers(3, 14)).tolist()] for _ in range(n)]
    return Examples(ids, None, rng.integers(0, 3, n), pad_id=0)


def by_head(ablations):
    return {(row["layer"], row["head"]): row for row in ablations.rows()}


@pytest.mark.parametrize("heads_per_pass", [1, 3, 4])
def test_cached_importance_equals_naive_within_1e_5(arch, heads_per_pass):
    model = build_tiny(arch)
    examples = random_examples(11)
    cached = by_head(cached_importance(model, examples, 4, heads_per_pass=heads_per_pass))
    naive = by_head(naive_importance(model, examples, batch_size=5))
    assert cached.keys() == naive.keys() == {(i, h) for i in range(2) for h in range(4)}
    for key, row in naive.items():
        assert abs(cached[key]["I"] - row["I"]) < 1e-5, key
        assert abs(cached[key]["loss_base"] - row["loss_base"]) < 1e-5
    assert max(abs(row["I"]) for row in naive.values()) > 1e-3  # the check has teeth


def test_cached_baseline_logits_equal_the_models(arch):
    model = build_tiny(arch)
    examples = random_examples(4)
    batch = next(batches(examples, 4))
    cache = LayerCache.capture(model, model_inputs(batch))
    with torch.no_grad():
        torch.testing.assert_close(cache.logits, model(**model_inputs(batch)).logits)
    assert len(cache.contexts) == len(cache.layer_calls) == 2


def test_importance_is_measured_in_eval_mode_and_is_deterministic():
    model = build_tiny("bert-sdpa").train()
    examples = random_examples(6)
    first = cached_importance(model, examples, batch_size=3).rows()
    assert not model.training
    assert first == cached_importance(model.train(), examples, batch_size=3).rows()


def test_importance_refuses_half_precision():
    model = build_tiny("bert-eager").to(torch.bfloat16)
    with pytest.raises(ValueError, match="fp32"):
        cached_importance(model, random_examples(2))


def test_single_example_batches_broadcast_the_mask_over_replicas(arch):
    model = build_tiny(arch)
    examples = random_examples(3, seed=4)
    cached = by_head(cached_importance(model, examples, batch_size=1, heads_per_pass=4))
    naive = by_head(naive_importance(model, examples, batch_size=3))
    assert max(abs(cached[key]["I"] - row["I"]) for key, row in naive.items()) < 1e-5


def test_standard_error_of_i_is_that_of_the_per_example_loss_differences():
    model = build_tiny("bert-eager")
    ablations = cached_importance(model, random_examples(7), batch_size=3)
    assert ablations.base.shape == (7,) and ablations.ablated.shape == (2, 4, 7)
    delta = ablations.ablated[1, 2] - ablations.base
    row = by_head(ablations)[(1, 2)]
    assert row["I"] == pytest.approx(delta.mean(), abs=1e-12)
    assert row["I_se"] == pytest.approx(delta.std(ddof=1) / np.sqrt(7), rel=1e-9)
    assert row["I_se"] > 0
