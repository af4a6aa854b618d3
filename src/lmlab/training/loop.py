"""The one training loop of lmlab: every family (head-study fine-tuning, QAT, UniPELT) trains here.

What it does, per epoch: the parameter groups frozen for this epoch stop receiving gradients; the
problem's effective batches (seeded order) are split into micro-batches whose summed losses are
divided by the effective batch size before `backward`, so accumulation never changes the update;
gradients are clipped, the optimizer (AdamW or RAdam, one learning rate and weight decay per
group) and the warm-up + linear-decay schedule step once per effective batch; then the problem
evaluates the model (dev, and test where it has one), the best dev metric so far is kept, and the
whole state (model, best model, optimizer, scheduler, loss scaler, every RNG, history) is written
atomically to `state_path`. A run killed at any point and started again resumes from the last
completed epoch and ends with the same numbers on CPU (SPEC §10). Training stops early after
`patience` epochs without a dev gain.

Hardware policy: mixed precision by device (`lmlab.runtime.devices.autocast_dtype`: bf16 > fp16
with loss scaling > fp32 on CPU). On a CUDA out-of-memory error inside a step, the step is
redone with half the micro-batch (the effective batch, hence the update, is unchanged); the
smaller micro-batch is kept for the rest of the run.

Hand-written rather than the HF `Trainer` or Lightning: neither resumes with every RNG restored
mid-run on arbitrary (graph) batches while keeping two learning rates, a freeze schedule and the
OOM policy explicit; the loop is short enough to read whole.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from lmlab.runtime.devices import autocast_dtype
from lmlab.runtime.logs import progress
from lmlab.training.state import TrainState, load_state, restore_rng, rng_state, save_state

log = logging.getLogger(__name__)

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adamw": torch.optim.AdamW,
    "radam": torch.optim.RAdam,
}


class Problem(Protocol):
    """What the loop trains: which examples form each effective batch, how a micro-batch is
    built and scored, and how the model is evaluated."""

    def batch_indices(self, epoch: int) -> Sequence[Sequence[int]]:
        """The effective batches of `epoch` (1-based) as lists of training-example indices."""

    def collate(self, indices: Sequence[int], device: torch.device) -> Any:
        """One micro-batch of the given training examples, on `device`."""

    def loss(self, model: nn.Module, batch: Any) -> Tensor:
        """The summed loss of a micro-batch (divided by the effective batch size by the loop)."""

    def evaluate(self, model: nn.Module) -> dict[str, dict[str, float]]:
        """Metrics per split, e.g. `{"dev": {"accuracy": ...}, "test": {...}}`."""


@dataclass
class ParamGroup:
    """Parameters trained with one learning rate and weight decay; frozen (no gradient) during
    the first `frozen_epochs` epochs (QAT's `unfreeze_epoch`)."""

    name: str
    params: list[nn.Parameter]
    lr: float
    weight_decay: float
    frozen_epochs: int = 0


@dataclass(frozen=True)
class LoopSettings:
    """How to train: epochs, the effective and the starting micro-batch, schedule, clipping,
    optimizer, early stopping and which dev metric selects the best epoch (higher is better)."""

    epochs: int
    batch_size: int
    micro_batch_size: int
    warmup_ratio: float
    max_grad_norm: float
    optimizer: str
    patience: int | None
    metric: str


@dataclass
class TrainResult:
    """What a run produced: per-epoch history, the best epoch (the model holds its weights),
    and throughput (`train_seconds`: the training passes of this process, evaluation excluded)."""

    history: list[dict[str, Any]]
    best_epoch: int
    total_steps: int
    warmup_steps: int
    micro_batch_size: int
    seconds: float
    train_seconds: float
    examples_per_second: float
    resumed_from: int

    @property
    def best(self) -> dict[str, Any]:
        """The history row of the best epoch."""
        return self.history[self.best_epoch - 1]


def micro_batches(indices: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    """`indices` cut into consecutive chunks of at most `size`."""
    for start in range(0, len(indices), size):
        yield indices[start : start + size]


def _set_frozen(groups: Sequence[ParamGroup], epoch: int) -> None:
    for group in groups:
        frozen = epoch <= group.frozen_epochs
        for param in group.params:
            param.requires_grad_(not frozen)


class _Run:
    """The optimisation state of one run; `step` is one effective batch."""

    def __init__(
        self, model: nn.Module, groups: Sequence[ParamGroup], settings: LoopSettings, steps: int
    ):
        from transformers import get_linear_schedule_with_warmup

        if settings.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}")
        self.model, self.groups, self.settings = model, groups, settings
        self.device = next(model.parameters()).device
        self.dtype = autocast_dtype(self.device)
        self.optimizer = OPTIMIZERS[settings.optimizer](
            [
                {"params": g.params, "lr": g.lr, "weight_decay": g.weight_decay}
                for g in groups
                if g.params
            ]
        )
        self.warmup = int(settings.warmup_ratio * steps)
        self.scheduler = get_linear_schedule_with_warmup(self.optimizer, self.warmup, steps)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.dtype == torch.float16)
        self.micro = min(settings.micro_batch_size, settings.batch_size)
        self.trainable: list[nn.Parameter] = []

    def start_epoch(self, epoch: int) -> None:
        """Freeze the groups frozen in `epoch` and list what the steps of the epoch clip: in the
        model's parameter order, since the norm is a float sum whose order is part of the result
        (bit-equal to a plain `clip_grad_norm_(model.parameters())`)."""
        _set_frozen(self.groups, epoch)
        self.trainable = [p for p in self.model.parameters() if p.requires_grad]

    def step(self, problem: Problem, indices: Sequence[int]) -> float:
        """One update from the effective batch `indices`; returns its summed loss. On CUDA out
        of memory the step is redone with half the micro-batch."""
        while True:
            try:
                return self._accumulate(problem, indices)
            except torch.OutOfMemoryError:
                self.optimizer.zero_grad(set_to_none=True)
                if self.micro == 1:
                    raise
                self.micro = max(1, self.micro // 2)
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                log.warning("out of memory: micro-batch halved to %d", self.micro)

    def _accumulate(self, problem: Problem, indices: Sequence[int]) -> float:
        total = 0.0
        for chunk in micro_batches(indices, self.micro):
            batch = problem.collate(chunk, self.device)
            with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
                loss = problem.loss(self.model, batch)
            self.scaler.scale(loss.float() / len(indices)).backward()
            total += float(loss.detach())
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.trainable, self.settings.max_grad_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return total

    def state(self, epoch: int, history: list, best_epoch: int, best_model: dict) -> TrainState:
        return TrainState(
            epoch=epoch,
            model=self.model.state_dict(),
            best_model=best_model,
            optimizer=self.optimizer.state_dict(),
            scheduler=self.scheduler.state_dict(),
            scaler=self.scaler.state_dict(),
            rng=rng_state(),
            history=history,
            best_epoch=best_epoch,
            micro_batch_size=self.micro,
        )

    def restore(self, state: TrainState) -> None:
        self.model.load_state_dict(state.model)
        self.optimizer.load_state_dict(state.optimizer)
        self.scheduler.load_state_dict(state.scheduler)
        self.scaler.load_state_dict(state.scaler)
        restore_rng(state.rng)
        self.micro = state.micro_batch_size


def _cpu_copy(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def train(
    model: nn.Module,
    problem: Problem,
    groups: Sequence[ParamGroup],
    settings: LoopSettings,
    state_path: str | None = None,
    fingerprint: str = "",
) -> TrainResult:
    """Train `model` (already on its device) on `problem`; returns the history and leaves the
    best epoch's weights in `model`. With `state_path`, every epoch ends with an atomic
    checkpoint there, and a checkpoint with the same `fingerprint` (what the caller's settings
    and data hash to) is resumed from; one with another fingerprint is ignored with a warning."""
    started = time.monotonic()
    steps = settings.epochs * len(problem.batch_indices(1))
    run = _Run(model, groups, settings, steps)
    history: list[dict[str, Any]] = []
    best_epoch, best_model = 0, None
    state = load_state(state_path, fingerprint) if state_path else None
    if state is not None:
        run.restore(state)
        history, best_epoch, best_model = state.history, state.best_epoch, state.best_model
        log.info("resumed from the checkpoint of epoch %d (%s)", state.epoch, state_path)
    resumed_from = len(history)
    trained_examples, train_seconds = 0, 0.0
    for epoch in range(len(history) + 1, settings.epochs + 1):
        if _stalled(history, best_epoch, settings.patience):
            log.info("early stop: %d epochs without a dev gain", settings.patience)
            break
        run.start_epoch(epoch)
        model.train()
        tic = time.monotonic()
        batches = problem.batch_indices(epoch)
        n_examples = sum(len(b) for b in batches)
        total = 0.0
        with progress(None, f"epoch {epoch}", n_examples, unit="ex") as bar:
            for indices in batches:
                total += run.step(problem, indices)
                bar.update(len(indices))
        seconds = time.monotonic() - tic
        trained_examples, train_seconds = trained_examples + n_examples, train_seconds + seconds
        metrics = problem.evaluate(model)
        row = {"epoch": epoch, "train_loss": total / n_examples, **metrics}
        row["seconds"] = time.monotonic() - tic
        history.append(row)
        log.info("epoch %d: train loss %.4f, %s", epoch, row["train_loss"], metrics)
        if best_epoch == 0 or _score(row, settings) > _score(history[best_epoch - 1], settings):
            best_epoch, best_model = epoch, _cpu_copy(model)
        if state_path:
            save_state(state_path, run.state(epoch, history, best_epoch, best_model), fingerprint)
    model.load_state_dict(best_model)
    return TrainResult(
        history=history,
        best_epoch=best_epoch,
        total_steps=steps,
        warmup_steps=run.warmup,
        micro_batch_size=run.micro,
        seconds=time.monotonic() - started,
        train_seconds=train_seconds,
        examples_per_second=trained_examples / train_seconds if train_seconds else math.nan,
        resumed_from=resumed_from,
    )


def _score(row: dict[str, Any], settings: LoopSettings) -> float:
    return row["dev"][settings.metric]


def _stalled(history: list[dict[str, Any]], best_epoch: int, patience: int | None) -> bool:
    return patience is not None and bool(history) and len(history) - best_epoch >= patience
