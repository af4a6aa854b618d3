"""The probe readout of θ0: only the classification head moves, for exactly `steps` steps."""

import json

import torch

from lmlab.cli import main
from lmlab.config import HeadsProbe
from lmlab.heads.probe import ProbeProblem, fit_probe
from lmlab.models.classifier import initial_classifier, load_classifier, save_classifier

from ..sigkill import run_lmlab

LABELS = ("entailment", "neutral", "contradiction")


def theta0(encoder_dir, folder):
    model, tokenizer = initial_classifier(str(encoder_dir), LABELS, 7)
    return save_classifier(model, tokenizer, folder / "ckpt_init")


def probe(ckpt, glue_dir, out, steps=6):
    settings = HeadsProbe(steps=steps, batch_size=8, lr=5e-3)
    return fit_probe(
        ckpt, "MNLI", glue_dir, "dev_matched", 7, settings, 16, 16,
        out / "ckpt_probe", out / "probe.json", out / "state.pt", "cpu",
    )  # fmt: skip


def weights(path):
    return load_classifier(path)[0].state_dict()


def test_probe_fits_only_the_head_and_records_dev_before_and_after(encoder_dir, glue_dir, tmp_path):
    ckpt = theta0(encoder_dir, tmp_path)
    record = probe(ckpt, glue_dir, tmp_path)
    before, after = weights(ckpt), weights(tmp_path / "ckpt_probe")
    moved = {name for name in before if not torch.equal(before[name], after[name])}
    assert moved == {"classifier.weight", "classifier.bias"}  # the encoder is θ0's, bit for bit
    saved = json.loads((tmp_path / "probe.json").read_text())
    assert saved == json.loads(json.dumps(record))
    assert saved["trained"] == ["classifier"] and saved["examples_seen"] == 48
    assert {"accuracy", "loss"} <= set(saved["dev_probe"]) and saved["metric"] == "accuracy"
    assert saved["dev_probe"]["loss"] < saved["dev_random_head"]["loss"]
    assert not (tmp_path / "state.pt").exists()


def test_the_budget_is_exactly_steps_batches_across_passes_of_the_train_split():
    problem = ProbeProblem("MNLI", list(range(20)), None, 3, 8, 8, steps=7)
    batches = problem.batch_indices(1)
    assert len(batches) == 7 and [len(b) for b in batches[:3]] == [8, 8, 4]
    assert sorted(i for b in batches[:3] for i in b) == list(range(20))  # one full pass first


def test_a_killed_probe_leaves_no_output_and_reruns_to_the_same_head(
    encoder_dir, glue_dir, tmp_path
):
    ckpt = theta0(encoder_dir, tmp_path)
    probe(ckpt, glue_dir, tmp_path / "whole", steps=6)
    argv = [
        "heads", "probe", "--checkpoint", str(ckpt), "--task", "MNLI",
        "--source", str(glue_dir), "--eval-split", "dev_matched", "--seed", "7",
        "--probe", '{"steps": 6, "batch_size": 8, "lr": 0.005}', "--max-seq-len", "16",
        "--eval-batch-size", "16", "--device", "cpu",
        "--output", str(tmp_path / "killed" / "ckpt_probe"),
        "--record", str(tmp_path / "killed" / "probe.json"),
        "--state", str(tmp_path / "killed" / "state.pt"),
    ]  # fmt: skip
    killed = run_lmlab("lmlab.heads.probe:ProbeProblem.loss", 3, argv)  # mid-budget
    assert killed.returncode != 0 and not (tmp_path / "killed" / "ckpt_probe").exists()
    assert main(argv) == 0
    whole, again = (
        weights(tmp_path / "whole" / "ckpt_probe"),
        weights(tmp_path / "killed" / "ckpt_probe"),
    )
    assert all(torch.equal(whole[k], again[k]) for k in whole)
