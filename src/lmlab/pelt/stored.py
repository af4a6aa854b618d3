"""The stored artefact of a trained method: only what inference needs (SPEC §7).

A directory with `pelt.safetensors` (the parameters the method trains, with each layer's prefix
as its keys and values, the reparameterisation MLP dropped; every parameter for `full`) and
`pelt.json` (the method config and the base model it fits). It is written atomically (a killed
job leaves no partial directory), with `integrity.json` (each file's size and sha256,
lmlab.runtime.integrity). `load_stored` checks that record, so a truncated or damaged artefact is
an error naming the file, then re-applies the method onto a fresh copy of the base classifier and
loads the tensors, giving the trained model's predictions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from lmlab.models.architecture import model_type
from lmlab.pelt.config import PeltConfig
from lmlab.pelt.methods import apply_method, parameter_components, trained_parameter_names
from lmlab.pelt.prefix.model import materialised_prefix
from lmlab.runtime.atomic import atomic_path, plain_mode
from lmlab.runtime.integrity import check_manifest, write_manifest

FORMAT = 1
TENSORS = "pelt.safetensors"
CONFIG = "pelt.json"


def stored_tensors(model: nn.Module) -> dict[str, Tensor]:
    """What `save_stored` writes: the trained parameters, the prefix MLP replaced by the keys and
    values it produces."""
    components = parameter_components(model)
    parameters = dict(model.named_parameters())
    tensors = {
        name: parameters[name].detach().contiguous()
        for name in sorted(trained_parameter_names(model))
        if components[name] != "prefix"
    }
    tensors.update(materialised_prefix(model))
    return tensors


def save_stored(model: nn.Module, path: str | os.PathLike) -> None:
    """Write the stored artefact of `model` (carrying a method) to the directory `path`."""
    config: PeltConfig = model.pelt_config
    meta = {
        "format": FORMAT,
        "pelt": config.to_dict(),
        "model_type": model_type(model),
        "num_labels": model.config.num_labels,
    }
    with atomic_path(path, directory=True) as tmp:
        save_file(stored_tensors(model), str(tmp / TENSORS), metadata={"format": str(FORMAT)})
        plain_mode(tmp / TENSORS)  # the safetensors writer leaves an owner-only file
        (tmp / CONFIG).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        write_manifest(tmp)


def load_stored(base_model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Apply the stored method at `path` to `base_model` (the pretrained classifier it was trained
    from, modified in place) and load its parameters; returns the model."""
    folder = Path(path)
    check_manifest(folder)
    meta = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{folder / CONFIG}: unknown format {meta.get('format')!r}")
    fits = {"model_type": model_type(base_model), "num_labels": base_model.config.num_labels}
    for key, found in fits.items():
        if meta[key] != found:
            raise ValueError(f"{folder}: stored for {key} {meta[key]!r}, the model has {found!r}")
    model = apply_method(base_model, PeltConfig.from_dict(meta["pelt"]), stored=True)
    device = next(model.parameters()).device
    tensors = load_file(str(folder / TENSORS), device=str(device))
    unexpected = model.load_state_dict(tensors, strict=False).unexpected_keys
    missing = set(stored_tensors(model)) - set(tensors)
    if unexpected or missing:
        raise ValueError(
            f"{folder / TENSORS}: unexpected {sorted(unexpected)}, missing {sorted(missing)}"
        )
    return model
