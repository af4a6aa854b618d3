"""The stages chained through `lmlab heads ...` as the rules call them, on a tiny encoder."""

import json

from lmlab.cli import main
from lmlab.config import HeadsTrain, to_dict

from ..config_defaults import default_section


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_stage_runs_through_the_cli_and_writes_its_file(encoder_dir, glue_dir, tmp_path):
    seed_dir = tmp_path / "heads" / "MNLI" / "seed3"
    init, final = seed_dir / "ckpt_init", seed_dir / "ckpt_final"
    subset = tmp_path / "heads" / "MNLI" / "eval_subset.json"
    data = ["--task", "MNLI", "--source", str(glue_dir)]
    settings = {"epochs": 1, "batch_size": 16, "lr": 1e-3, "max_seq_len": 16}
    train = json.dumps(to_dict(default_section(HeadsTrain, "heads.train", **settings)))
    finetune = ["--model", str(encoder_dir), "--eval-split", "dev_matched", "--seed", "3"]
    finetune += ["--train", train, "--device", "cpu", "--ckpt-init", str(init)]
    finetune += ["--ckpt-final", str(final), "--run-config", str(seed_dir / "run_config.json")]
    finetune += ["--efficiency-json", str(seed_dir / "efficiency.json")]
    finetune += ["--state", str(seed_dir / "train_state.pt")]
    assert main(["heads", "finetune", *data, *finetune]) == 0
    choose = ["--split", "dev_matched", "--size", "12", "--output", str(subset)]
    assert main(["heads", "eval-subset", *data, *choose]) == 0
    measure = [*data, "--split", "dev_matched", "--subset", str(subset)]
    measure += ["--max-seq-len", "16", "--batch-size", "5"]
    for when, checkpoint in (("pre", init), ("post", final)):
        out = seed_dir / f"importance_{when}.jsonl"
        argv = ["heads", "importance", "--checkpoint", str(checkpoint), "--output", str(out)]
        assert main(argv + measure) == 0
    gradfisher = seed_dir / "gradfisher_pre.jsonl"
    argv = ["heads", "gradfisher", "--checkpoint", str(init), "--output", str(gradfisher)]
    assert main(argv + measure) == 0
    update = seed_dir / "update.jsonl"
    argv = ["heads", "update", "--ckpt-init", str(init), "--ckpt-final", str(final)]
    assert main([*argv, "--output", str(update)]) == 0

    heads = {(layer, head) for layer in range(2) for head in range(4)}
    for name, keys in {
        "importance_pre.jsonl": {"layer", "head", "I", "loss_base", "loss_ablate"},
        "importance_post.jsonl": {"layer", "head", "I", "loss_base", "loss_ablate"},
        "gradfisher_pre.jsonl": {"layer", "head", "G", "F", "Ppred"},
        "update.jsonl": {"layer", "head", "U", "Urel", "Uq", "Uk", "Uv", "Uo"},
    }.items():
        rows = read_jsonl(seed_dir / name)
        assert {(r["layer"], r["head"]) for r in rows} == heads, name
        assert all(keys <= set(r) for r in rows), name
    assert any(r["U"] > 0 for r in read_jsonl(update))
    assert not [p.name for p in seed_dir.iterdir() if p.name.startswith(".")]  # no temporaries


def test_bad_input_is_a_clean_error(glue_dir, tmp_path):
    out = tmp_path / "subset.json"
    argv = ["heads", "eval-subset", "--task", "NOPE", "--split", "dev", "--size", "3"]
    assert main([*argv, "--source", str(glue_dir), "--output", str(out)]) == 2
    assert not out.exists()
