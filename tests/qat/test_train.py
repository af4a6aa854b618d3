"""QAT on the shared training loop, with a tiny encoder on the hand-made split: what a run
writes, determinism, the frozen encoder, resuming after an interruption, the summary."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from lmlab.qat.batches import QATExamples
from lmlab.qat.config import QATConfig, QATTrain
from lmlab.qat.matcher import LemmaMatcher
from lmlab.qat.matches import precompute_matches
from lmlab.qat.model import QATModel
from lmlab.qat.report import summarise, write_curve_figure
from lmlab.qat.train import QATProblem, parameter_groups, run_training, write_outputs

from . import handmade
from .conftest import tiny_encoder

SETTINGS = dict(
    epochs=3,
    batch_size=2,
    micro_batch_size=1,
    encoder_lr=1e-3,
    decoder_lr=1e-2,
    weight_decay=0.01,
    warmup_ratio=0.0,
    max_grad_norm=1.0,
    unfreeze_epoch=1,
    patience=5,
    eval_batch_size=2,
)
IDENTITY = {"dataset": "handmade", "encoder": "tiny", "max_node_num": 32, "chance": 0.5}


def splits(tokens, tokenizer, variant):
    graphs = handmade.graph_dataset()
    if variant == "lm_only":
        examples = QATExamples(tokens)
    else:
        lists = precompute_matches(tokens, graphs, handmade.CONCEPTS, tokenizer, LemmaMatcher())
        examples = QATExamples(tokens, graphs, lists)
    return {"train": examples, "dev": examples, "test": examples}


def model(tokenizer, variant="qat"):
    torch.manual_seed(0)
    config = QATConfig(variant, k=2, d_model=16, n_heads=2, ffn_dim=32, dropout=0.1,
                       lambda_rpe=1.0)  # fmt: skip
    return QATModel(config, tiny_encoder("bert", len(tokenizer))), config


def run(tokens, tokenizer, variant="qat", state=None, **changes):
    net, config = model(tokenizer, variant)
    settings = QATTrain(**{**SETTINGS, **changes})
    data = splits(tokens, tokenizer, variant)
    return net, run_training(net, data, config, settings, 3, state, IDENTITY)


@pytest.mark.parametrize("variant", ["qat", "lm_only"])
def test_a_run_reports_its_best_epoch_and_curve(tokens, tokenizer, variant):
    _, (metrics, efficiency, curve) = run(tokens, tokenizer, variant)
    assert list(curve.columns) == [
        "epoch", "train_loss", "dev_loss", "dev_accuracy", "test_loss", "test_accuracy",
    ]  # fmt: skip
    assert curve["epoch"].tolist() == [1, 2, 3]
    best = curve.set_index("epoch").loc[metrics["best_epoch"]]
    assert metrics["best_dev_accuracy"] == best["dev_accuracy"] == curve["dev_accuracy"].max()
    assert metrics["test_accuracy_at_best_dev"] == best["test_accuracy"]
    assert metrics["variant"] == variant and metrics["trainable_parameters"] > 0
    assert efficiency["train_examples_per_second"] > 0 and efficiency["wall_seconds"] > 0
    assert "wall_seconds" not in metrics  # timings apart: metrics are the same in every run


def test_two_runs_on_cpu_give_the_same_numbers(tokens, tokenizer):
    _, (first, _, curve_a) = run(tokens, tokenizer)
    _, (second, _, curve_b) = run(tokens, tokenizer)
    pd.testing.assert_frame_equal(curve_a, curve_b)
    assert first == second


def test_the_encoder_is_frozen_until_unfreeze_epoch_then_trained(tokens, tokenizer):
    before, _ = model(tokenizer)
    frozen, _ = run(tokens, tokenizer, epochs=2, unfreeze_epoch=2)
    for a, b in zip(before.encoder.parameters(), frozen.encoder.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not all(
        torch.equal(a, b)
        for a, b in zip(before.decoder.parameters(), frozen.decoder.parameters(), strict=True)
    )
    thawed, _ = run(tokens, tokenizer, epochs=1, unfreeze_epoch=0)
    assert not all(
        torch.equal(a, b)
        for a, b in zip(before.encoder.parameters(), thawed.encoder.parameters(), strict=True)
    )


def test_the_regulariser_is_counted_once_per_question(tokens, tokenizer):
    net, _ = model(tokenizer)
    problem = QATProblem(*splits(tokens, tokenizer, "qat").values(), 0, 2, 2, lambda_rpe=1.0)
    batch = problem.collate([0, 1], torch.device("cpu"))
    labels = batch["labels"].clone()
    net.eval()
    loss = problem.loss(net, batch)
    logits = net(**batch).logits
    expected = torch.nn.functional.cross_entropy(logits, labels, reduction="sum")
    expected = expected - 2 * net.regulariser()
    torch.testing.assert_close(loss, expected)


def test_resuming_after_an_interruption_ends_like_an_uninterrupted_run(
    tokens, tokenizer, tmp_path, monkeypatch
):
    _, expected = run(tokens, tokenizer, state=tmp_path / "a.pt")
    assert expected.efficiency["resumed_from_epoch"] == 0
    calls = [0]
    original = QATProblem.loss

    def crash_in_epoch_two(self, net, batch):
        calls[0] += 1
        if calls[0] == 3:  # 2 questions in micro-batches of 1: call 3 starts epoch 2
            raise KeyboardInterrupt
        return original(self, net, batch)

    monkeypatch.setattr(QATProblem, "loss", crash_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        run(tokens, tokenizer, state=tmp_path / "b.pt")
    monkeypatch.setattr(QATProblem, "loss", original)
    _, resumed = run(tokens, tokenizer, state=tmp_path / "b.pt")
    assert resumed.efficiency["resumed_from_epoch"] == 1
    pd.testing.assert_frame_equal(resumed.curve, expected.curve)
    assert resumed.metrics == expected.metrics


def test_groups_give_encoder_and_decoder_their_learning_rates(tokenizer):
    net, _ = model(tokenizer)
    groups = parameter_groups(net, QATTrain(**SETTINGS))
    lrs = {g.name: (g.lr, g.weight_decay, g.frozen_epochs) for g in groups}
    assert lrs["encoder"] == (1e-3, 0.01, 1) and lrs["encoder_no_decay"] == (1e-3, 0.0, 1)
    assert lrs["decoder"] == (1e-2, 0.01, 0) and lrs["decoder_no_decay"] == (1e-2, 0.0, 0)
    ids = [id(p) for g in groups for p in g.params]
    assert sorted(ids) == sorted(id(p) for p in net.parameters())


def test_outputs_figure_and_summary(tokens, tokenizer, tmp_path):
    paths = {}
    for variant in ("qat", "lm_only"):
        for seed in (0, 1):
            _, records = run(tokens, tokenizer, variant, epochs=2)
            records.metrics["seed"] = seed
            folder = tmp_path / variant / f"seed{seed}"
            write_outputs(records, folder / "metrics.json", folder / "efficiency.json",
                          folder / "curve.csv")  # fmt: skip
            write_curve_figure(folder / "curve.csv", folder / "metrics.json", folder / "fig.png")
            assert (folder / "fig.png").stat().st_size > 0
            paths[variant, seed] = folder
    out = tmp_path / "summary"
    table = summarise(
        [paths[k] / "metrics.json" for k in paths],
        [paths[k] / "curve.csv" for k in paths],
        out / "summary.csv",
        out / "summary.json",
        out / "fig_compare.png",
    )
    assert set(table["variant"]) == {"qat", "lm_only"} and set(table["seeds"]) == {2}
    summary = json.loads((out / "summary.json").read_text())
    gain = summary["test_accuracy_gain_qat_over_lm_only"]
    qat, lm = (summary[v]["test_accuracy_at_best_dev"]["mean"] for v in ("qat", "lm_only"))
    assert gain == pytest.approx(qat - lm)
    assert (out / "fig_compare.png").stat().st_size > 0
