import numpy as np
import pytest
import torch

from lmlab.tasks.examples import batches, load_examples
from lmlab.tasks.metrics import per_example_loss


def test_measurement_batches_go_longest_first_with_minimal_padding(glue_dir, tiny_tokenizer):
    examples = load_examples("MNLI", "dev_matched", glue_dir, tiny_tokenizer, 32)
    seen = []
    for batch in batches(examples, 7):
        lengths = batch["attention_mask"].sum(1)
        assert batch["input_ids"].shape[1] == int(lengths.max())  # padded to its longest only
        seen += batch["index"].tolist()
    assert sorted(seen) == list(range(len(examples)))
    assert list(examples.lengths()[seen]) == sorted(examples.lengths(), reverse=True)


def test_training_batches_are_a_seeded_shuffle(glue_dir, tiny_tokenizer):
    examples = load_examples("MNLI", "train", glue_dir, tiny_tokenizer, 32)

    def order(seed):
        return torch.cat([b["index"] for b in batches(examples, 8, shuffle_seed=seed)]).tolist()

    assert order(1) == order(1) != order(2)
    assert sorted(order(1)) == list(range(48))


def test_subset_selection_keeps_labels_aligned_and_checks_the_range(glue_dir, tiny_tokenizer):
    full = load_examples("MNLI", "dev_matched", glue_dir, tiny_tokenizer, 32)
    part = load_examples("MNLI", "dev_matched", glue_dir, tiny_tokenizer, 32, [4, 2])
    assert part.input_ids == [full.input_ids[4], full.input_ids[2]]
    assert np.array_equal(part.labels, full.labels[[4, 2]])
    with pytest.raises(ValueError, match="out of range"):
        load_examples("MNLI", "dev_matched", glue_dir, tiny_tokenizer, 32, [30])


def test_truncation_to_max_seq_len(glue_dir, tiny_tokenizer):
    examples = load_examples("MNLI", "dev_matched", glue_dir, tiny_tokenizer, 8)
    assert examples.lengths().max() == 8


def test_per_example_loss_is_cross_entropy_or_squared_error():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2]), reduction="none")
    torch.testing.assert_close(per_example_loss(logits, torch.tensor([0, 2])), expected)
    scores = per_example_loss(torch.tensor([[1.0], [3.0]]), torch.tensor([2.0, 3.0]))
    torch.testing.assert_close(scores, torch.tensor([1.0, 0.0]))
