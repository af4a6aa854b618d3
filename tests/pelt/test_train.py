"""A UniPELT run end to end on a tiny encoder: what it writes, the stored artefact reloads to the
same predictions, the summary tables; and K-shot sampling plus one training step on real RTE."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lmlab.config import build
from lmlab.models.classifier import initial_classifier
from lmlab.pelt.config import Efficiency, MethodSizes, UniPELTTrain
from lmlab.pelt.report import summarise, write_gate_figure
from lmlab.pelt.stored import load_stored
from lmlab.pelt.train import train_unipelt
from lmlab.tasks.evaluate import predict
from lmlab.tasks.examples import load_examples

SIZES = MethodSizes(lora_rank=4, lora_alpha=8.0, prefix_length=3, prefix_hidden=16,
                    adapter_reduction=4)  # fmt: skip
LR = {m: 1e-3 for m in ("full", "lora", "adapter", "prefix", "unipelt", "unipelt_nogate")}
TRAIN = dict(epochs=2, batch_size=4, eval_batch_size=8, warmup_ratio=0.0, weight_decay=0.01,
             max_grad_norm=1.0, patience=5, lr=LR)  # fmt: skip
EFFICIENCY = Efficiency(batch_size=2, seq_len=8, repeats=2)
FILES = {"metrics": "metrics.json", "efficiency": "efficiency.json", "gates": "gates.csv",
         "stored": "stored"}  # fmt: skip


def run(encoder_dir, glue_dir, out, method, seed=0, task="MNLI", k=12, dev_size=12, **train):
    outputs = {key: out / name for key, name in FILES.items()}
    settings = build(UniPELTTrain, {**TRAIN, **train})
    metrics = train_unipelt(
        str(encoder_dir), task, glue_dir, k, method, seed, SIZES, settings, dev_size, 16,
        EFFICIENCY, outputs, out / "train_state.pt", "cpu",
    )  # fmt: skip
    return metrics, outputs


def test_a_gated_run_writes_metrics_gates_and_a_stored_artefact(encoder_dir, glue_dir, tmp_path):
    metrics, out = run(encoder_dir, glue_dir, tmp_path, "unipelt")
    saved = json.loads(out["metrics"].read_text())
    assert saved == json.loads(json.dumps(metrics))
    assert (saved["n_train"], saved["n_dev"], saved["n_test"]) == (12, 12, 30)
    assert saved["metric"] == "accuracy" and 0 <= saved["test"] <= 1
    counts = saved["trainable_parameters"]
    assert counts["stored"] < counts["training"] < counts["model"]  # prefix MLP dropped
    assert set(counts["stored_by_component"]) == {"lora", "prefix", "adapter", "gates", "head"}
    cost = json.loads(out["efficiency"].read_text())  # timings apart from the metrics
    assert cost["seconds_per_train_step"] > 0 and "seconds_per_train_step" not in saved
    assert cost["inference"]["latency_ms_per_example"] > 0
    assert cost["inference"]["peak_memory_mb"] > 0  # measured on a CPU too
    gates = pd.read_csv(out["gates"])
    assert len(gates) == 2 * 4 and set(gates["examples"]) == {12}  # 2 layers x 4 gates, on dev
    assert gates["mean_gate"].between(0, 1).all()
    assert not (tmp_path / "train_state.pt").exists()
    write_gate_figure(out["gates"], out["metrics"], tmp_path / "fig.png")
    assert (tmp_path / "fig.png").stat().st_size > 0


def test_the_stored_artefact_reloads_to_the_same_predictions(
    encoder_dir, glue_dir, tiny_tokenizer, tmp_path
):
    run(encoder_dir, glue_dir, tmp_path, "prefix", seed=2)
    examples = load_examples("MNLI", "dev_matched", glue_dir, tiny_tokenizer, 16)
    labels = ("entailment", "neutral", "contradiction")
    base, _ = initial_classifier(str(encoder_dir), labels, seed=2)
    model = load_stored(base, tmp_path / "stored").eval()
    logits, _ = predict(model, examples, 8)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert np.mean(logits.argmax(-1) == examples.labels) == pytest.approx(saved["test"])


def test_an_ungated_method_has_an_empty_gate_table(encoder_dir, glue_dir, tmp_path):
    _, out = run(encoder_dir, glue_dir, tmp_path, "lora", epochs=1)
    assert pd.read_csv(out["gates"]).empty


def test_summary_tables_follow_the_paper(encoder_dir, glue_dir, tmp_path):
    files = []
    for method in ("full", "unipelt"):
        for seed in (0, 1):
            folder = tmp_path / method / f"seed{seed}"
            run(encoder_dir, glue_dir, folder, method, seed=seed, epochs=1)
            files.append(folder)
    names = ("table1_csv", "table1_md", "table4_csv", "table4_md", "summary", "figure")
    suffix = {"table1_csv": ".csv", "table4_csv": ".csv", "summary": ".json", "figure": ".png"}
    outputs = {n: str(tmp_path / "summary" / f"{n}{suffix.get(n, '.md')}") for n in names}
    summary = summarise([f / "metrics.json" for f in files],
                        [f / "efficiency.json" for f in files], outputs)  # fmt: skip
    table1 = pd.read_csv(outputs["table1_csv"])
    assert set(table1["task"]) == {"MNLI", "avg"} and set(table1["seeds"]) == {2}
    assert "| full |" in Path(outputs["table1_md"]).read_text()
    assert summary["trainable_stored_pct"]["unipelt"] < summary["trainable_stored_pct"]["full"]
    table4 = pd.read_csv(outputs["table4_csv"]).set_index("method")
    for ratio in ("seconds_per_train_step", "latency_ms_per_example", "peak_memory_mb"):
        assert table4.loc["full", f"{ratio}_vs_full"] == pytest.approx(1.0)
        assert table4.loc["unipelt", f"{ratio}_vs_full"] > 0
    assert "| peak memory / full |" in Path(outputs["table4_md"]).read_text()
    assert set(summary["average_test"]["k12"]) == {"full", "unipelt"}


def test_real_rte_kshot_and_one_unipelt_step(real_data, tmp_path):
    """K-shot sampling and one training step of gated UniPELT on the real RTE files, with the
    packaged MiniLM (skipped without ../shared)."""
    metrics, out = run(
        "embedded", real_data / "glue", tmp_path, "unipelt", task="RTE", k=8, dev_size=8,
        epochs=1, batch_size=8,
    )  # fmt: skip
    assert (metrics["n_train"], metrics["n_dev"]) == (8, 8) and metrics["n_test"] == 277
    assert metrics["metric"] == "accuracy" and len(metrics["epochs"]) == 1
    assert len(pd.read_csv(out["gates"])) == 6 * 4
