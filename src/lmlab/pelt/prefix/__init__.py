"""Prefix-tuning (Li & Liang, 2021; UniPELT §3.1): config, prefix layer and MLP, injection,
and the attention paths of BERT/RoBERTa (attention interface) and DeBERTa-v2."""
