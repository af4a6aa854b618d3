import pytest

from lmlab.models.resolve import EMBEDDED, check_model_settings, is_hub_id, resolve_model


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


def test_a_file_is_not_a_model(tmp_path):
    weights = tmp_path / "pytorch_model.bin"
    weights.write_bytes(b"\0" * 8)
    with pytest.raises(FileNotFoundError, match=r"pytorch_model\.bin' is a file, not a model"):
        resolve_model(str(weights))


def test_missing_path_under_a_local_directory_is_not_taken_for_a_hub_id(tmp_path, monkeypatch):
    (tmp_path / "models" / "my_bert").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert not is_hub_id("models/my-bert") and is_hub_id("bert-base-uncased")
    with pytest.raises(FileNotFoundError, match="'models/my-bert' is neither"):
        resolve_model("models/my-bert")


def test_model_settings_are_checked_naming_the_config_key(tmp_path):
    config = {
        "model": "embedded",
        "text": {"model": "roberta-large"},
        "unipelt": {"model": str(tmp_path)},  # a directory without config.json
        "graph": {"subgraph": {"scorer_model": "roberta-large"}},
    }
    with pytest.raises(ValueError, match=rf"config unipelt\.model: model directory {tmp_path} "):
        check_model_settings(config)
    (tmp_path / "config.json").write_text("{}")
    check_model_settings(config)
