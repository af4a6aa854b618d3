"""Graph preprocessing of the QAT data path (SPEC §5): ConceptNet extraction, statements,
grounding, subgraphs and meta-paths, each a stage with its own files."""
