"""The padding mask of the batch a model is processing, shared by all of its gates.

UniPELT's gates average a token-level sigmoid over the sequence (SPEC §7; Mao et al., ACL 2022,
§3.2). Averaging over padding too (as the original code did) makes an example's gate depend on
what it was batched with, so lmlab averages over real tokens only. Gates sit deep inside the
encoder and never see the `[B, T]` attention mask, so a forward pre-hook on the base model keeps
it here for the duration of each forward pass.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn


class PaddingMask:
    """Holds the `[B, T]` mask (1 = real token) of the forward pass in progress; None means every
    token is real (no mask was given, or no forward pass is running)."""

    def __init__(self) -> None:
        self.mask: Tensor | None = None

    def capture(self, _module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        """Forward pre-hook: `attention_mask` is a keyword or the second positional argument of
        every supported encoder's forward."""
        mask = kwargs.get("attention_mask", args[1] if len(args) > 1 else None)
        if mask is not None and mask.dim() != 2:
            raise ValueError(f"UniPELT gates need a [B, T] attention mask, got {tuple(mask.shape)}")
        self.mask = mask

    def release(self, _module: nn.Module, _args: tuple, _output: Any) -> None:
        """Forward hook: forget the mask once the pass is over."""
        self.mask = None


def track_padding(model: nn.Module) -> PaddingMask:
    """A `PaddingMask` kept up to date by hooks on `model.base_model` (the encoder)."""
    padding = PaddingMask()
    model.base_model.register_forward_pre_hook(padding.capture, with_kwargs=True)
    model.base_model.register_forward_hook(padding.release)
    return padding
