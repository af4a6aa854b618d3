"""`lmlab qat train` killed with SIGKILL in the middle of an epoch and started again resumes from
its last epoch checkpoint and writes what an uninterrupted run writes."""

from __future__ import annotations

import json
import signal

import pandas as pd

from lmlab.qat.config import MatcherConfig
from lmlab.qat.split import write_matches

from ..sigkill import run_lmlab
from .test_split import files  # noqa: F401 - the pipeline files of the hand-made split

PROBLEM = "lmlab.qat.train:QATProblem"  # 2 questions, micro-batches of 1: call 4 is mid epoch 2
ARCHITECTURE = {"k": 1, "d_model": 16, "n_heads": 2, "ffn_dim": 32, "dropout": 0.1,
                "lambda_rpe": 1.0}  # fmt: skip
TRAIN = {"epochs": 3, "batch_size": 2, "micro_batch_size": 1, "encoder_lr": 1e-3,
         "decoder_lr": 1e-2, "weight_decay": 0.01, "warmup_ratio": 0.0, "max_grad_norm": 1.0,
         "unfreeze_epoch": 1, "patience": 5, "eval_batch_size": 2}  # fmt: skip


def train(files, matches, out, kill_at=0):  # noqa: F811 - `files` is the fixture's value
    argv = ["qat", "train", "--dataset", "handmade", "--model", str(files["model"])]
    argv += ["--variant", "qat", "--seed", "0", "--architecture", json.dumps(ARCHITECTURE)]
    argv += ["--train", json.dumps(TRAIN), "--max-node-num", "32"]
    argv += ["--splits", "train", "dev", "test"]
    argv += ["--tokens", *[str(files["tokens"])] * 3]  # one hand-made split plays all three
    for kind, path in (("subgraph", files["subgraph"]), ("metapath", files["metapath"])):
        argv += [f"--{kind}", *[str(path)] * 3]
    argv += ["--matches", *[str(matches)] * 3, "--metrics", str(out / "metrics.json")]
    argv += ["--curve", str(out / "curve.csv"), "--state", str(out / "state.pt")]
    argv += ["--device", "cpu"]
    return run_lmlab(PROBLEM, kill_at, argv)


def test_sigkill_mid_epoch_then_rerun_equals_an_uninterrupted_run(files, tmp_path):  # noqa: F811
    matches = tmp_path / "dev.matches.npz"
    write_matches(files["tokens"], files["subgraph"], files["metapath"], files["concepts"],
                  str(files["model"]), MatcherConfig("lemma", 0.5, None), 32, matches)  # fmt: skip
    whole = train(files, matches, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    killed = tmp_path / "killed"
    first = train(files, matches, killed, kill_at=4)
    assert first.returncode == -signal.SIGKILL
    assert (killed / "state.pt").is_file() and not (killed / "metrics.json").exists()
    second = train(files, matches, killed)
    assert second.returncode == 0, second.stderr
    assert not (killed / "state.pt").exists()
    pd.testing.assert_frame_equal(
        pd.read_csv(killed / "curve.csv"), pd.read_csv(tmp_path / "whole" / "curve.csv")
    )
    expected = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    resumed = json.loads((killed / "metrics.json").read_text())
    assert resumed["resumed_from_epoch"] == 1 and expected["resumed_from_epoch"] == 0
    timing = {"wall_seconds", "train_examples_per_second", "resumed_from_epoch"}
    assert {k: v for k, v in resumed.items() if k not in timing} == {
        k: v for k, v in expected.items() if k not in timing
    }
