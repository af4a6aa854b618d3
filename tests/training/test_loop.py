"""The shared training loop on a toy problem: accumulation, the out-of-memory policy, freezing,
early stopping and resuming from its checkpoint."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lmlab.training.loop import LoopSettings, ParamGroup, train
from lmlab.training.state import load_state


class Toy:
    """Linear regression with 24 examples; the dev 'metric' is minus the dev loss, or a given
    sequence (to steer early stopping). `fail_above` simulates CUDA out-of-memory errors for
    micro-batches larger than that."""

    def __init__(self, dev_scores=None, fail_above=None, crash_in_epoch=None):
        generator = torch.Generator().manual_seed(0)
        self.x = torch.randn(24, 3, generator=generator)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1
        self.dev_scores = dev_scores
        self.fail_above = fail_above
        self.micro_sizes = []
        self.epochs_seen = 0
        self.crash_in_epoch = crash_in_epoch  # stands for a kill in the middle of that epoch
        self.epoch = 0

    def batch_indices(self, epoch):
        self.epoch = epoch
        order = torch.randperm(24, generator=torch.Generator().manual_seed(epoch)).tolist()
        return [order[i : i + 8] for i in range(0, 24, 8)]

    def collate(self, indices, device):
        return self.x[indices].to(device), self.y[indices].to(device)

    def loss(self, model, batch):
        x, y = batch
        self.micro_sizes.append(len(x))
        if self.epoch == self.crash_in_epoch and len(self.micro_sizes) > 4:
            raise KeyboardInterrupt
        if self.fail_above is not None and len(x) > self.fail_above:
            raise torch.OutOfMemoryError("simulated: CUDA out of memory")
        return ((model(x).squeeze(-1) - y) ** 2).sum()

    def evaluate(self, model):
        self.epochs_seen += 1
        if self.dev_scores is not None:
            return {"dev": {"score": self.dev_scores[self.epochs_seen - 1]}}
        with torch.no_grad():
            loss = float(((model(self.x).squeeze(-1) - self.y) ** 2).mean())
        return {"dev": {"score": -loss}}


def settings(**changes) -> LoopSettings:
    values = dict(
        epochs=3,
        batch_size=8,
        micro_batch_size=8,
        warmup_ratio=0.0,
        max_grad_norm=10.0,
        optimizer="adamw",
        patience=None,
        metric="score",
    )
    return LoopSettings(**{**values, **changes})


def model_and_groups(frozen_epochs=0):
    """A linear model; its weight ("encoder") may be frozen for the first epochs, its bias
    ("decoder") always trains, with another learning rate."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    groups = [
        ParamGroup("encoder", [model.weight], 0.05, 0.0, frozen_epochs),
        ParamGroup("decoder", [model.bias], 0.1, 0.0),
    ]
    return model, groups


