# Graph preprocessing of the QAT data path (SPEC §5): English ConceptNet, statements, grounding,
# the statement tokenization cache; subgraphs and meta-paths further below.


rule graph_conceptnet:
    """Extract the pruned English ConceptNet: concept and relation vocabularies, graph.npz."""
    input:
        assertions=data_location("conceptnet"),
        merge=f"{GRAPH_RESOURCES}/merge_relation.txt",
        relations=f"{GRAPH_RESOURCES}/relation.txt",
        code=code(
            "graph/conceptnet.py", "graph/cli.py", "data/conceptnet.py", "data/rows.py"
        ),
    output:
        **cpnet_outputs(),
    log:
        f"{LOGS}/graph_conceptnet.log",
    benchmark:
        f"{BENCHMARKS}/graph_conceptnet.tsv"
    conda:
        "../../envs/data.yaml"
    threads: config["graph"]["threads"]
    resources:
        gpu=0,
    params:
        blacklist=shell_words(setting("graph.blacklist")),
        out_dir=output_dir_of_graph,
    shell:
        "python -m lmlab graph conceptnet {input.assertions:q} --out-dir {params.out_dir:q}"
        " --blacklist {params.blacklist} --workers {threads}"
        " --merge {input.merge:q} --relations {input.relations:q} 2> {log}"


rule graph_statements:
    """One QA-GNN statement per answer choice, for one split (CSQA: the in-house split)."""
    input:
        unpack(qa_sources),
        code=code("graph/statements.py", "graph/cli.py", "data/csqa.py", "data/rows.py"),
    output:
        statements=statement_file("{dataset}", "{split}"),
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
        inhouse=inhouse_args,
    shell:
        "python -m lmlab graph statements {input.questions:q} --dataset {wildcards.dataset}"
        " {params.inhouse} --output {output.statements:q} 2> {log}"


rule graph_patterns:
    """Lemma patterns of the ConceptNet concepts, built once for the grounding of every split."""
    input:
        concepts=cpnet_outputs()["concepts"],
        stopwords=f"{GRAPH_RESOURCES}/stopwords_en.txt",
        code=code("graph/grounding.py", "graph/cli.py"),
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
    shell:
        "python -m lmlab graph patterns {input.concepts:q} --output {output.patterns:q} 2> {log}"


rule graph_ground:
    """Question and answer concepts of every statement (lemma n-grams, QA-GNN's rules)."""
    input:
        statements=statement_file("{dataset}", "{split}"),
        patterns=PATTERNS,
        stopwords=f"{GRAPH_RESOURCES}/stopwords_en.txt",
        code=code("graph/grounding.py", "graph/cli.py"),
    output:
        grounded=grounded_file("{dataset}", "{split}"),
    log:
        f"{LOGS}/graph_ground/{{dataset}}/{{split}}.log",
    benchmark:
        f"{BENCHMARKS}/graph_ground/{{dataset}}/{{split}}.tsv"
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/data.yaml"
    threads: config["graph"]["threads"]
    resources:
        gpu=0,
    shell:
        "python -m lmlab graph ground {input.statements:q} --patterns {input.patterns:q}"
        " --output {output.grounded:q} --workers {threads} 2> {log}"


rule text_tokenize:
    """LM inputs of one statement file, tokenized once per (tokenizer, max_seq_len, content)
    into results/cache/tokens/; the output is a hard link to the cache entry."""
    input:
        statements=statement_file("{dataset}", "{split}"),
        code=code("text/tokenize_cache.py", "text/cli.py", "data/csqa.py", "models/resolve.py"),
    output:
        tokens=tokens_file("{dataset}", "{split}"),
    log:
        f"{LOGS}/text_tokenize/{{dataset}}/{{split}}.log",
    benchmark:
        f"{BENCHMARKS}/text_tokenize/{{dataset}}/{{split}}.tsv"
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/graph.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        model=config["text"]["model"],
        max_seq_len=config["text"]["max_seq_len"],
        cache_dir=TOKEN_CACHE,
    shell:
        "RAYON_NUM_THREADS={threads} python -m lmlab text tokenize {input.statements:q}"
        " --model {params.model:q} --max-seq-len {params.max_seq_len}"
        " --cache-dir {params.cache_dir:q} --output {output.tokens:q} > /dev/null 2> {log}"


