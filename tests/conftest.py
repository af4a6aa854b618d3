"""Shared fixtures: the repository root, real data samples, throw-away project copies, tiny
encoders of every supported family, a tiny GLUE-format MNLI and a WordPiece tokenizer over it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from transformers import BertTokenizer

from .tiny_models import ARCHITECTURES, build_tiny

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "real"
PROJECT_FILES = ["Snakefile", "workflow", "config.yaml", "config", "profiles", "src", "envs"]


@pytest.fixture
def real_data() -> Path:
    """`../shared/data/real`, or skip when the shared samples are not beside the checkout."""
    if not REAL_DATA.is_dir():
        pytest.skip("../shared/data/real is absent")
    return REAL_DATA


def copy_project(dest: Path) -> Path:
    """Copy the workflow (no results, no .snakemake) to `dest`."""
    dest.mkdir(parents=True)
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the workflow (no results, no .snakemake) in a temporary directory."""
    return copy_project(tmp_path / "project")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models gain nothing from threads, and on a shared CPU spinning OpenMP threads made
    these tests several times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=ARCHITECTURES)
def arch(request) -> str:
    return request.param


@pytest.fixture
def tiny_model(arch: str) -> torch.nn.Module:
    return build_tiny(arch)


WORDS = ["a", "man", "woman", "dog", "runs", "sleeps", "is", "the", "park", "not", "cat", "eats"]


@pytest.fixture(scope="session")
def tiny_tokenizer(tmp_path_factory) -> BertTokenizer:
    """A WordPiece tokenizer over a dozen words (saved and reloaded, like a real checkpoint)."""
    folder = tmp_path_factory.mktemp("tokenizer")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    return BertTokenizer(str(folder / "vocab.txt"))


@pytest.fixture(scope="session")
def glue_dir(tmp_path_factory) -> Path:
    """A `glue_data`-style directory with a small MNLI (train 48, dev_matched 30)."""
    root = tmp_path_factory.mktemp("glue")
    (root / "MNLI").mkdir()
    header = "index\tpromptID\tpairID\tgenre\tsentence1\tsentence2\tgold_label"
    labels = ["entailment", "neutral", "contradiction"]
    generator = torch.Generator().manual_seed(3)
    for name, n in (("train", 48), ("dev_matched", 30)):
        rows = [header]
        for i in range(n):
            pick = torch.randint(0, len(WORDS), (9,), generator=generator).tolist()
            first = " ".join(WORDS[j] for j in pick[:5])
            second = " ".join(WORDS[j] for j in pick[5:])
            rows.append(f"{i}\t{i}\t{i}\tfiction\t{first}\t{second}\t{labels[i % 3]}")
        (root / "MNLI" / f"{name}.tsv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="session")
def encoder_dir(tmp_path_factory, tiny_tokenizer) -> Path:
    """A 'pretrained' tiny BERT encoder (no classification head) with its tokenizer, as a local
    model directory (what `model:` may name instead of `embedded`)."""
    from transformers import BertConfig, BertModel

    from .tiny_models import SMALL

    folder = tmp_path_factory.mktemp("encoder")
    torch.manual_seed(11)
    config = {key: value for key, value in SMALL.items() if key != "num_labels"}
    BertModel(BertConfig(**{**config, "initializer_range": 0.05})).save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    return folder
