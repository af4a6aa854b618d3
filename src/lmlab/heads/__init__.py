"""Head study (SPEC §8): per-head gates, θ0/θ1 fine-tuning, the probe readout of θ0, ablation
importance, gate gradients and Fisher, per-head update size, and (in the analysis modules)
aggregation with bootstrap intervals, figures and the across-seed summary.

Stages (one module each, called by `lmlab heads <stage>` and the rules in workflow/rules/heads.smk):
`finetune` (θ0, θ1, run_config.json), `probe` (θ0 with a fitted classification head,
probe.json), `subset` (eval_subset.json), `importance` (importance_{pre_random,pre_probe,post}
.jsonl, via `layer_cache`), `gradfisher` (gradfisher_pre_{random,probe}.jsonl), `update_size`
(update.jsonl). Every importance and gradfisher file has its per-example values beside it
(`per_example`). File names: `lmlab.paths`.

Public API for other modules, notebooks and tests:

- `lmlab.models.architecture`: `head_shape(model)` -> (L, H, D), `encoder_layers(model)`,
  `attention_self(layer)`, `output_projection(layer)`, `qkv_projections(model, layer)`,
  `classify(model, last_hidden)`, `classification_head(model)`; BERT, RoBERTa, DeBERTa-v2/v3.
- `lmlab.models.classifier`: `initial_classifier(model_spec, label_names, seed)` (θ0),
  `save_classifier(model, tokenizer, path)` (atomic), `load_classifier(path, device)`.
- `lmlab.heads.gates`: `head_gates(model, gates)` context manager (gates `[L, H]`, `[L, B, H]`
  or a list of per-layer `[H]` / `[B, H]` / None), `ones(model, batch=None, requires_grad=False)`,
  `heads_off(model, [(layer, head), ...])` -> `[L, H]`, `apply_gate(context, gate)`.
- `lmlab.tasks.examples`: `load_examples(task, split, source, tokenizer, max_seq_len, indices)`
  -> `Examples`, `batches(examples, batch_size, device)`, `model_inputs(batch)`.
- `lmlab.heads.importance`: `cached_importance(model, examples, ...)`, `naive_importance(...)`
  -> `Ablations` (per-example losses; `.rows()` gives I and its standard error per head).
- `lmlab.heads.gradfisher`: `gate_gradients(model, examples, batch_size)` -> `[L, H, n]`,
  `gradient_rows(grads)`, `per_example_gate_gradients(model, batch)`.
- `lmlab.heads.update_size`: `update_sizes(theta0, theta1)`, `head_slices(model, layer, head)`.
"""
