"""A fine-tuning run killed with SIGKILL in the middle of an epoch and started again resumes from
its last epoch checkpoint and ends exactly where an uninterrupted run ends; killed while it writes
its outputs, it leaves none of them complete, and the next run finishes from the last epoch."""

from __future__ import annotations

import json

import torch

from lmlab.config import HeadsTrain, to_dict
from lmlab.models.classifier import load_classifier

from ..config_defaults import default_section
from ..sigkill import (
    assert_mid_epoch_kill_then_resume,
    assert_write_kill_then_resume,
    run_lmlab,
)

LOSS = "lmlab.training.classification:ClassificationProblem.loss"
# Call 1 writes θ0 before training, call 2 the weights of θ1 (the first output after training)
# into its temporary directory: the kill leaves θ1 without its tokenizer files, not renamed.
WRITING = "transformers.modeling_utils:PreTrainedModel.save_pretrained"
OUTPUTS = ("ckpt_final", "run_config.json", "efficiency.json")


def run_child(encoder_dir, glue_dir, out, kill_at=0, target=LOSS):
    """`lmlab heads finetune`; 48 examples in batches of 8: loss call 9 is the middle of
    epoch 2."""
    settings = {"epochs": 3, "batch_size": 8, "lr": 1e-3, "max_seq_len": 16}
    train = json.dumps(to_dict(default_section(HeadsTrain, "heads.train", **settings)))
    argv = ["heads", "finetune", "--model", str(encoder_dir), "--task", "MNLI"]
    argv += ["--source", str(glue_dir), "--eval-split", "dev_matched", "--seed", "5"]
    argv += ["--train", train, "--device", "cpu", "--ckpt-init", str(out / "ckpt_init")]
    argv += ["--ckpt-final", str(out / "ckpt_final"), "--run-config", str(out / "run_config.json")]
    argv += ["--efficiency-json", str(out / "efficiency.json")]
    argv += ["--state", str(out / "train_state.pt")]
    return run_lmlab(target, kill_at, argv)


def test_sigkill_mid_epoch_then_rerun_equals_an_uninterrupted_run(encoder_dir, glue_dir, tmp_path):
    def run(folder, kill_at):
        return run_child(encoder_dir, glue_dir, folder, kill_at=kill_at)

    assert_mid_epoch_kill_then_resume(run, tmp_path, 9, "train_state.pt", ["ckpt_final"])
    killed = tmp_path / "killed"

    # the record holds no timing: it is the uninterrupted run's, byte for byte
    record = "run_config.json"
    assert (killed / record).read_bytes() == (tmp_path / "whole" / record).read_bytes()
    timings = [
        json.loads((d / "efficiency.json").read_text()) for d in (tmp_path / "whole", killed)
    ]
    assert [t["resumed_from_epoch"] for t in timings] == [0, 1]
    theta1, _ = load_classifier(tmp_path / "whole" / "ckpt_final")
    again, _ = load_classifier(killed / "ckpt_final")
    for name, value in theta1.state_dict().items():
        assert torch.equal(value, again.state_dict()[name]), name


def test_sigkill_while_writing_outputs_leaves_none_and_the_rerun_finishes(
    encoder_dir, glue_dir, tmp_path
):
    def run(kill: bool):  # θ1's weights are the second save_pretrained (θ0's the first)
        kill_at = 2 if kill else 0
        return run_child(encoder_dir, glue_dir, tmp_path, kill_at=kill_at, target=WRITING)

    assert_write_kill_then_resume(run, tmp_path, OUTPUTS, "train_state.pt", "ckpt_final")
