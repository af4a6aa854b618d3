# QAT (SPEC §6): match lists once per split, then per (dataset, variant, seed) one training run
# on the shared loop (metrics.json, efficiency.json, curve.csv), its curve figure, and across
# variants and seeds the comparison. Outputs: results/qat/{dataset}/ (file names: lmlab.paths).


rule qat_matches:
    """Which LM tokens of each statement match which of its graph nodes (qat.matcher), computed
    once per split for every variant and seed."""
    input:
        tokens=tokens_file(),
        subgraph=subgraph_file(),
        metapath=metapath_file(),
        concepts=cpnet_files().concepts,
    output:
        matches=qat_matches_file(),
    log:
        f"{LOGS}/qat_matches/{{dataset}}/{{split}}.log",
    benchmark:
        f"{BENCHMARKS}/qat_matches/{{dataset}}/{{split}}.tsv"
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/qat.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("qat", "matches"),
        model=setting("text.model"),
        matcher=section("qat.matcher"),
        max_node_num=setting("graph.loader.max_node_num"),
    shell:
        "python -m lmlab qat matches --tokens {input.tokens:q} --subgraph {input.subgraph:q}"
        " --metapath {input.metapath:q} --concepts {input.concepts:q} --model {params.model:q}"
        " --matcher {params.matcher:q} --max-node-num {params.max_node_num}"
        " --output {output.matches:q} 2> {log}"


rule qat_train:
    """One run of `qat` (LM + relation-aware graph transformer) or `lm_only` (the same encoder,
    scored on its first token): best dev accuracy, test accuracy at it, the per-epoch curve.
    """
    input:
        unpack(qat_train_inputs),
    output:
        metrics=qat_file("metrics.json"),
        efficiency=qat_file(EFFICIENCY),
        curve=qat_file("curve.csv"),
    log:
        f"{LOGS}/qat_train/{{dataset}}/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/qat_train/{{dataset}}/{{variant}}/seed{{seed}}.tsv"
    wildcard_constraints:
        dataset="csqa|obqa",
        variant="qat|lm_only",
    retries: 1
    conda:
        "../../envs/qat.yaml"
    threads: 2
    resources:
        gpu=qat_gpus,
    params:
        code=code("qat", "train"),
        model=setting("text.model"),
        architecture=section("qat.model"),
        train=section("qat.train"),
        max_node_num=setting("graph.loader.max_node_num"),
        device=setting("device"),
        splits=shell_words(QA_SPLITS),
        graph=qat_graph_arguments,
        state=qat_file(TRAIN_STATE),
    shell:
        "python -m lmlab --gpus {resources.gpu} qat train --dataset {wildcards.dataset}"
        " --model {params.model:q} --variant {wildcards.variant} --seed {wildcards.seed}"
        " --architecture {params.architecture:q} --train {params.train:q}"
        " --max-node-num {params.max_node_num} --splits {params.splits}"
        " --tokens {input.tokens:q} {params.graph} --metrics {output.metrics:q}"
        " --efficiency-json {output.efficiency:q} --curve {output.curve:q}"
        " --state {params.state:q} --device {params.device} 2> {log}"


rule qat_figure:
    """The learning curve of one run, drawn from its curve.csv (no model is loaded)."""
    input:
        curve=qat_file("curve.csv"),
        metrics=qat_file("metrics.json"),
    output:
        figure=report(
            qat_file("fig_curve.png"),
            caption="../report/qat_curve.rst",
            category="QAT",
            subcategory="{dataset} {variant} seed {seed}",
        ),
    log:
        f"{LOGS}/qat_figure/{{dataset}}/{{variant}}/seed{{seed}}.log",
    wildcard_constraints:
        dataset="csqa|obqa",
        variant="qat|lm_only",
    conda:
        "../../envs/qat.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("qat", "figure"),
    shell:
        "python -m lmlab qat figure --curve {input.curve:q} --metrics {input.metrics:q}"
        " --output {output.figure:q} 2> {log}"


rule qat_summary:
    """QAT vs LM-only over seeds: summary.csv (mean, std, min, max per variant), summary.json
    (a DVC metric, with the test-accuracy gain) and the comparison figure."""
    input:
        unpack(qat_summary_inputs),
    output:
        summary_csv=report(
            qat_summary_file("summary.csv"),
            caption="../report/qat_summary.rst",
            category="QAT",
            subcategory="{dataset} across seeds",
        ),
        summary_json=qat_summary_file("summary.json"),
        figure=report(
            qat_summary_file("fig_compare.png"),
            caption="../report/qat_compare.rst",
            category="QAT",
            subcategory="{dataset} across seeds",
        ),
    log:
        f"{LOGS}/qat_summary/{{dataset}}.log",
    wildcard_constraints:
        dataset="csqa|obqa",
    conda:
        "../../envs/qat.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("qat", "summary"),
    shell:
        "python -m lmlab qat summary --metrics {input.metrics:q} --curves {input.curves:q}"
        " --summary-csv {output.summary_csv:q} --summary-json {output.summary_json:q}"
        " --figure {output.figure:q} 2> {log}"
