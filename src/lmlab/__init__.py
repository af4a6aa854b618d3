"""lmlab: a reproducible Snakemake/DVC pipeline for QAT, UniPELT and attention-head studies."""

__version__ = "0.1.0"
