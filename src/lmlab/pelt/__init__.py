"""UniPELT and its baselines (Mao et al., ACL 2022, "UniPELT: A Unified Framework for
Parameter-Efficient Language Model Tuning"; SPEC §7), built natively for transformers 5.

One folder per method, as peft's `tuners/` (config, layer, injection): `lora` (W_q, W_v),
`prefix` (reparameterised prefix keys/values; attention-interface path for BERT/RoBERTa, own
attention for DeBERTa-v2), `adapter` (bottleneck after the FFN). `gates` holds the per-submodule
gates and their on-device statistics, `methods` assembles a method from a `PeltConfig` and counts
its parameters, `stored` saves and reloads what inference needs; `train`, `efficiency` and
`report` are the stages of the comparison (`lmlab unipelt ...`). The package imports nothing
itself, so the command line starts without torch.

    model = apply_method(classifier, PeltConfig("unipelt", 8, 16.0, 10, 512, 16))  # .methods
    counts = trainable_parameter_counts(model)        # .training / .stored per component
    ...train...; model.eval(); reset_gate_statistics(model); ...evaluate...
    rows = gate_statistics(model)                     # mean gate per (layer, submodule)
    save_stored(model, "ckpt/"); model = load_stored(fresh_classifier, "ckpt/")
"""
