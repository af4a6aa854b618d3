"""LoRA on W_q and W_v (Hu et al., 2022; UniPELT §3.1): config, branch layer, injection."""
