"""Tests of lmlab.graph (relative imports need this package marker)."""
