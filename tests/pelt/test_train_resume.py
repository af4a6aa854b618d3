"""`lmlab unipelt train` killed with SIGKILL in the middle of an epoch and started again resumes
from its last epoch checkpoint and ends where an uninterrupted run ends; killed while it writes
its outputs, it leaves none of them complete, and the next run finishes from the last epoch."""

from __future__ import annotations

import json

import pandas as pd
import torch
from safetensors.torch import load_file

from lmlab.config import to_dict
from lmlab.pelt.config import Efficiency, MethodSizes, UniPELTTrain
from lmlab.pelt.stored import TENSORS

from ..config_defaults import default_section
from ..sigkill import (
    assert_mid_epoch_kill_then_resume,
    assert_write_kill_then_resume,
    run_lmlab,
)

# K=12 examples in batches of 4: three loss calls per epoch, call 5 is the middle of epoch 2.
LOSS = "lmlab.training.classification:ClassificationProblem.loss"
WRITING = "lmlab.pelt.stored:save_file"  # stored/'s tensors, the first output after training
OUTPUTS = ("metrics.json", "efficiency.json", "gates.csv", "stored")
# What metrics.json says of the model (no timing), the same after a resume.
QUALITY = ("best_epoch", "dev", "test", "test_metrics", "epochs", "trainable_parameters")


def train(encoder_dir, glue_dir, out, kill_at=0, target=LOSS):
    """`lmlab unipelt train` of gated UniPELT (every component, every kind of state) on K=12 MNLI
    examples for 3 epochs."""
    sizes = default_section(MethodSizes, "unipelt.method", lora_rank=2, prefix_length=2,
                            prefix_hidden=8, adapter_reduction=4)  # fmt: skip
    settings = default_section(UniPELTTrain, "unipelt.train", epochs=3, batch_size=4,
                               eval_batch_size=8, patience=5)  # fmt: skip
    efficiency = default_section(Efficiency, "unipelt.efficiency", batch_size=2, seq_len=8,
                                 repeats=1)  # fmt: skip
    argv = ["unipelt", "train", "--model", str(encoder_dir), "--task", "MNLI"]
    argv += ["--source", str(glue_dir), "--k", "12", "--method", "unipelt", "--seed", "3"]
    argv += ["--sizes", json.dumps(to_dict(sizes)), "--train", json.dumps(to_dict(settings))]
    argv += ["--dev-size", "8", "--max-seq-len", "16"]
    argv += ["--efficiency", json.dumps(to_dict(efficiency)), "--device", "cpu"]
    argv += ["--metrics", str(out / "metrics.json")]
    argv += ["--efficiency-json", str(out / "efficiency.json")]
    argv += ["--gates", str(out / "gates.csv"), "--stored", str(out / "stored")]
    argv += ["--state", str(out / "train_state.pt")]
    return run_lmlab(target, kill_at, argv)


def assert_same_model_and_metrics(expected_dir, resumed_dir):
    expected, resumed = (json.loads((d / "metrics.json").read_text())
                         for d in (expected_dir, resumed_dir))  # fmt: skip
    assert {k: resumed[k] for k in QUALITY} == {k: expected[k] for k in QUALITY}
    assert len(expected["epochs"]) == 3
    pd.testing.assert_frame_equal(
        pd.read_csv(resumed_dir / "gates.csv"), pd.read_csv(expected_dir / "gates.csv")
    )
    theta, again = (load_file(d / "stored" / TENSORS) for d in (expected_dir, resumed_dir))
    assert theta.keys() == again.keys()
    for name, value in theta.items():
        assert torch.equal(value, again[name]), name


def test_sigkill_mid_epoch_then_rerun_equals_an_uninterrupted_run(encoder_dir, glue_dir, tmp_path):
    def run(folder, kill_at):
        return train(encoder_dir, glue_dir, folder, kill_at=kill_at)

    second = assert_mid_epoch_kill_then_resume(run, tmp_path, 5, "train_state.pt", OUTPUTS)
    assert "resumed from the checkpoint of epoch 1" in second.stderr
    assert_same_model_and_metrics(tmp_path / "whole", tmp_path / "killed")


def test_sigkill_while_writing_outputs_leaves_none_and_the_rerun_finishes(
    encoder_dir, glue_dir, tmp_path
):
    def run(kill: bool):
        return train(encoder_dir, glue_dir, tmp_path, kill_at=int(kill), target=WRITING)

    assert_write_kill_then_resume(run, tmp_path, OUTPUTS, "train_state.pt", "stored")
