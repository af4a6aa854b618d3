# Text stages: the statement tokenization cache (SPEC §5.6), read by every QAT training rule.


rule text_tokenize:
    """LM inputs of one statement file, tokenized once per (tokenizer, max_seq_len, content)
    into results/cache/tokens/; the output is a hard link to the cache entry."""
    input:
        statements=statement_file(),
    output:
        tokens=tokens_file(),
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
        code=code("text", "tokenize"),
        model=setting("text.model"),
        max_seq_len=setting("text.max_seq_len"),
        cache_dir=TOKEN_CACHE,
    shell:
        "RAYON_NUM_THREADS={threads} python -m lmlab text tokenize {input.statements:q}"
        " --model {params.model:q} --max-seq-len {params.max_seq_len}"
        " --cache-dir {params.cache_dir:q} --output {output.tokens:q} > /dev/null 2> {log}"
