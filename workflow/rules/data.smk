# Data stages: the synthetic default corpus, and a validation report of every dataset file.


rule synth_data:
    """Write the seeded synthetic corpus in the real ConceptNet, CommonsenseQA and GLUE formats."""
    output:
        **synthetic_outputs(),
    log:
        f"{LOGS}/synth_data.log",
    benchmark:
        f"{BENCHMARKS}/synth_data.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("data", "synth"),
        synthetic=section("data.synthetic"),
        out_dir=synthetic_dir,
    shell:
        "python -m lmlab data synth --out-dir {params.out_dir} --params {params.synthetic:q}"
        " 2> {log}"


rule inspect_data:
    """Read one dataset file with the real-format readers: rows, labels, skipped lines (JSON)."""
    input:
        data=dataset_file,
    output:
        summary=inspect_file(),
    log:
        f"{LOGS}/inspect_data/{{dataset}}.log",
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        code=code("data", "inspect"),
        task=inspect_task,
    shell:
        "python -m lmlab data inspect {input.data:q} {params.task} --output {output.summary:q}"
        " > /dev/null 2> {log}"
