"""Bottleneck adapters after the FFN (Houlsby et al., 2019, Pfeiffer placement; UniPELT §3.1):
config, adapter layer, injection."""