def test_accumulation_gives_the_same_update_as_the_whole_batch():
    whole, groups = model_and_groups()
    train(whole, Toy(), groups, settings())
    halves, groups = model_and_groups()
    train(halves, Toy(), groups, settings(micro_batch_size=3))
    for a, b in zip(whole.parameters(), halves.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_out_of_memory_halves_the_micro_batch_and_keeps_the_effective_batch():
    reference, groups = model_and_groups()
    train(reference, Toy(), groups, settings(micro_batch_size=2))
    model, groups = model_and_groups()
    problem = Toy(fail_above=2)
    result = train(model, problem, groups, settings())
    assert result.micro_batch_size == 2
    assert problem.micro_sizes[:3] == [8, 4, 2]  # 8 fails, 4 fails, 2 fits: kept afterwards
    assert set(problem.micro_sizes[3:]) == {2}
    for a, b in zip(reference.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_out_of_memory_at_one_example_is_raised():
    model, groups = model_and_groups()
    with pytest.raises(torch.OutOfMemoryError):
        train(model, Toy(fail_above=0), groups, settings())


def test_a_frozen_group_gets_no_update_until_its_epoch():
    model, groups = model_and_groups(frozen_epochs=2)
    weight, bias = model.weight.detach().clone(), model.bias.detach().clone()
    train(model, Toy(), groups, settings(epochs=2))
    assert torch.equal(model.weight, weight) and not torch.equal(model.bias, bias)
    model, groups = model_and_groups(frozen_epochs=2)
    result = train(model, Toy(), groups, settings(epochs=3))
    assert result.best_epoch == 3 and not torch.equal(model.weight, weight)


def test_early_stopping_after_patience_epochs_without_gain_keeps_the_best():
    model, groups = model_and_groups()
    result = train(model, Toy(dev_scores=[0.5, 0.7, 0.6, 0.6, 0.9]), groups, settings(epochs=5,
                   patience=2))  # fmt: skip
    assert [row["epoch"] for row in result.history] == [1, 2, 3, 4]
    assert result.best_epoch == 2 and result.best["dev"]["score"] == 0.7


def test_resume_from_a_checkpoint_gives_the_uninterrupted_result(tmp_path):
    full, groups = model_and_groups()
    expected = train(full, Toy(), groups, settings(epochs=3), tmp_path / "a.pt", "run")
    first, groups = model_and_groups()
    with pytest.raises(KeyboardInterrupt):
        train(first, Toy(crash_in_epoch=2), groups, settings(epochs=3), tmp_path / "b.pt", "run")
    state = load_state(tmp_path / "b.pt", "run")
    assert state.epoch == 1
    resumed, groups = model_and_groups()
    result = train(resumed, Toy(), groups, settings(epochs=3), tmp_path / "b.pt", "run")
    assert result.resumed_from == 1
    assert [r["train_loss"] for r in result.history] == [r["train_loss"] for r in expected.history]
    for a, b in zip(full.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_checkpoint_of_another_configuration_is_not_resumed(tmp_path):
    model, groups = model_and_groups()
    train(model, Toy(), groups, settings(epochs=1), tmp_path / "s.pt", "run-a")
    assert load_state(tmp_path / "s.pt", "run-b") is None
    (tmp_path / "t.pt").write_bytes(b"truncated")
    assert load_state(tmp_path / "t.pt", "run-a") is None


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_middle_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _flip_middle_byte], ids=["truncated", "flipped"])
def test_a_damaged_checkpoint_is_discarded_and_training_starts_over(damage, tmp_path, caplog):
    reference, groups = model_and_groups()
    expected = train(reference, Toy(), groups, settings(epochs=2))
    first, groups = model_and_groups()
    with pytest.raises(KeyboardInterrupt):
        train(first, Toy(crash_in_epoch=2), groups, settings(epochs=2), tmp_path / "s.pt", "run")
    damage(tmp_path / "s.pt")
    again, groups = model_and_groups()
    with caplog.at_level("WARNING", logger="lmlab.training.state"):
        result = train(again, Toy(), groups, settings(epochs=2), tmp_path / "s.pt", "run")
    assert f"{tmp_path / 's.pt'} is truncated or corrupted" in caplog.text
    assert "training starts over from epoch 1" in caplog.text
    assert result.resumed_from == 0
    assert [r["train_loss"] for r in result.history] == [r["train_loss"] for r in expected.history]
    for a, b in zip(reference.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_checkpoint_whose_tensor_bytes_changed_is_not_resumed(tmp_path, caplog):
    # torch.load reads a changed tensor byte without complaint: the sha256 record catches it.
    model, groups = model_and_groups()
    train(model, Toy(), groups, settings(epochs=1), tmp_path / "s.pt", "run")
    saved = torch.load(tmp_path / "s.pt", weights_only=True)
    saved["model"]["bias"] += 1.0
    torch.save(saved, tmp_path / "s.pt")
    with caplog.at_level("WARNING", logger="lmlab.training.state"):
        assert load_state(tmp_path / "s.pt", "run") is None
    assert "does not match its sha256 record" in caplog.text
