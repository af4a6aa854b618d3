"""The config schema: rejects bad keys with the key and the allowed values; fills defaults."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from lmlab.config import SyntheticData, build

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


def _schema_objects(node, where="#"):
    """Every sub-schema that declares `properties`, with its path (if/then/else excluded: they
    only narrow an object declared beside them)."""
    if isinstance(node, dict):
        if "properties" in node and not where.endswith(("/if", "/then", "/else")):
            yield where, node
        for key, value in node.items():
            yield from _schema_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schema_objects(value, f"{where}/{i}")


def test_every_config_object_rejects_unknown_keys():
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    objects = dict(_schema_objects(schema))
    assert len(objects) > 20
    open_objects = [
        where for where, node in objects.items() if node.get("additionalProperties") is not False
    ]
    assert open_objects == []
    # The one map (task name -> split sizes) restricts its keys by name instead.
    glue = schema["properties"]["data"]["properties"]["synthetic"]["properties"]["glue"]
    assert glue["propertyNames"] == {"enum": ["MNLI", "SST-2"]}


def _patched(dotted: str, value):
    """config.yaml with the value at the dotted key set (created when missing)."""
    config = copy.deepcopy(load("config.yaml"))
    *parents, last = dotted.split(".")
    section = config
    for part in parents:
        section = section.setdefault(part, {})
    section[last] = value
    return config


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("heads.trian", {"epochs": 1}, ["'trian' was unexpected", "On instance['heads']"]),
        ("unipelt.method.lora_rnak", 8,
         ["'lora_rnak' was unexpected", "On instance['unipelt']['method']"]),
        ("qat.train.epohcs", 3, ["'epohcs' was unexpected", "On instance['qat']['train']"]),
        ("data.files.conceptnet_gz", "x.csv.gz", ["'conceptnet_gz' was unexpected"]),
        ("data.synthetic.glue.SNLI", {"train": 1, "dev": 1, "test": 1},
         ["'SNLI' is not one of ['MNLI', 'SST-2']"]),
        ("heads.train.epochs", "3",
         ["'3' is not of type 'integer'", "On instance['heads']['train']['epochs']"]),
        ("data.synthetic.csqa.train", -5,
         ["-5 is less than the minimum of 2", "On instance['data']['synthetic']['csqa']['train']"]),
        ("unipelt.train.lr.lora", 0, ["0 is less than or equal to the minimum of 0"]),
        ("unipelt.methods", ["lora", "bitfit"],
         ["'bitfit' is not one of ['full', 'lora', 'adapter',",
          "On instance['unipelt']['methods'][1]"]),
        ("qat.variants", ["qat", "gnn"], ["'gnn' is not one of ['qat', 'lm_only']"]),
        ("graph.subgraph.ranker", "bm25", ["'bm25' is not one of ['cheap', 'lm']"]),
        ("unipelt.k", [100, "al"], ["On instance['unipelt']['k'][1]"]),
        ("heads.eval_split", "dev_matchd",
         ["'dev_matchd' is not one of ['dev', 'dev_matched', 'dev_mismatched']"]),
        ("heads.eval_split", "dev", ["'dev' is not one of ['dev_matched', 'dev_mismatched']"]),
        ("seeds", [0, 0], ["has non-unique elements", "On instance['seeds']"]),
    ],
)  # fmt: skip
def test_nested_unknown_keys_and_bad_values_are_named(dotted, value, expected):
    with pytest.raises(WorkflowError) as err:
        validate(_patched(dotted, value), SCHEMA)
    for text in expected:
        assert text in str(err.value)


def test_eval_split_of_a_task_other_than_mnli_is_dev():
    config = _patched("heads.task", "RTE")
    config["heads"]["eval_split"] = "dev"
    validate(config, SCHEMA)
    config["heads"]["eval_split"] = "dev_matched"
    with pytest.raises(WorkflowError, match="'dev' was expected"):
        validate(config, SCHEMA)


def test_typed_sections_name_an_unknown_nested_key():
    """The second line of defence (a stage run by hand with a JSON section): the dataclass
    builder names the unknown key and its section path."""
    sizes = {"train": 4, "dev": 2, "test": 2, "inhouse_train": 2, "trian": 4}
    section = {"seed": 1, "concepts": 50, "edges_per_concept": 1, "csqa": sizes, "glue": {}}
    with pytest.raises(ValueError, match=r"config data\.synthetic\.csqa: unknown keys \['trian'\]"):
        build(SyntheticData, section, "data.synthetic")
