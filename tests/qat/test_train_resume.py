"""`lmlab qat train` killed with SIGKILL in the middle of an epoch and started again resumes from
its last epoch checkpoint and writes what an uninterrupted run writes; killed while it writes its
outputs, it leaves none of them complete, and the next run finishes from the last epoch."""

from __future__ import annotations

import json

import pandas as pd

from lmlab.qat.config import MatcherConfig
from lmlab.qat.split import write_matches

from ..sigkill import (
    assert_mid_epoch_kill_then_resume,
    assert_write_kill_then_resume,
    run_lmlab,
)
from .test_split import files  # noqa: F401 - the pipeline files of the hand-made split

LOSS = "lmlab.qat.train:QATProblem.loss"  # 2 questions, micro-batches of 1: call 4 is mid epoch 2
WRITING = "pandas:DataFrame.to_csv"  # curve.csv's rows, the first output after training
OUTPUTS = ("metrics.json", "efficiency.json", "curve.csv")
ARCHITECTURE = {"k": 1, "d_model": 16, "n_heads": 2, "ffn_dim": 32, "dropout": 0.1,
                "lambda_rpe": 1.0}  # fmt: skip
TRAIN = {"epochs": 3, "batch_size": 2, "micro_batch_size": 1, "encoder_lr": 1e-3,
         "decoder_lr": 1e-2, "weight_decay": 0.01, "warmup_ratio": 0.0, "max_grad_norm": 1.0,
         "unfreeze_epoch": 1, "patience": 5, "eval_batch_size": 2}  # fmt: skip


def train(files, matches, out, kill_at=0, target=LOSS):  # noqa: F811 - the fixture's value
    argv = ["qat", "train", "--dataset", "handmade", "--model", str(files["model"])]
    argv += ["--variant", "qat", "--seed", "0", "--architecture", json.dumps(ARCHITECTURE)]
    argv += ["--train", json.dumps(TRAIN), "--max-node-num", "32"]
    argv += ["--splits", "train", "dev", "test"]
    argv += ["--tokens", *[str(files["tokens"])] * 3]  # one hand-made split plays all three
    for kind, path in (("subgraph", files["subgraph"]), ("metapath", files["metapath"])):
        argv += [f"--{kind}", *[str(path)] * 3]
    argv += ["--matches", *[str(matches)] * 3, "--metrics", str(out / "metrics.json")]
    argv += ["--efficiency-json", str(out / "efficiency.json"), "--curve", str(out / "curve.csv")]
    argv += ["--state", str(out / "state.pt")]
    argv += ["--device", "cpu"]
    return run_lmlab(target, kill_at, argv)


def handmade_matches(files, path):  # noqa: F811 - `files` is the fixture's value
    """The match lists of the hand-made split, written to `path`."""
    write_matches(files["tokens"], files["subgraph"], files["metapath"], files["concepts"],
                  str(files["model"]), MatcherConfig("lemma", 0.5, None), 32, path)  # fmt: skip
    return path


def test_sigkill_mid_epoch_then_rerun_equals_an_uninterrupted_run(files, tmp_path):  # noqa: F811
    matches = handmade_matches(files, tmp_path / "dev.matches.npz")

    def run(folder, kill_at):
        return train(files, matches, folder, kill_at=kill_at)

    assert_mid_epoch_kill_then_resume(run, tmp_path, 4, "state.pt", ["metrics.json"])
    killed = tmp_path / "killed"
    pd.testing.assert_frame_equal(
        pd.read_csv(killed / "curve.csv"), pd.read_csv(tmp_path / "whole" / "curve.csv")
    )
    # metrics.json holds no timing: it is the uninterrupted run's, byte for byte
    metrics = "metrics.json"
    assert (killed / metrics).read_bytes() == (tmp_path / "whole" / metrics).read_bytes()
    timings = [
        json.loads((d / "efficiency.json").read_text()) for d in (tmp_path / "whole", killed)
    ]
    assert [t["resumed_from_epoch"] for t in timings] == [0, 1]


def test_sigkill_while_writing_outputs_leaves_none_and_the_rerun_finishes(files, tmp_path):  # noqa: F811
    matches = handmade_matches(files, tmp_path / "dev.matches.npz")
    out = tmp_path / "run"

    def run(kill: bool):
        return train(files, matches, out, kill_at=int(kill), target=WRITING)

    assert_write_kill_then_resume(run, out, OUTPUTS, "state.pt", "curve.csv")
