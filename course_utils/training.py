"""Training helpers shared by the chapters: progress bars and a small PyTorch loop for
classifiers that take several inputs (one tensor per modality)."""
from __future__ import annotations

import time
from typing import Callable, Iterable, Sequence, TypeVar

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

T = TypeVar("T")
Inputs = Sequence[torch.Tensor]


def progress(iterable: Iterable[T], desc: str = "Entrenando", total: int | None = None,
             leave: bool = True, **kwargs) -> "tqdm[T]":
    """A tqdm progress bar with course defaults (Spanish label, works in notebooks and shells).

    Use ``bar.set_postfix(pérdida=...)`` inside the loop to show the current loss.
    """
    return tqdm(iterable, desc=desc, total=total, leave=leave, dynamic_ncols=True, **kwargs)


def as_tensors(arrays: Sequence[np.ndarray], device: torch.device | str = "cpu") -> list[torch.Tensor]:
    """NumPy arrays to float32 tensors on ``device`` (integer arrays become int64)."""
    out = []
    for a in arrays:
        t = torch.as_tensor(np.asarray(a))
        t = t.long() if not torch.is_floating_point(t) else t.float()
        out.append(t.to(device))
    return out


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a PyTorch model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@torch.no_grad()
def predict_proba(model: nn.Module, inputs: Inputs, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (softmax of the model's logits) for every sample, as NumPy."""
    model.eval()
    n = len(inputs[0])
    chunks = [torch.softmax(model(*(x[i:i + batch_size] for x in inputs)), dim=-1)
              for i in range(0, n, batch_size)]
    return torch.cat(chunks).cpu().numpy()


def train_classifier(
    model: nn.Module,
    inputs: Inputs,
    targets: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    augment: Callable[[list[torch.Tensor]], list[torch.Tensor]] | None = None,
    validation: tuple[Inputs, torch.Tensor] | None = None,
    show_progress: bool = True,
    desc: str = "Entrenando",
) -> dict[str, list[float]]:
    """Train ``model(*inputs) -> logits`` with Adam and cross-entropy on shuffled minibatches.

    ``augment`` transforms each training minibatch's inputs (e.g. modality dropout); it is
    never applied to validation data. Returns the history: ``loss``, ``train_acc``,
    ``val_acc`` (when ``validation`` is given) per epoch, and ``seconds``.
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    n = len(targets)
    history: dict[str, list[float]] = {"loss": [], "train_acc": [], "val_acc": []}
    start = time.perf_counter()
    epochs_iter = progress(range(epochs), desc=desc) if show_progress else range(epochs)
    for _ in epochs_iter:
        model.train()
        order = torch.randperm(n, generator=generator).to(targets.device)
        total_loss, correct = 0.0, 0
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            batch = [x[idx] for x in inputs]
            if augment is not None:
                batch = augment(batch)
            logits = model(*batch)
            loss = loss_fn(logits, targets[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(idx)
            correct += (logits.argmax(dim=-1) == targets[idx]).sum().item()
        history["loss"].append(total_loss / n)
        history["train_acc"].append(correct / n)
        if validation is not None:
            probs = predict_proba(model, validation[0])
            history["val_acc"].append(float((probs.argmax(1) == validation[1].cpu().numpy()).mean()))
        if show_progress:
            epochs_iter.set_postfix(pérdida=f"{history['loss'][-1]:.3f}")
    history["seconds"] = [time.perf_counter() - start]
    return history
