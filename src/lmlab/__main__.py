"""`python -m lmlab ...`: the command line every Snakemake rule calls."""

from lmlab.cli import main

raise SystemExit(main())
