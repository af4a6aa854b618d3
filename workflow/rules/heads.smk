# Head study (SPEC §8), stages 1-5 per (task, seed): fine-tune θ0 -> θ1, the probe readout of θ0,
# the fixed eval subset, ablation importance at θ0 (per readout) and θ1, gate gradients at θ0 (per
# readout), per-head update size; then per seed
# the aggregation, statistics, case sets, pruning curve and figures, and across seeds the
# summary. Outputs: results/heads/{task}/seed{seed}/ (file names: lmlab.paths).


rule heads_finetune:
    """Fine-tune the pretrained model on the task: θ0 (before any update), θ1 (best dev epoch)."""
    input:
        unpack(heads_train_data),
    output:
        ckpt_init=directory(heads_file("ckpt_init")),
        ckpt_final=directory(heads_file("ckpt_final")),
        run_config=heads_file("run_config.json"),
        efficiency=heads_file(EFFICIENCY),
    log:
        f"{LOGS}/heads_finetune/{{task}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/heads_finetune/{{task}}/seed{{seed}}.tsv"
    retries: 1
    conda:
        "../../envs/heads.yaml"
    threads: 2
    resources:
        gpu=1,
        accumulation=heads_accumulation,
    params:
        code=code("heads", "finetune"),
        model=setting("model"),
        source=data_location("glue"),
        eval_split=setting("heads.eval_split"),
        train=section("heads.train"),
        device=setting("device"),
        state=heads_file(TRAIN_STATE),
    shell:
        "python -m lmlab --gpus {resources.gpu} heads finetune --model {params.model:q}"
        " --task {wildcards.task} --source {params.source:q} --eval-split {params.eval_split}"
        " --seed {wildcards.seed} --train {params.train:q} --device {params.device}"
        " --accumulation {resources.accumulation} --ckpt-init {output.ckpt_init:q}"
        " --ckpt-final {output.ckpt_final:q} --run-config {output.run_config:q}"
        " --efficiency-json {output.efficiency:q} --state {params.state:q} 2> {log}"


rule heads_probe:
    """The probe readout of θ0: only its classification head fitted on the frozen θ0 encoder,
    for heads.probe.steps steps; probe.json has the dev metric before and after."""
    input:
        unpack(heads_train_data),
        checkpoint=heads_file("ckpt_init"),
    output:
        checkpoint=directory(heads_file("ckpt_probe")),
        record=heads_file("probe.json"),
    log:
        f"{LOGS}/heads_probe/{{task}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/heads_probe/{{task}}/seed{{seed}}.tsv"
    conda:
        "../../envs/heads.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        code=code("heads", "probe"),
        source=data_location("glue"),
        eval_split=setting("heads.eval_split"),
        probe=section("heads.probe"),
        max_seq_len=setting("heads.train.max_seq_len"),
        eval_batch_size=setting("heads.train.eval_batch_size"),
        device=setting("device"),
        state=heads_file(f"probe_{TRAIN_STATE}"),
    shell:
        "python -m lmlab --gpus {resources.gpu} heads probe --checkpoint {input.checkpoint:q}"
        " --task {wildcards.task} --source {params.source:q} --eval-split {params.eval_split}"
        " --seed {wildcards.seed} --probe {params.probe:q} --max-seq-len {params.max_seq_len}"
        " --eval-batch-size {params.eval_batch_size} --output {output.checkpoint:q}"
        " --record {output.record:q} --state {params.state:q} --device {params.device}"
        " 2> {log}"


rule heads_eval_subset:
    """The fixed eval subset: heads.eval_subset_size indices of the eval split (seed 999)."""
    input:
        split=heads_eval_data,
    output:
        subset=heads_subset_file(),
    log:
        f"{LOGS}/heads_eval_subset/{{task}}.log",
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("heads", "eval-subset"),
        source=data_location("glue"),
        split=setting("heads.eval_split"),
        size=setting("heads.eval_subset_size"),
        seed=setting("heads.subset_seed"),
    shell:
        "python -m lmlab heads eval-subset --task {wildcards.task} --split {params.split}"
        " --source {params.source:q} --size {params.size} --seed {params.seed}"
        " --output {output.subset:q} 2> {log}"


