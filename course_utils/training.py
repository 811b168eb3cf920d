"""Training helpers shared by the chapters: progress bars and a small PyTorch loop for
classifiers that take several inputs (one tensor per modality)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from .models.losses import _info_nce, _symmetric_info_nce
from .progress import progress

Inputs = Sequence[torch.Tensor]


def as_tensors(arrays: Sequence[np.ndarray], device: torch.device | str = "cpu") -> list[torch.Tensor]:
    """NumPy arrays to float32 tensors on ``device`` (integer arrays become int64)."""
    out = []
    for a in arrays:
        t = torch.as_tensor(np.asarray(a))
        t = t.long() if not torch.is_floating_point(t) else t.float()
        out.append(t.to(device))
    return out


def balanced_class_weights(labels) -> torch.Tensor:
    """Weights ``n / (n_classes * count_c)`` per class, for a weighted cross-entropy."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    return torch.tensor(compute_class_weight("balanced", classes=classes, y=labels), dtype=torch.float32)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a PyTorch model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@torch.no_grad()
def predict_proba(model: nn.Module, inputs: Inputs, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (softmax of the model's logits) for every sample, as NumPy."""
    model.eval()
    n = len(inputs[0])
    chunks = [torch.softmax(model(*(x[i : i + batch_size] for x in inputs)), dim=-1) for i in range(0, n, batch_size)]
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
    schedule: str = "constant",
    label_smoothing: float = 0.0,
    show_progress: bool = True,
    desc: str = "Entrenando",
) -> dict[str, list[float]]:
    """Train ``model(*inputs) -> logits`` with cross-entropy on shuffled minibatches.

    ``schedule="constant"``: Adam at ``lr`` (L2 penalty ``weight_decay``);
    ``schedule="onecycle"``: AdamW (decoupled ``weight_decay``) with a warm-up to ``lr`` over
    the first 10 % of the steps and a cosine decay after it. ``augment`` transforms each
    training minibatch's inputs (e.g. modality dropout, random shifts); it is never applied
    to validation data. Returns the history: ``loss``, ``train_acc``, ``val_acc`` (when
    ``validation`` is given) per epoch, and ``seconds``.
    """
    generator = torch.Generator().manual_seed(seed)
    n = len(targets)
    steps = epochs * ((n + batch_size - 1) // batch_size)
    scheduler = None
    if schedule == "constant":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    elif schedule == "onecycle":
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=max(steps, 1), pct_start=0.1, anneal_strategy="cos"
        )
    else:
        raise ValueError(f"unknown schedule {schedule!r}; use 'constant' or 'onecycle'")
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    history: dict[str, list[float]] = {"loss": [], "train_acc": [], "val_acc": []}
    start = time.perf_counter()
    epochs_iter = progress(range(epochs), desc=desc) if show_progress else range(epochs)
    for _ in epochs_iter:
        model.train()
        order = torch.randperm(n, generator=generator).to(targets.device)
        total_loss, correct = 0.0, 0
        for i in range(0, n, batch_size):
            idx = order[i : i + batch_size]
            batch = [x[idx] for x in inputs]
            if augment is not None:
                batch = augment(batch)
            logits = model(*batch)
            loss = loss_fn(logits, targets[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
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


def _train_on_image_caption_batches(
    model: nn.Module,
    n_images: int,
    caption_image: torch.Tensor,
    batch_loss: Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    seed: int,
    evaluate: Callable[[nn.Module], dict[str, float]] | None,
    show_progress: bool,
    desc: str,
) -> dict[str, list]:
    """The loop both image–text trainers share.

    Each epoch visits every image once, in a seeded random order, paired with one of its
    captions drawn at random (``caption_image[j]`` is the image of caption ``j``), so a batch
    never holds the same image twice; ``batch_loss(images, captions, generator)`` turns the
    batch's image and caption indices (on the CPU) into the loss. AdamW with a one-cycle
    cosine schedule. Returns ``step_loss``, per-epoch ``loss``, ``evaluate(model)`` per epoch
    (``eval``) and the training ``seconds`` (evaluation excluded).
    """
    generator = torch.Generator().manual_seed(seed)
    caption_image = caption_image.cpu()
    order = torch.argsort(caption_image, stable=True)
    counts = torch.bincount(caption_image, minlength=n_images)
    if (counts == 0).any():
        raise ValueError("every image needs at least one caption")
    starts = torch.cumsum(counts, 0) - counts
    steps = epochs * ((n_images + batch_size - 1) // batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=max(steps, 1), pct_start=0.1, anneal_strategy="cos"
    )
    history: dict[str, list] = {"step_loss": [], "loss": [], "eval": [], "seconds": []}
    elapsed = 0.0
    bar = progress(None, desc=desc, total=steps) if show_progress else None
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        perm = torch.randperm(n_images, generator=generator)
        epoch_losses = []
        for i in range(0, n_images, batch_size):
            images = perm[i : i + batch_size]
            captions = order[starts[images] + (torch.rand(len(images), generator=generator) * counts[images]).long()]
            loss = batch_loss(images, captions, generator)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            epoch_losses.append(loss.item())
            if bar is not None:
                bar.update(1)
                bar.set_postfix(pérdida=f"{loss.item():.3f}")
        elapsed += time.perf_counter() - start
        history["step_loss"] += epoch_losses
        history["loss"].append(float(np.mean(epoch_losses)))
        if evaluate is not None:
            history["eval"].append(evaluate(model))
    if bar is not None:
        bar.close()
    history["seconds"] = [elapsed]
    return history


def train_contrastive(
    model: nn.Module,
    images: torch.Tensor,
    caption_ids: torch.Tensor,
    caption_mask: torch.Tensor,
    caption_image: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 2e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
    caption_groups: torch.Tensor | None = None,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    show_progress: bool = True,
    desc: str = "Entrenando",
) -> dict[str, list]:
    """Train an image–text model ``model(images, ids, mask) -> (B, B) logits`` with the
    symmetric contrastive loss, over batches of distinct images each with a random caption
    (see :func:`_train_on_image_caption_batches` for the loop and the returned history).

    ``caption_groups[j]`` (optional) labels what caption ``j`` says: captions of one group
    describe the same thing, so in a batch every caption of the image's group counts as a
    positive instead of only its own (the symmetric InfoNCE of ``models/losses.py`` with
    the batch's group labels). ``augment(images, generator)`` transforms each training batch.
    """
    groups_of = None if caption_groups is None else caption_groups.cpu()

    def batch_loss(image_idx, caption_idx, generator):
        cap = caption_idx.to(caption_ids.device)
        batch_images = images[image_idx.to(images.device)]
        if augment is not None:
            batch_images = augment(batch_images, generator)
        groups = None if groups_of is None else groups_of[caption_idx].to(images.device)
        return _symmetric_info_nce(model(batch_images, caption_ids[cap], caption_mask[cap]), groups)

    return _train_on_image_caption_batches(
        model,
        len(images),
        caption_image,
        batch_loss,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
        evaluate=evaluate,
        show_progress=show_progress,
        desc=desc,
    )


def train_pair_scorer(
    scorer: nn.Module,
    patches: torch.Tensor,
    words: torch.Tensor,
    mask: torch.Tensor,
    caption_image: torch.Tensor,
    hard_captions: torch.Tensor,
    hard_images: torch.Tensor,
    *,
    epochs: int,
    negatives: int = 3,
    batch_size: int = 64,
    lr: float = 2e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
    show_progress: bool = True,
    desc: str = "Entrenando",
) -> dict[str, list]:
    """Train a pairwise image–text ``scorer(patches, words, mask) -> cosine`` on frozen features.

    Each step takes a batch of images, one random caption of each, and ``negatives`` hard
    negatives per side drawn from the precomputed lists (``hard_captions[i]``: captions that
    look like image ``i`` but do not describe it; ``hard_images[j]``: images that look like
    caption ``j``). The loss is the symmetric InfoNCE over the candidate lists: the mean of
    the image → captions and the caption → images losses (the positive is at position 0).
    Returns per-step and per-epoch losses and ``seconds``.
    """
    device = patches.device
    hard_captions, hard_images = hard_captions.cpu(), hard_images.cpu()

    def sample(pool: torch.Tensor, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        choice = torch.rand(len(rows), pool.shape[1], generator=generator).argsort(1)[:, :negatives]
        return pool[rows].gather(1, choice)

    def batch_loss(img, cap, generator):
        cand_caps = torch.cat([cap[:, None], sample(hard_captions, img, generator)], dim=1).to(device)  # (B, 1+neg)
        cand_imgs = torch.cat([img[:, None], sample(hard_images, cap, generator)], dim=1).to(device)
        img, cap = img.to(device), cap.to(device)
        i2t = scorer(patches[img][:, None], words[cand_caps], mask[cand_caps])
        t2i = scorer(patches[cand_imgs], words[cap][:, None], mask[cap][:, None])
        scale = scorer.logit_scale()
        first = torch.zeros(len(img), dtype=torch.long, device=device)  # the positive of every list
        return (_info_nce(scale * i2t, first) + _info_nce(scale * t2i, first)) / 2

    return _train_on_image_caption_batches(
        scorer,
        len(patches),
        caption_image,
        batch_loss,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
        evaluate=None,
        show_progress=show_progress,
        desc=desc,
    )
