"""A fine-tuning run killed with SIGKILL in the middle of an epoch and started again resumes from
its last epoch checkpoint and ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import json
import signal

import torch

from lmlab.config import HeadsTrain, to_dict
from lmlab.models.classifier import load_classifier

from ..config_defaults import default_section
from ..sigkill import run_lmlab

PROBLEM = "lmlab.training.classification:ClassificationProblem"


def run_child(encoder_dir, glue_dir, out, kill_at=0):
    """`lmlab heads finetune`; 48 examples in batches of 8: loss call 9 is the middle of
    epoch 2."""
    settings = {"epochs": 3, "batch_size": 8, "lr": 1e-3, "max_seq_len": 16}
    train = json.dumps(to_dict(default_section(HeadsTrain, "heads.train", **settings)))
    argv = ["heads", "finetune", "--model", str(encoder_dir), "--task", "MNLI"]
    argv += ["--source", str(glue_dir), "--eval-split", "dev_matched", "--seed", "5"]
    argv += ["--train", train, "--device", "cpu", "--ckpt-init", str(out / "ckpt_init")]
    argv += ["--ckpt-final", str(out / "ckpt_final"), "--run-config", str(out / "run_config.json")]
    argv += ["--state", str(out / "train_state.pt")]
    return run_lmlab(PROBLEM, kill_at, argv)


def test_sigkill_mid_epoch_then_rerun_equals_an_uninterrupted_run(encoder_dir, glue_dir, tmp_path):
    whole = run_child(encoder_dir, glue_dir, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr

    killed = tmp_path / "killed"
    first = run_child(encoder_dir, glue_dir, killed, kill_at=9)
    assert first.returncode == -signal.SIGKILL
    assert (killed / "train_state.pt").is_file() and not (killed / "ckpt_final").exists()
    second = run_child(encoder_dir, glue_dir, killed)
    assert second.returncode == 0, second.stderr
    assert not (killed / "train_state.pt").exists()

    expected = json.loads((tmp_path / "whole" / "run_config.json").read_text())
    resumed = json.loads((killed / "run_config.json").read_text())
    assert resumed["resumed_from_epoch"] == 1 and expected["resumed_from_epoch"] == 0
    drop = ("seconds",)
    for a, b in zip(expected["epochs"], resumed["epochs"], strict=True):
        assert {k: v for k, v in a.items() if k not in drop} == {
            k: v for k, v in b.items() if k not in drop
        }
    assert expected["best_dev"] == resumed["best_dev"]
    theta1, _ = load_classifier(tmp_path / "whole" / "ckpt_final")
    again, _ = load_classifier(killed / "ckpt_final")
    for name, value in theta1.state_dict().items():
        assert torch.equal(value, again.state_dict()[name]), name
