import json
import shutil

import pytest
import torch

from lmlab.config import HeadsTrain
from lmlab.heads.finetune import attention_parameters, finetune, parameter_groups
from lmlab.models.classifier import initial_classifier, load_classifier

from ..config_defaults import default_section
from ..tiny_models import build_tiny

TRAIN = {"epochs": 2, "batch_size": 8, "lr": 1e-3, "max_seq_len": 16, "warmup_ratio": 0.1}


def run(encoder_dir, glue_dir, out, accumulation=1, **train):
    paths = [out / "ckpt_init", out / "ckpt_final", out / "run_config.json",
             out / "efficiency.json", out / "state.pt"]  # fmt: skip
    settings = default_section(HeadsTrain, "heads.train", **{**TRAIN, **train})
    return finetune(
        str(encoder_dir), "MNLI", glue_dir, "dev_matched", 7, settings, *paths, "cpu", accumulation
    )


def state(path):
    model, _ = load_classifier(path)
    return model.state_dict()


def test_finetune_saves_theta0_before_any_update_and_a_record(encoder_dir, glue_dir, tmp_path):
    record = run(encoder_dir, glue_dir, tmp_path)
    fresh, _ = initial_classifier(str(encoder_dir), ("entailment", "neutral", "contradiction"), 7)
    theta0, theta1 = state(tmp_path / "ckpt_init"), state(tmp_path / "ckpt_final")
    for name, value in fresh.state_dict().items():
        torch.testing.assert_close(theta0[name], value, rtol=0, atol=0)
    assert any(not torch.equal(theta0[k], theta1[k]) for k in theta0)
    saved = json.loads((tmp_path / "run_config.json").read_text())
    assert saved == json.loads(json.dumps(record))
    assert [e["epoch"] for e in saved["epochs"]] == [1, 2]
    assert saved["precision"] == "float32" and saved["train"]["decay_attention"] is False
    assert saved["best_epoch"] in (1, 2) and "accuracy" in saved["best_dev"]
    assert not (tmp_path / "state.pt").exists()  # the loop's checkpoint goes once θ1 is saved
    assert {"torch", "transformers", "python"} <= set(saved["versions"])
    timings = json.loads((tmp_path / "efficiency.json").read_text())
    assert timings["train_examples_per_second"] > 0 and len(timings["epoch_seconds"]) == 2
    assert not any("seconds" in key for row in saved["epochs"] for key in row)  # timings apart
    model, _ = load_classifier(tmp_path / "ckpt_final")
    assert model.config.id2label[2] == "contradiction"
    modes = {f.stat().st_mode & 0o777 for f in (tmp_path / "ckpt_final").iterdir()}
    assert len(modes) == 1  # the weights are as readable as config.json


def test_finetune_is_deterministic_on_cpu(encoder_dir, glue_dir, tmp_path):
    first = run(encoder_dir, glue_dir, tmp_path / "a", epochs=1)
    second = run(encoder_dir, glue_dir, tmp_path / "b", epochs=1)
    assert first["epochs"][0]["dev"] == second["epochs"][0]["dev"]
    a, b = state(tmp_path / "a" / "ckpt_final"), state(tmp_path / "b" / "ckpt_final")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_accumulation_keeps_the_effective_batch_and_the_loss(encoder_dir, glue_dir, tmp_path):
    no_dropout = tmp_path / "encoder"  # dropout masks depend on the micro-batch shapes
    shutil.copytree(encoder_dir, no_dropout)
    config = json.loads((no_dropout / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (no_dropout / "config.json").write_text(json.dumps(config))
    whole = run(no_dropout, glue_dir, tmp_path / "a", epochs=1)
    halves = run(no_dropout, glue_dir, tmp_path / "b", epochs=1, accumulation=2)
    assert halves["epochs"][0]["train_loss"] == pytest.approx(whole["epochs"][0]["train_loss"])
    assert halves["epochs"][0]["dev"]["loss"] == pytest.approx(whole["epochs"][0]["dev"]["loss"])


def test_attention_weights_get_no_decay_unless_asked():
    model = build_tiny("deberta-v2")
    attention = attention_parameters(model)
    assert len(attention) == 2 * 4 * 2  # 2 layers x (Q, K, V, O) x (weight, bias)
    settings = default_section(HeadsTrain, "heads.train", decay_attention=False)
    default, _ = parameter_groups(model, settings)
    assert not attention & {id(p) for p in default.params}
    settings = default_section(HeadsTrain, "heads.train", decay_attention=True)
    with_attention, no_decay = parameter_groups(model, settings)
    assert {id(p) for p in model.parameters() if p.dim() == 2} & attention <= {
        id(p) for p in with_attention.params
    }
    assert all(p.dim() == 1 for p in no_decay.params) and no_decay.weight_decay == 0.0
