import json

import numpy as np
import pandas as pd
import pytest

from lmlab.cli import main
from lmlab.config import Pruning, build
from lmlab.heads.gates import head_gates, heads_off
from lmlab.heads.pruning import (
    heads_gated,
    importance_order,
    pruning_curve,
    random_order,
    run_pruning,
)
from lmlab.models.classifier import save_classifier
from lmlab.tasks.evaluate import evaluate, predict
from lmlab.tasks.examples import load_examples

from ..tiny_models import build_tiny
from .fake_measurements import random_table

PRUNING = {"fractions": [0.5, 0.0, 1.0], "score": "I_post", "random_orders": 2, "random_seed": 0}


@pytest.fixture
def examples(glue_dir, tiny_tokenizer):
    return load_examples("MNLI", "dev", glue_dir, tiny_tokenizer, 32)


def test_importance_order_is_least_important_first_with_stable_ties():
    table = pd.DataFrame(
        {"layer": [0, 0, 1, 1], "head": [0, 1, 0, 1], "I_post": [0.3, -0.1, 0.3, 0.0]}
    )
    assert importance_order(table, "I_post") == [(0, 1), (1, 1), (0, 0), (1, 0)]


def test_random_orders_are_seeded_permutations():
    table = random_table(layers=2, heads=4)
    first, again, other = random_order(table, 3), random_order(table, 3), random_order(table, 4)
    assert first == again and first != other
    assert sorted(first) == [(layer, head) for layer in range(2) for head in range(4)]


def test_gated_heads_are_a_rounded_prefix_of_the_order():
    order = [(0, h) for h in range(12)]
    assert heads_gated(order, 0.0) == [] and heads_gated(order, 1.0) == order
    assert heads_gated(order, 0.3) == order[:4]
    with pytest.raises(ValueError, match="fractions"):
        heads_gated(order, 1.5)


def test_fraction_zero_is_the_plain_model_and_all_heads_off_changes_the_logits(examples):
    model = build_tiny("bert-eager")
    order = importance_order(random_table(layers=2, heads=4), "I_post")
    rows = pruning_curve(model, examples, "MNLI", {("I_post", 0): order}, [0.0, 1.0], 8)
    plain = evaluate(model, examples, "MNLI", batch_size=8)
    assert rows[0]["accuracy"] == plain["accuracy"] and rows[0]["loss"] == plain["loss"]
    assert rows[1]["heads_off"] == 8 and rows[1]["loss"] != plain["loss"]
    off, _ = predict(model, examples, 8, head_gates(model, heads_off(model, order)))
    on, _ = predict(model, examples, 8)
    assert np.abs(off - on).max() > 1e-3
    counts = np.bincount(examples.labels)
    assert rows[0]["majority_accuracy"] == pytest.approx(counts.max() / counts.sum())


def test_run_pruning_writes_one_row_per_order_and_fraction(tmp_path, examples):
    model = build_tiny("bert-eager")
    table = random_table(layers=2, heads=4)
    table.to_csv(tmp_path / "heads.csv", index=False)
    out = tmp_path / "pruning.jsonl"
    pruning = build(Pruning, PRUNING)
    run_pruning(model, examples, "MNLI", tmp_path / "heads.csv", out, pruning, False, 8)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["order"], r["repeat"]) for r in rows[::3]] == [
        ("I_post", 0),
        ("random", 0),
        ("random", 1),
    ]
    assert [r["fraction"] for r in rows[:3]] == [0.0, 0.5, 1.0]
    assert [r["heads_off"] for r in rows[:3]] == [0, 4, 8]
    assert len({r["loss"] for r in rows if r["fraction"] == 0.0}) == 1  # one unpruned model
    assert all(r["metric"] == "accuracy" and r["examples"] == 30 for r in rows)


def test_prune_stage_reads_theta1_and_the_eval_subset(tmp_path, glue_dir, tiny_tokenizer):
    model = build_tiny("bert-eager")
    save_classifier(model, tiny_tokenizer, tmp_path / "ckpt_final")
    (tmp_path / "eval_subset.json").write_text("[0, 2, 4, 6, 8, 10, 12]")
    random_table(layers=2, heads=4).to_csv(tmp_path / "heads.csv", index=False)
    out = tmp_path / "pruning.jsonl"
    code = main(
        [
            "heads", "prune",
            "--checkpoint", str(tmp_path / "ckpt_final"), "--task", "MNLI", "--split", "dev",
            "--source", str(glue_dir), "--subset", str(tmp_path / "eval_subset.json"),
            "--heads-csv", str(tmp_path / "heads.csv"), "--output", str(out),
            "--max-seq-len", "32", "--batch-size", "4", "--device", "cpu",
            "--pruning", json.dumps(PRUNING), "--layer-normalise", "false",
        ]
    )  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 9 and all(r["examples"] == 7 for r in rows)
    subset = load_examples("MNLI", "dev", glue_dir, tiny_tokenizer, 32, [0, 2, 4, 6, 8, 10, 12])
    plain = evaluate(model, subset, "MNLI", batch_size=4)
    assert rows[0]["accuracy"] == plain["accuracy"]
    assert rows[0]["loss"] == pytest.approx(plain["loss"], abs=1e-6)
