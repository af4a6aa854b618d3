"""Tasks every family stands on: GLUE examples and batches (`examples`), each task's metric
(`metrics`: accuracy, MCC, F1, Pearson/Spearman as GLUE defines them), and evaluation of a
classifier under any intervention given as a context manager (`evaluate`; the head study's gates
are one user). The task table itself (`GLUE_TASKS`: columns, labels, metrics per task) lives
with the readers in `lmlab.data.glue`."""
