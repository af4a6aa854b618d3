"""Training every family stands on: one loop (`loop.train` with a `Problem`, parameter groups,
warm-up + linear decay, accumulation, clipping, early stopping, per-epoch resumable checkpoints,
AMP by hardware, the out-of-memory policy), its checkpoint format (`state`), and the problem of
fine-tuning a sequence classifier on GLUE examples (`classification`)."""
