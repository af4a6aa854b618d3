"""Models every family stands on: which pretrained encoder a config `model:` names
(`lmlab.models.resolve`) and where its parts live in BERT, RoBERTa and DeBERTa-v2
(`lmlab.models.architecture`: encoder layers, attention submodules, head shape, the classifier
readout). Family code never spells a transformers attribute name itself."""
