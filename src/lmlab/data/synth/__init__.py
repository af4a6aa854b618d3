"""Deterministic synthetic corpus in the real file formats: the offline default of the pipeline.

The embedded default has to run without a dataset hub, on a 2-core CPU, in minutes, and still go
through exactly the readers and stages that real ConceptNet, CommonsenseQA and GLUE go through.
`write_corpus` therefore writes small files laid out and formatted like the real distributions
(SPEC §4), with tasks built so that each stage has something real to do. Same params, same bytes:
every random choice comes from `numpy.random.default_rng([seed, part])`, one stream per part
(concepts and graph, CSQA, graph noise, MNLI, SST-2), so e.g. resizing SST-2 leaves the graph
and the questions untouched.

Generator rules (`corpus.RULES_VERSION` 1), each in the docstring of its module:

1. ConceptNet, `conceptnet`: real-word concepts (the word pool, `common`), a random graph with
   real relation names and URI forms, and counted noise rows.
2. CommonsenseQA, `csqa`: questions whose answer is 1-2 hops from the question concept and
   whose distractors are more than 2 hops away, so a model without the graph is at chance.
3. MNLI, `mnli`: premise scenes and hypotheses labelled by the truth of their claims, negation
   in every label, a shifted mismatched distribution.
4. SST-2, `sst2`: lexicon sentences whose label a negation flips.

`corpus` runs them, writes the files atomically and the manifest last (its keys are described
there).
"""

from lmlab.data.synth.corpus import write_corpus

__all__ = ["write_corpus"]
