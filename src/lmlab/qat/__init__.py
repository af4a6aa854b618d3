"""QAT, the Relation-aware Language-Graph Transformer (Park et al., AAAI 2023): the model (SPEC §6).

An LM encoder reads each (question, choice) statement from the token cache (lmlab.text); its token
states, projected to `d_model`, join graph tokens built from the statement's ConceptNet subgraph
(lmlab.graph.loader: one token per edge, one per question-answer meta-path) in `k` relation-aware
transformer layers, whose attention carries a learnable per-head bias between an LM token and a
graph token whose endpoint concept the LM token's word matches. The first token's final state is
scored; the scores of a question's statements are its choice logits.

Modules, in data order:
- `config`: the typed sections (`QATConfig` for the model, `MatcherConfig` for the matcher).
- `lm_words`: the words of cached token ids (word pieces merged with the tokenizer's decoder).
- `matcher`: word-level matchers (exact lemma, LM input-embedding cosine, GloVe-format vectors).
- `matches`: the per-statement (LM token, graph node) match lists, computed once and cached.
- `batches`: the dataset and collate that turn question indices into one batch dict.
- `split`: a split's examples from the pipeline's files (tokens, subgraphs, meta-paths, concepts).
- `graph_tokens`: edge and meta-path tokens, batched into a dense, padded [S, G, d] tensor.
- `attention`: the relation-aware self-attention layer.
- `model`: encoder + decoder (`qat` or `lm_only`), logits, loss and regulariser, parameter groups.
- `placement`: encoder on one device, decoder on another.
"""
