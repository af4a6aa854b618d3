# Graph preprocessing of the QAT data path (SPEC §5): English ConceptNet, statements, grounding,
# subgraphs and meta-paths, per (dataset, split). File names: lmlab.paths.


rule graph_conceptnet:
    """Extract the pruned English ConceptNet: concept and relation vocabularies, graph.npz."""
    input:
        assertions=conceptnet_assertions,
        merge=f"{GRAPH_RESOURCES}/merge_relation.txt",
        relation_list=f"{GRAPH_RESOURCES}/relation.txt",
    output:
        **cpnet_inputs(),
        stats=CPNET_STATS,
    log:
        f"{LOGS}/graph_conceptnet.log",
    benchmark:
        f"{BENCHMARKS}/graph_conceptnet.tsv"
    conda:
        "../../envs/data.yaml"
    threads: thread_count("graph.threads")
    resources:
        gpu=0,
    params:
        code=code("graph", "conceptnet"),
        blacklist=shell_words(setting("graph.blacklist")),
    shell:
        "python -m lmlab graph conceptnet {input.assertions:q} --concepts {output.concepts:q}"
        " --relations {output.relations:q} --graph {output.graph:q} --stats {output.stats:q}"
        " --blacklist {params.blacklist} --workers {threads} --merge {input.merge:q}"
        " --relation-list {input.relation_list:q} 2> {log}"


rule graph_statements:
    """One QA-GNN statement per answer choice, for one split (CSQA: the in-house split)."""
    input:
        unpack(qa_sources),
    output:
        statements=statement_file(),
    log:
        f"{LOGS}/graph_statements/{{dataset}}/{{split}}.log",
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("graph", "statements"),
        inhouse=inhouse_args,
    shell:
        "python -m lmlab graph statements {input.questions:q} --dataset {wildcards.dataset}"
        " {params.inhouse} --output {output.statements:q} 2> {log}"


rule graph_patterns:
    """Lemma patterns of the ConceptNet concepts, built once for the grounding of every split."""
    input:
        concepts=cpnet_files().concepts,
        stopwords=f"{GRAPH_RESOURCES}/stopwords_en.txt",
    output:
        patterns=PATTERNS,
    log:
        f"{LOGS}/graph_patterns.log",
    benchmark:
        f"{BENCHMARKS}/graph_patterns.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("graph", "patterns"),
    shell:
        "python -m lmlab graph patterns {input.concepts:q} --output {output.patterns:q} 2> {log}"


rule graph_ground:
    """Question and answer concepts of every statement (lemma n-grams, QA-GNN's rules)."""
    input:
        statements=statement_file(),
        patterns=PATTERNS,
        stopwords=f"{GRAPH_RESOURCES}/stopwords_en.txt",
    output:
        grounded=grounded_file(),
    log:
        f"{LOGS}/graph_ground/{{dataset}}/{{split}}.log",
    benchmark:
        f"{BENCHMARKS}/graph_ground/{{dataset}}/{{split}}.tsv"
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/data.yaml"
    threads: thread_count("graph.threads")
    resources:
        gpu=0,
    params:
        code=code("graph", "ground"),
    shell:
        "python -m lmlab graph ground {input.statements:q} --patterns {input.patterns:q}"
        " --output {output.grounded:q} --workers {threads} 2> {log}"


rule graph_subgraph:
    """Per-statement ConceptNet subgraph: question and answer concepts plus their common
    neighbours, ranked (graph.subgraph.ranker: cheap co-occurrence, or QA-GNN's LM loss on a GPU
    when one is free) and cut to graph.subgraph.max_nodes; our compact npz.
    """
    input:
        **cpnet_inputs(),
        grounded=grounded_file(),
        statements=statement_file(),
    output:
        subgraph=subgraph_file(),
    log:
        f"{LOGS}/graph_subgraph/{{dataset}}/{{split}}.log",
    benchmark:
        f"{BENCHMARKS}/graph_subgraph/{{dataset}}/{{split}}.tsv"
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/graph.yaml"
    threads: thread_count("graph.threads")
    resources:
        gpu=subgraph_gpus(),
    params:
        code=code("graph", "subgraph"),
        subgraph=section("graph.subgraph"),
        device=setting("device"),
    shell:
        "python -m lmlab --gpus {resources.gpu} graph subgraph --concepts {input.concepts:q}"
        " --relations {input.relations:q} --graph {input.graph:q}"
        " --grounded {input.grounded:q} --statements {input.statements:q}"
        " --output {output.subgraph:q} --params {params.subgraph:q} --threads {threads}"
        " --device {params.device} 2> {log}"


rule graph_qagnn_adj:
    """The subgraphs as QA-GNN's adj pickle, for QA-GNN-compatible tools (our loaders read the
    npz). Its own job: the conversion is serial Python, so it runs beside other jobs instead of
    idling graph_subgraph's threads."""
    input:
        subgraph=subgraph_file(),
    output:
        adj=qagnn_adj_file(),
    log:
        f"{LOGS}/graph_qagnn_adj/{{dataset}}/{{split}}.log",
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/graph.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("graph", "export-adj"),
    shell:
        "python -m lmlab graph export-adj {input.subgraph:q} --output {output.adj:q} 2> {log}"


rule graph_metapaths:
    """Question-answer meta-paths of <= 2 hops of every subgraph (QAT's meta-path tokens)."""
    input:
        subgraph=subgraph_file(),
    output:
        metapath=metapath_file(),
    log:
        f"{LOGS}/graph_metapaths/{{dataset}}/{{split}}.log",
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/graph.yaml"
    threads: thread_count("graph.threads")
    resources:
        gpu=0,
    params:
        code=code("graph", "metapath"),
        max_hops=setting("graph.metapath.max_hops"),
    shell:
        "python -m lmlab graph metapath {input.subgraph:q} --output {output.metapath:q}"
        " --max-hops {params.max_hops} --threads {threads} 2> {log}"


rule graph_stats:
    """Summary of one dataset's graphs (nodes, edges, question-answer paths, grounding): a
    DVC metric."""
    input:
        unpack(graph_stats_inputs),
    output:
        stats=graph_stats_file(),
    log:
        f"{LOGS}/graph_stats/{{dataset}}.log",
    wildcard_constraints:
        dataset="csqa|obqa",
    conda:
        "../../envs/graph.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("graph", "stats"),
        splits=shell_words(QA_SPLITS),
    shell:
        "python -m lmlab graph stats --splits {params.splits} --grounded {input.grounded:q}"
        " --subgraph {input.subgraph:q} --metapath {input.metapath:q}"
        " --output {output.stats:q} > /dev/null 2> {log}"
