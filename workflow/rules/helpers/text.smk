# Helpers of the text rules (workflow/rules/text.smk): paths, parameters, targets.


def text_targets():
    """Final outputs of the text family (rule all)."""
    return [tokens_file(setting("graph.dataset"), split) for split in QA_SPLITS]
