"""The config schema: rejects bad keys with the key and the allowed values; fills defaults."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")


def load(name):
    return yaml.safe_load((ROOT / name).read_text())


@pytest.mark.parametrize("name", ["config.yaml", "config/smoke.yaml", "config/paper.yaml"])
def test_shipped_configs_are_valid(name):
    validate(load(name), SCHEMA)


def test_defaults_fill_omitted_keys():
    config = {"data": {"synthetic": {}}}
    validate(config, SCHEMA)
    assert config["model"] == "embedded"
    assert config["seeds"] == [0]
    assert config["data"]["source"] == "synthetic"
    assert config["data"]["synthetic"]["csqa"]["train"] == 700
    assert config["data"]["synthetic"]["glue"]["MNLI"]["train"] == 2400


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"data": {"source": "hub"}}, ["'hub' is not one of ['synthetic', 'files']", "source"]),
        ({"device": "tpu"}, ["'tpu' is not one of ['auto', 'cpu', 'cuda']"]),
        ({"seeds": "zero"}, ["'zero' is not of type 'array'", "seeds"]),
        ({"modle": "x"}, ["'modle' was unexpected"]),
        ({"data": {"glue_tasks": ["MNLI", "SNLI"]}}, ["'SNLI' is not one of", "glue_tasks"]),
        ({"data": {"source": "files"}}, ["'files' is a required property"]),
    ],
)
def test_bad_config_names_key_and_allowed_values(patch, expected):
    config = copy.deepcopy(load("config.yaml"))
    for key, value in patch.items():
        if isinstance(value, dict):
            config[key].update(value)
        else:
            config[key] = value
    with pytest.raises(WorkflowError) as err:
        validate(config, SCHEMA)
    for text in expected:
        assert text in str(err.value)
