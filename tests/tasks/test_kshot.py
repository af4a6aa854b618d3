"""The K-shot protocol: K train and dev_size dev examples, disjoint, drawn by the data seed."""

import pytest

from lmlab.tasks.kshot import kshot_indices, official_test_split


def test_k_train_and_the_next_dev_size_examples_are_disjoint_and_seeded():
    train, dev = kshot_indices(50, 10, 20, seed=3)
    assert len(train) == 10 and len(dev) == 20 and not set(train) & set(dev)
    assert kshot_indices(50, 10, 20, seed=3) == (train, dev)
    assert kshot_indices(50, 10, 20, seed=4) != (train, dev)
    bigger, _ = kshot_indices(50, 20, 20, seed=3)
    assert bigger[:10] == train  # a larger K extends the same shuffled order


def test_all_trains_on_everything_but_dev():
    train, dev = kshot_indices(30, "all", 5, seed=0)
    assert len(dev) == 5 and sorted(train + dev) == list(range(30))


def test_too_few_examples_name_the_config_key():
    with pytest.raises(ValueError, match=r"unipelt\.dev_size"):
        kshot_indices(20, 15, 10, seed=0)
    with pytest.raises(ValueError, match=r"unipelt\.dev_size"):
        kshot_indices(10, "all", 10, seed=0)


def test_the_official_dev_split_is_the_test_set():
    assert official_test_split("MNLI") == "dev_matched"
    assert official_test_split("RTE") == "dev"
