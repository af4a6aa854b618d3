"""Head study (SPEC §8): per-head gates, θ0/θ1 fine-tuning, ablation importance, gate gradients
and Fisher, per-head update size, and (in the analysis modules) aggregation and figures.

Stages (one module each, called by `lmlab heads <stage>` and the rules in workflow/rules/heads.smk):
`finetune` (θ0, θ1, run_config.json), `subset` (eval_subset.json), `importance`
(importance_{pre,post}.jsonl, via `layer_cache`), `gradfisher` (gradfisher_pre.jsonl),
`update_size` (update.jsonl). File names: `lmlab.paths`.

Public API for other modules, notebooks and tests:

- `lmlab.models.architecture`: `head_shape(model)` -> (L, H, D), `encoder_layers(model)`,
  `attention_self(layer)`, `output_projection(layer)`, `qkv_projections(model, layer)`,
  `classify(model, last_hidden)`; BERT, RoBERTa and DeBERTa-v2/v3 sequence classifiers.
- `lmlab.heads.gates`: `head_gates(model, gates)` context manager (gates `[L, H]`, `[L, B, H]`
  or a list of per-layer `[H]` / `[B, H]` / None), `ones(model, batch=None, requires_grad=False)`,
  `heads_off(model, [(layer, head), ...])` -> `[L, H]`, `apply_gate(context, gate)`.
- `lmlab.heads.checkpoints`: `load_classifier(path, device)` -> (fp32 model in eval mode,
  tokenizer), `save_classifier(model, tokenizer, path)` (atomic),
  `initial_classifier(model_spec, label_names, seed)` (θ0).
- `lmlab.heads.examples`: `load_examples(task, split, source, tokenizer, max_seq_len, indices)`
  -> `Examples`, `encode_split(...)`, `batches(examples, batch_size, device, shuffle_seed)`,
  `model_inputs(batch)`, `per_example_loss(logits, labels)`.
- `lmlab.heads.subset`: `choose_eval_subset(n, size, seed)`, `write_eval_subset(...)`,
  `read_eval_subset(path)`.
- `lmlab.heads.evaluate`: `evaluate(model, examples, task, batch_size, gates)` -> {loss, metrics},
  `predict(...)`, `primary_metric(task)`.
- `lmlab.heads.importance`: `cached_importance(model, examples, ...)`, `naive_importance(...)`.
- `lmlab.heads.gradfisher`: `gate_gradients(model, examples, batch_size)`,
  `per_example_gate_gradients(model, batch)`.
- `lmlab.heads.update_size`: `update_sizes(theta0, theta1)`, `head_slices(model, layer, head)`.
"""