rule heads_importance:
    """Ablation importance I (and its standard error) of every head at θ0 through a readout
    (`pre_random`, `pre_probe`) or at θ1 (`post`): exact, fp32, cached; per-example values
    beside it."""
    input:
        checkpoint=heads_checkpoint,
        subset=heads_subset_file(),
        data=heads_eval_data,
    output:
        importance=heads_file("importance_{when}.jsonl"),
        examples=heads_file(per_example_file("importance_{when}.jsonl")),
    log:
        f"{LOGS}/heads_importance/{{task}}/seed{{seed}}_{{when}}.log",
    benchmark:
        f"{BENCHMARKS}/heads_importance/{{task}}/seed{{seed}}_{{when}}.tsv"
    wildcard_constraints:
        when="pre_random|pre_probe|post",
    conda:
        "../../envs/heads.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        code=code("heads", "importance"),
        source=data_location("glue"),
        split=setting("heads.eval_split"),
        max_seq_len=setting("heads.train.max_seq_len"),
        batch_size=setting("heads.measure.batch_size"),
        heads_per_pass=setting("heads.measure.heads_per_pass"),
        device=setting("device"),
    shell:
        "python -m lmlab --gpus {resources.gpu} heads importance"
        " --checkpoint {input.checkpoint:q} --task {wildcards.task} --split {params.split}"
        " --source {params.source:q} --subset {input.subset:q} --output {output.importance:q}"
        " --max-seq-len {params.max_seq_len} --batch-size {params.batch_size}"
        " --heads-per-pass {params.heads_per_pass} --device {params.device} 2> {log}"


rule heads_gradfisher:
    """Gate gradients at θ0 through a readout: G, F, Ppred per head from per-example gradients
    (one backward), the per-example gradients beside it."""
    input:
        checkpoint=heads_checkpoint,
        subset=heads_subset_file(),
        data=heads_eval_data,
    output:
        gradfisher=heads_file("gradfisher_{when}.jsonl"),
        examples=heads_file(per_example_file("gradfisher_{when}.jsonl")),
    log:
        f"{LOGS}/heads_gradfisher/{{task}}/seed{{seed}}_{{when}}.log",
    benchmark:
        f"{BENCHMARKS}/heads_gradfisher/{{task}}/seed{{seed}}_{{when}}.tsv"
    wildcard_constraints:
        when="pre_random|pre_probe",
    conda:
        "../../envs/heads.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        code=code("heads", "gradfisher"),
        source=data_location("glue"),
        split=setting("heads.eval_split"),
        max_seq_len=setting("heads.train.max_seq_len"),
        batch_size=setting("heads.measure.batch_size"),
        device=setting("device"),
    shell:
        "python -m lmlab --gpus {resources.gpu} heads gradfisher"
        " --checkpoint {input.checkpoint:q} --task {wildcards.task} --split {params.split}"
        " --source {params.source:q} --subset {input.subset:q} --output {output.gradfisher:q}"
        " --max-seq-len {params.max_seq_len} --batch-size {params.batch_size}"
        " --device {params.device} 2> {log}"


rule heads_update:
    """Per-head update size U, Urel (and Uq, Uk, Uv, Uo, orthogonal part) from θ1 - θ0."""
    input:
        ckpt_init=heads_file("ckpt_init"),
        ckpt_final=heads_file("ckpt_final"),
    output:
        sizes=heads_file("update.jsonl"),
    log:
        f"{LOGS}/heads_update/{{task}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/heads_update/{{task}}/seed{{seed}}.tsv"
    conda:
        "../../envs/heads.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("heads", "update"),
    shell:
        "python -m lmlab heads update --ckpt-init {input.ckpt_init:q}"
        " --ckpt-final {input.ckpt_final:q} --output {output.sizes:q} 2> {log}"


rule heads_aggregate:
    """heads.csv (one row per head, θ0 columns named by readout, I with its standard error),
    stats.json (Spearman raw and within layers, top-K overlaps with hypergeometric p-values,
    each with a bootstrap interval over examples), cases.json (important-but-static,
    plastic-but-unimportant, by the analysis readout)."""
    input:
        unpack(heads_aggregate_inputs),
        sizes=heads_file("update.jsonl"),
    output:
        heads_csv=heads_file("heads.csv"),
        stats=heads_file("stats.json"),
        cases=heads_file("cases.json"),
    log:
        f"{LOGS}/heads_aggregate/{{task}}/seed{{seed}}.log",
    conda:
        "../../envs/heads.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("heads", "aggregate"),
        measurements=heads_aggregate_arguments,
        top_k=setting("heads.analysis.top_k"),
        cases=section("heads.analysis.cases"),
        layer_normalise=section("heads.analysis.layer_normalise"),
        readout=setting("heads.analysis.readout"),
        bootstrap=section("heads.analysis.bootstrap"),
        model=setting("model"),
    shell:
        "python -m lmlab heads aggregate {params.measurements} --update {input.sizes:q}"
        " --heads-csv {output.heads_csv:q} --stats {output.stats:q} --cases {output.cases:q}"
        " --top-k {params.top_k} --case-fractions {params.cases:q}"
        " --layer-normalise {params.layer_normalise} --readout {params.readout}"
        " --bootstrap {params.bootstrap:q} --task {wildcards.task} --seed {wildcards.seed}"
        " --model {params.model:q} 2> {log}"