rule graph_subgraph:
    """Per-statement ConceptNet subgraph: question and answer concepts plus their common
    neighbours, ranked (graph.subgraph.ranker: cheap co-occurrence, or QA-GNN's LM loss on a GPU
    when one is free) and cut to graph.subgraph.max_nodes; our compact npz.
    """
    input:
        **cpnet_outputs(),
        grounded=grounded_file("{dataset}", "{split}"),
        statements=statement_file("{dataset}", "{split}"),
        code=code(
            "graph/subgraph.py",
            "graph/adjacency.py",
            "graph/relevance.py",
            "graph/subgraph_store.py",
            "graph/conceptnet.py",
            "graph/cli.py",
        ),
    output:
        subgraph=subgraph_file("{dataset}", "{split}"),
    log:
        f"{LOGS}/graph_subgraph/{{dataset}}/{{split}}.log",
    benchmark:
        f"{BENCHMARKS}/graph_subgraph/{{dataset}}/{{split}}.tsv"
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/graph.yaml"
    threads: config["graph"]["threads"]
    resources:
        gpu=subgraph_gpus(),
    params:
        subgraph=section("graph.subgraph"),
        cpnet_dir=cpnet_dir_of_input,
        device=config["device"],
    shell:
        "python -m lmlab --gpus {resources.gpu} graph subgraph --cpnet-dir {params.cpnet_dir:q}"
        " --grounded {input.grounded:q} --statements {input.statements:q}"
        " --output {output.subgraph:q} --params {params.subgraph:q} --threads {threads} --device {params.device} 2> {log}"


rule graph_qagnn_adj:
    """The subgraphs as QA-GNN's adj pickle, for QA-GNN-compatible tools (our loaders read the
    npz). Its own job: the conversion is serial Python, so it runs beside other jobs instead of
    idling graph_subgraph's threads."""
    input:
        subgraph=subgraph_file("{dataset}", "{split}"),
        code=code("graph/subgraph_store.py", "graph/safe_pickle.py", "graph/cli.py"),
    output:
        adj=qagnn_adj_file("{dataset}", "{split}"),
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
    shell:
        "python -m lmlab graph export-adj {input.subgraph:q} --output {output.adj:q} 2> {log}"


rule graph_metapaths:
    """Question-answer meta-paths of <= 2 hops of every subgraph (QAT's meta-path tokens)."""
    input:
        subgraph=subgraph_file("{dataset}", "{split}"),
        code=code("graph/metapath.py", "graph/subgraph_store.py", "graph/cli.py"),
    output:
        metapath=metapath_file("{dataset}", "{split}"),
    log:
        f"{LOGS}/graph_metapaths/{{dataset}}/{{split}}.log",
    wildcard_constraints:
        dataset="csqa|obqa",
        split="train|dev|test",
    conda:
        "../../envs/graph.yaml"
    threads: config["graph"]["threads"]
    resources:
        gpu=0,
    params:
        max_hops=setting("graph.metapath.max_hops"),
    shell:
        "python -m lmlab graph metapath {input.subgraph:q} --output {output.metapath:q}"
        " --max-hops {params.max_hops} --threads {threads} 2> {log}"


rule graph_stats:
    """Summary of one dataset's graphs (nodes, edges, question-answer paths, grounding): a
    DVC metric."""
    input:
        unpack(graph_stats_inputs),
        code=code(
            "graph/stats.py",
            "graph/metapath.py",
            "graph/subgraph_store.py",
            "graph/cli.py",
        ),
    output:
        stats=f"{GRAPH}/{{dataset}}/stats.json",
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
        result_dir=graph_result_dir,
    shell:
        "python -m lmlab graph stats {params.result_dir:q} --output {output.stats:q}"
        " > /dev/null 2> {log}"
