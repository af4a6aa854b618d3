"""Workflow helpers: the DVC pipeline generated from the Snakemake DAG."""
