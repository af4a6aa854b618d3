# lmlab: one DAG for the QAT, UniPELT and head-study experiments (see README.md).
# Table of contents only: config validation, one rules file per stage family, and `all`.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/helpers/data.smk"
include: "workflow/rules/helpers/graph.smk"
include: "workflow/rules/helpers/text.smk"
include: "workflow/rules/helpers/heads.smk"
include: "workflow/rules/helpers/qat.smk"
include: "workflow/rules/helpers/unipelt.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/graph.smk"
include: "workflow/rules/text.smk"
include: "workflow/rules/heads.smk"
include: "workflow/rules/qat.smk"
include: "workflow/rules/unipelt.smk"


rule all:
    default_target: True
    input:
        data_targets(),
        graph_targets(),
        text_targets(),
        heads_targets(),
        qat_targets(),
        unipelt_targets(),
