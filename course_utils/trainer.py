"""The course's one PyTorch training loop and its one batched-inference helper.

:func:`fit` runs epochs of minibatch steps with a progress bar, validates after every epoch
(in evaluation mode, without gradients), tracks the best epoch of a monitored metric and can
restore its weights (early stopping). :func:`optimizer_for` builds AdamW/Adam with two
parameter groups, as CLIP, open_clip and timm do: weight decay for weight matrices, none for
biases, normalisation layers and the logit scale (decaying a temperature or a LayerNorm gain
toward 0 is not a regulariser, it changes what the layer computes). :func:`predict` applies a
model (or one of its methods) to inputs in chunks and puts the model back in the mode it was in.

The chapter-specific trainers of :mod:`course_utils.training` and the notebooks' loops
(chapters 03, 04 and 06) are built on these three functions.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from .config import fast_mode
from .progress import progress

History = dict[str, Any]
"""``loss`` (per epoch), ``step_loss`` (per step), the training statistics and validation
metrics per epoch (one list per name), ``seconds`` (a float: time spent in training steps,
validation excluded) and, when a metric is monitored, ``best_epoch`` (1-based)."""

_NORMS = (nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm, nn.modules.batchnorm._NormBase)


def _show_progress() -> bool:
    """Bars are shown in an interactive session (a notebook kernel or a terminal), never in FAST
    mode (CI, the autograder) nor when the output goes to a file or a pipe."""
    if fast_mode():
        return False
    in_kernel = "ipykernel" in sys.modules and getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return bool(in_kernel) or sys.stderr.isatty()


def no_decay_names(model: nn.Module) -> set[str]:
    """Names of the parameters that get no weight decay: biases, every parameter of a
    normalisation layer, scalars and vectors (``ndim < 2``: a logit scale, a gain) and any
    parameter whose name says ``logit_scale`` (open_clip's rule)."""
    names = set()
    for module_name, module in model.named_modules():
        for name, param in module.named_parameters(prefix=module_name, recurse=False):
            if isinstance(module, _NORMS) or param.ndim < 2 or name.endswith("bias") or "logit_scale" in name:
                names.add(name)
    return names


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two optimizer groups: ``weight_decay`` for weight matrices, 0 for :func:`no_decay_names`."""
    skip = no_decay_names(model)
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [
        {"params": [p for n, p in trainable if n not in skip], "weight_decay": weight_decay},
        {"params": [p for n, p in trainable if n in skip], "weight_decay": 0.0},
    ]


def optimizer_for(
    model: nn.Module, *, lr: float, weight_decay: float = 0.0, schedule: str = "constant", total_steps: int = 1
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """The optimizer (and scheduler, stepped once per step) of a recipe.

    ``"constant"``: Adam at ``lr`` (``weight_decay`` as an L2 penalty); ``"onecycle"``: AdamW
    (decoupled ``weight_decay``) warming up to ``lr`` over the first 10 % of ``total_steps``,
    then a cosine decay. Either way biases, norms and scales are not decayed."""
    groups = parameter_groups(model, weight_decay)
    if schedule == "constant":
        return torch.optim.Adam(groups, lr=lr), None
    if schedule == "onecycle":
        optimizer = torch.optim.AdamW(groups, lr=lr)
        return optimizer, torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=max(total_steps, 1), pct_start=0.1, anneal_strategy="cos"
        )
    raise ValueError(f"calendario desconocido {schedule!r}; usa 'constant' o 'onecycle'")


def _module_of(fn: Callable) -> nn.Module | None:
    if isinstance(fn, nn.Module):
        return fn
    owner = getattr(fn, "__self__", None)
    return owner if isinstance(owner, nn.Module) else None


@torch.no_grad()
def predict(
    fn: Callable[..., torch.Tensor], *inputs: torch.Tensor, batch_size: int = 1024, model: nn.Module | None = None
) -> torch.Tensor:
    """``fn(*chunk)`` over aligned chunks of ``inputs`` (first dimension), concatenated, without
    gradients. ``fn`` is a model, a bound method of one (``model.embed_images``) or any function
    of the chunks that uses ``model``: the model runs in evaluation mode and is put back in the
    mode it was in (training or not)."""
    module = model if model is not None else _module_of(fn)
    was_training = module.training if module is not None else False
    if module is not None:
        module.eval()
    try:
        n = len(inputs[0])
        return torch.cat([fn(*(x[i : i + batch_size] for x in inputs)) for i in range(0, n, batch_size)])
    finally:
        if module is not None:
            module.train(was_training)


def _improves(value: float, best: float | None, mode: str) -> bool:
    return best is None or (value > best if mode == "max" else value < best)


def fit(
    model: nn.Module,
    batches: Iterable | Callable[[], Iterable],
    loss_of: Callable[[Any], torch.Tensor | tuple[torch.Tensor, dict[str, float]]],
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    validate: Callable[[nn.Module], dict[str, float]] | None = None,
    monitor: str | None = None,
    mode: str = "max",
    restore_best: bool = False,
    size_of: Callable[[Any], int] | None = None,
    show_progress: bool | None = None,
    desc: str = "Entrenando",
) -> History:
    """Train ``model`` for ``epochs`` epochs and return its :data:`History`.

    ``batches`` is what one epoch iterates (a ``DataLoader``, a list) or a function returning
    it, called once per epoch (to draw a new order). ``loss_of(batch)`` returns the loss, or the
    loss and a dict of statistics (e.g. ``{"train_acc": correct}``) summed over the epoch and
    divided by its size. ``size_of(batch)`` weighs each step in the epoch's loss and statistics
    (default 1: the mean over steps; ``len`` of the batch gives the mean over samples).

    After each epoch ``validate(model)`` runs in evaluation mode without gradients; each of its
    values is appended to ``history[name]``. With ``monitor`` (a validation name, or ``"loss"``)
    the best epoch by ``mode`` (``"max"`` or ``"min"``; the first on ties) is recorded, and with
    ``restore_best`` the model ends with that epoch's weights. The model ends in the mode
    (training or evaluation) it was in when ``fit`` was called. ``show_progress=None`` shows an
    epoch bar only when the session is interactive and not in FAST mode.
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode debe ser 'max' o 'min', no {mode!r}")
    if restore_best and monitor is None:
        raise ValueError("restore_best necesita una métrica vigilada (monitor=...)")
    history: History = {"loss": [], "step_loss": []}
    best, best_state, elapsed, was_training = None, None, 0.0, model.training
    show = _show_progress() if show_progress is None else show_progress
    epoch_bar = progress(range(epochs), desc=desc) if show else range(epochs)
    for epoch in epoch_bar:
        model.train()
        start = time.perf_counter()
        totals: dict[str, float] = {"loss": 0.0}
        size = 0
        for batch in batches() if callable(batches) else batches:
            out = loss_of(batch)
            loss, stats = out if isinstance(out, tuple) else (out, {})
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            weight, value = 1 if size_of is None else size_of(batch), loss.item()
            history["step_loss"].append(value)
            totals["loss"] += value * weight
            for name, value in stats.items():
                totals[name] = totals.get(name, 0.0) + float(value)
            size += weight
        elapsed += time.perf_counter() - start
        for name, total in totals.items():
            history.setdefault(name, []).append(total / max(size, 1))
        if validate is not None:
            model.eval()
            with torch.no_grad():
                for name, value in validate(model).items():
                    history.setdefault(name, []).append(value)
        if monitor is not None and _improves(history[monitor][-1], best, mode):
            best, history["best_epoch"] = history[monitor][-1], epoch + 1
            if restore_best:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if show:
            epoch_bar.set_postfix(pérdida=f"{history['loss'][-1]:.3f}")
    history["seconds"] = elapsed
    if best_state is not None:
        model.load_state_dict(best_state)
    model.train(was_training)
    return history
