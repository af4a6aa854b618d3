"""Where the parts of the supported encoders live: layers, attention, heads, classifier readout.

BERT, RoBERTa and DeBERTa-v2/v3 sequence classifiers of transformers 5 share one shape: the encoder
layers are `base_model.encoder.layer`, each with `attention.self` (returning the per-head context
`[B, T, H*D]` as its first output, heads concatenated along the last dimension) and
`attention.output.dense` (W_O, whose input columns h*D..(h+1)*D read head h). The projections are
named `query/key/value` (BERT, RoBERTa) or `query_proj/key_proj/value_proj` (DeBERTa-v2). The
classifier reads only the first ([CLS]) position of the last hidden states.

transformers 5 dropped `head_mask`, so per-head interventions go through these modules (see
`lmlab.heads.gates`); PEFT methods and the QAT encoder find their insertion points here too. This
module is the only place that knows the attribute names.
"""

from __future__ import annotations

from torch import Tensor, nn

SUPPORTED = ("bert", "roberta", "deberta-v2")
_QKV_NAMES = {
    "bert": ("query", "key", "value"),
    "roberta": ("query", "key", "value"),
    "deberta-v2": ("query_proj", "key_proj", "value_proj"),
}


def model_type(model: nn.Module) -> str:
    """The `config.model_type` of `model`, checked to be one lmlab supports."""
    kind = getattr(getattr(model, "config", None), "model_type", None)
    if kind not in SUPPORTED:
        raise ValueError(f"lmlab supports model types {list(SUPPORTED)}, got {kind!r}")
    return kind


def encoder_layers(model: nn.Module) -> nn.ModuleList:
    """The transformer layers of a (sequence-classification or bare) encoder, in order."""
    model_type(model)
    return model.base_model.encoder.layer


def attention_self(layer: nn.Module) -> nn.Module:
    """The module computing the concatenated per-head context `[B, T, H*D]` of one layer."""
    return layer.attention.self


def output_projection(layer: nn.Module) -> nn.Linear:
    """W_O of one layer (`attention.output.dense`): input columns h*D..(h+1)*D belong to head h."""
    return layer.attention.output.dense


def qkv_projections(model: nn.Module, layer: nn.Module) -> tuple[nn.Linear, nn.Linear, nn.Linear]:
    """The query, key and value projections of one layer: output rows h*D..(h+1)*D are head h."""
    attn = attention_self(layer)
    return tuple(getattr(attn, name) for name in _QKV_NAMES[model_type(model)])


def head_shape(model: nn.Module) -> tuple[int, int, int]:
    """(layers L, heads per layer H, head dimension D)."""
    layers = encoder_layers(model)
    attn = attention_self(layers[0])
    return len(layers), attn.num_attention_heads, attn.attention_head_size


def classify(model: nn.Module, last_hidden: Tensor) -> Tensor:
    """Logits from the last layer's hidden states `[B, T, d]` (only position 0 is read, so a
    `[B, 1, d]` tensor holding the [CLS] rows gives the same logits)."""
    kind = model_type(model)
    if kind == "roberta":
        return model.classifier(last_hidden)
    pooler = model.bert.pooler if kind == "bert" else model.pooler
    return model.classifier(model.dropout(pooler(last_hidden)))


def hidden_size(model: nn.Module) -> int:
    """Width of the hidden states every layer reads and writes (`config.hidden_size`)."""
    model_type(model)
    return model.config.hidden_size


def feed_forward_output(layer: nn.Module) -> nn.Module:
    """The module whose output is the FFN output h_F of one layer, before its residual and
    LayerNorm: the FFN output block is dense -> dropout -> LayerNorm(h_F + x), and h_F is what its
    `dropout` returns (BERT, RoBERTa and DeBERTa-v2 alike)."""
    return layer.output.dropout


def classification_head(model: nn.Module) -> dict[str, nn.Module]:
    """The task head of a sequence classifier: every top-level child outside the encoder, by name
    (`classifier` for BERT and RoBERTa; `pooler` and `classifier` for DeBERTa-v2, whose pooler
    is not part of the pretrained encoder). Random at initialisation, so always trained."""
    model_type(model)
    encoder = model.base_model
    return {
        name: child
        for name, child in model.named_children()
        if child is not encoder and any(True for _ in child.parameters())
    }