rule heads_pruning:
    """Pruning curve of θ1: the metric on the eval subset with a growing fraction of heads gated
    off, least important first and in seeded random orders (Michel et al. 2019)."""
    input:
        checkpoint=heads_file("ckpt_final"),
        heads_csv=heads_file("heads.csv"),
        subset=heads_subset_file(),
        data=heads_eval_data,
    output:
        pruning=heads_file("pruning.jsonl"),
    log:
        f"{LOGS}/heads_pruning/{{task}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/heads_pruning/{{task}}/seed{{seed}}.tsv"
    conda:
        "../../envs/heads.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        code=code("heads", "prune"),
        source=data_location("glue"),
        split=setting("heads.eval_split"),
        max_seq_len=setting("heads.train.max_seq_len"),
        batch_size=setting("heads.measure.batch_size"),
        pruning=section("heads.analysis.pruning"),
        layer_normalise=section("heads.analysis.layer_normalise"),
        device=setting("device"),
    shell:
        "python -m lmlab --gpus {resources.gpu} heads prune"
        " --checkpoint {input.checkpoint:q} --task {wildcards.task} --split {params.split}"
        " --source {params.source:q} --subset {input.subset:q} --heads-csv {input.heads_csv:q}"
        " --output {output.pruning:q} --max-seq-len {params.max_seq_len}"
        " --batch-size {params.batch_size} --pruning {params.pruning:q}"
        " --layer-normalise {params.layer_normalise}"
        " --device {params.device} 2> {log}"


rule heads_figures:
    """Every figure of one seed, drawn from the measurement files only (no model is loaded)."""
    input:
        heads_csv=heads_file("heads.csv"),
        stats=heads_file("stats.json"),
        cases=heads_file("cases.json"),
        pruning=heads_file("pruning.jsonl"),
    output:
        i_vs_u=report(
            heads_file(HEADS_FIGURES["i_vs_u"]),
            caption="../report/heads_I_vs_U.rst",
            category="Head study",
            subcategory="{task} seed {seed}",
        ),
        i_vs_g=report(
            heads_file(HEADS_FIGURES["i_vs_g"]),
            caption="../report/heads_I_vs_G.rst",
            category="Head study",
            subcategory="{task} seed {seed}",
        ),
        stats=report(
            heads_file(HEADS_FIGURES["stats"]),
            caption="../report/heads_stats.rst",
            category="Head study",
            subcategory="{task} seed {seed}",
        ),
        pruning=report(
            heads_file(HEADS_FIGURES["pruning"]),
            caption="../report/heads_pruning.rst",
            category="Head study",
            subcategory="{task} seed {seed}",
        ),
    log:
        f"{LOGS}/heads_figures/{{task}}/seed{{seed}}.log",
    conda:
        "../../envs/heads.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("heads", "figures"),
    shell:
        "python -m lmlab heads figures --heads-csv {input.heads_csv:q} --stats {input.stats:q}"
        " --cases {input.cases:q} --pruning {input.pruning:q} --i-vs-u {output.i_vs_u:q}"
        " --i-vs-g {output.i_vs_g:q} --stats-figure {output.stats:q}"
        " --pruning-figure {output.pruning:q} 2> {log}"


rule heads_summary:
    """Across seeds: every statistic's mean, std, min, max (summary.csv), how stable the head
    rankings are between seeds (stability.json), and fig_summary.png."""
    input:
        unpack(heads_summary_inputs),
    output:
        summary=report(
            heads_summary_file(HEADS_SUMMARY["summary"]),
            caption="../report/heads_summary_table.rst",
            category="Head study",
            subcategory="{task} across seeds",
        ),
        stability=heads_summary_file(HEADS_SUMMARY["stability"]),
        figure=report(
            heads_summary_file(HEADS_SUMMARY["figure"]),
            caption="../report/heads_summary.rst",
            category="Head study",
            subcategory="{task} across seeds",
        ),
    log:
        f"{LOGS}/heads_summary/{{task}}.log",
    conda:
        "../../envs/heads.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("heads", "summary"),
        seeds=shell_words(setting("seeds")),
        top_k=setting("heads.analysis.top_k"),
        layer_normalise=section("heads.analysis.layer_normalise"),
        bootstrap=section("heads.analysis.bootstrap"),
    shell:
        "python -m lmlab heads summary --seeds {params.seeds} --heads-csv {input.heads_csv:q}"
        " --stats {input.stats:q} --cases {input.cases:q} --pruning {input.pruning:q}"
        " --top-k {params.top_k} --layer-normalise {params.layer_normalise}"
        " --bootstrap {params.bootstrap:q}"
        " --summary-csv {output.summary:q}"
        " --stability {output.stability:q} --figure {output.figure:q} 2> {log}"
