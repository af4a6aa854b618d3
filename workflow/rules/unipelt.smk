# UniPELT (SPEC §7): per (task, K, method, seed) one run on the shared loop (metrics.json,
# efficiency.json, gates.csv, the stored artefact), the gate heatmap of gated runs, and across runs the paper's
# Tables 1 and 4. Outputs: results/unipelt/ (file names: lmlab.paths).


rule unipelt_train:
    """One run of a method (full, lora, adapter, prefix, unipelt, unipelt_nogate) on K examples
    of a GLUE task: dev and test metric, trainable parameters, train and inference cost.
    """
    input:
        unpack(unipelt_data),
    output:
        metrics=unipelt_file("metrics.json"),
        efficiency=unipelt_file(EFFICIENCY),
        gates=unipelt_file("gates.csv"),
        stored=directory(unipelt_file("stored")),
    log:
        f"{LOGS}/unipelt_train/{{task}}/k{{k}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/unipelt_train/{{task}}/k{{k}}/{{method}}/seed{{seed}}.tsv"
    wildcard_constraints:
        k=r"\d+|all",
        method="full|lora|adapter|prefix|unipelt|unipelt_nogate",
    retries: 1
    conda:
        "../../envs/heads.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        code=code("unipelt", "train"),
        model=setting("unipelt.model"),
        source=data_location("glue"),
        sizes=section("unipelt.method"),
        train=section("unipelt.train"),
        dev_size=setting("unipelt.dev_size"),
        max_seq_len=setting("unipelt.max_seq_len"),
        efficiency=section("unipelt.efficiency"),
        device=setting("device"),
        state=unipelt_file(TRAIN_STATE),
    shell:
        "python -m lmlab --gpus {resources.gpu} unipelt train --model {params.model:q}"
        " --task {wildcards.task} --source {params.source:q} --k {wildcards.k}"
        " --method {wildcards.method} --seed {wildcards.seed} --sizes {params.sizes:q}"
        " --train {params.train:q} --dev-size {params.dev_size}"
        " --max-seq-len {params.max_seq_len} --efficiency {params.efficiency:q}"
        " --metrics {output.metrics:q} --efficiency-json {output.efficiency:q}"
        " --gates {output.gates:q} --stored {output.stored:q}"
        " --state {params.state:q} --device {params.device} 2> {log}"


rule unipelt_gates_figure:
    """Mean gate per layer and submodule on dev of one gated run (no model is loaded)."""
    input:
        gates=unipelt_file("gates.csv"),
        metrics=unipelt_file("metrics.json"),
    output:
        figure=report(
            unipelt_file("fig_gates.png"),
            caption="../report/unipelt_gates.rst",
            category="UniPELT",
            subcategory="{task} K={k} {method} seed {seed}",
        ),
    log:
        f"{LOGS}/unipelt_gates_figure/{{task}}/k{{k}}/{{method}}/seed{{seed}}.log",
    wildcard_constraints:
        k=r"\d+|all",
        method="unipelt",
    conda:
        "../../envs/heads.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("unipelt", "gates-figure"),
    shell:
        "python -m lmlab unipelt gates-figure --gates {input.gates:q}"
        " --metrics {input.metrics:q} --output {output.figure:q} 2> {log}"


rule unipelt_summary:
    """Tables 1 (tasks x methods per K, mean ± std over seeds, average) and 4 (efficiency
    relative to full fine-tuning), summary.json (DVC metric) and the comparison figure.
    """
    input:
        metrics=unipelt_run_files("metrics.json"),
        efficiency=unipelt_run_files(EFFICIENCY),
    output:
        table1_csv=UNIPELT_SUMMARY["table1_csv"],
        table1_md=report(
            UNIPELT_SUMMARY["table1_md"],
            caption="../report/unipelt_table1.rst",
            category="UniPELT",
            subcategory="across runs",
        ),
        table4_csv=UNIPELT_SUMMARY["table4_csv"],
        table4_md=report(
            UNIPELT_SUMMARY["table4_md"],
            caption="../report/unipelt_table4.rst",
            category="UniPELT",
            subcategory="across runs",
        ),
        summary=UNIPELT_SUMMARY["summary"],
        figure=report(
            UNIPELT_SUMMARY["figure"],
            caption="../report/unipelt_compare.rst",
            category="UniPELT",
            subcategory="across runs",
        ),
    log:
        f"{LOGS}/unipelt_summary.log",
    conda:
        "../../envs/heads.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("unipelt", "summary"),
    shell:
        "python -m lmlab unipelt summary --metrics {input.metrics:q}"
        " --efficiency-json {input.efficiency:q}"
        " --table1-csv {output.table1_csv:q} --table1-md {output.table1_md:q}"
        " --table4-csv {output.table4_csv:q} --table4-md {output.table4_md:q}"
        " --summary {output.summary:q} --figure {output.figure:q} 2> {log}"
