import pytest

from lmlab.models.resolve import EMBEDDED, resolve_model


def test_embedded_model_resolves_offline_to_packaged_weights(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from transformers import AutoConfig, AutoTokenizer

    path = resolve_model(EMBEDDED)
    config = AutoConfig.from_pretrained(path)
    assert (config.model_type, config.num_hidden_layers, config.num_attention_heads) == (
        "bert",
        6,
        12,
    )
    tokens = AutoTokenizer.from_pretrained(path)("Where would you find a kitchen?")["input_ids"]
    assert tokens[0] == 101 and tokens[-1] == 102


def test_local_directory_needs_config_json(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        resolve_model(str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)) == str(tmp_path.resolve())


@pytest.mark.parametrize("spec", ["microsoft/deberta-v3-base", "roberta-large"])
def test_hub_ids_pass_through(spec):
    assert resolve_model(spec) == spec


@pytest.mark.parametrize("spec", ["./missing/model", "/no/such/dir", "a b"])
def test_missing_paths_are_errors(spec):
    with pytest.raises(FileNotFoundError, match="neither"):
        resolve_model(spec)
