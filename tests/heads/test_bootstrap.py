import numpy as np
import pytest

from lmlab.config import Bootstrap
from lmlab.heads.bootstrap import (
    basic_interval,
    example_weights,
    mean_interval,
    replicate_means,
    seed_mean_interval,
)

SETTINGS = Bootstrap(resamples=400, level=0.9, seed=3)


def test_replicate_weights_are_draw_counts_over_n_and_seeded():
    weights = example_weights(7, SETTINGS)
    assert weights.shape == (400, 7)
    np.testing.assert_allclose(weights.sum(1), 1.0)
    assert np.allclose(weights * 7, np.round(weights * 7))  # whole numbers of draws
    np.testing.assert_array_equal(weights, example_weights(7, SETTINGS))
    values = np.arange(14.0).reshape(2, 7)
    np.testing.assert_allclose(replicate_means(values, weights)[:, 0], values @ weights[0])


def test_basic_interval_reflects_a_shift_of_the_replicates():
    replicates = np.linspace(0.1, 0.3, 101)  # centred 0.2 below an estimate of 0.4
    low, high = basic_interval(replicates, 0.4, 0.9)
    assert low == pytest.approx(0.8 - 0.29) and high == pytest.approx(0.8 - 0.11)
    assert basic_interval(replicates, 0.9, 0.9, (-1, 1))[1] == 1.0  # clipped to the range
    assert basic_interval(np.full(5, np.nan), 0.4, 0.9) is None


def test_mean_interval_covers_the_mean_of_a_noisy_sample():
    sample = np.random.default_rng(0).normal(1.0, 0.5, 200)
    result = mean_interval(sample, example_weights(200, SETTINGS), 0.9)
    half = 1.645 * 0.5 / np.sqrt(200)
    assert result["ci"][0] == pytest.approx(sample.mean() - half, abs=0.02)
    assert result["ci"][1] == pytest.approx(sample.mean() + half, abs=0.02)


def test_two_seeds_give_their_range_as_the_interval_of_the_mean():
    low, high = seed_mean_interval(np.array([0.2, 0.6]), SETTINGS)
    assert low == pytest.approx(0.2) and high == pytest.approx(0.6)
