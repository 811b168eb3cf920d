"""The chapters' trainers, each a recipe over the one loop of :mod:`course_utils.trainer`:
classifiers that take several inputs (one tensor per modality), the image–text contrastive
model and the pairwise image–text scorer; plus small tensor helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from .models.losses import _info_nce, _symmetric_info_nce
from .trainer import History, fit, optimizer_for, predict

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.11; the course supports 3.10

Inputs = Sequence[torch.Tensor]


class ImageCaptionRecipe(TypedDict, total=False):
    """The optional keywords every image–caption trainer takes (:func:`train_contrastive`,
    :func:`train_pair_scorer`, :func:`course_utils.models.captioning.train_captioner`), with the
    defaults of :func:`_train_on_image_caption_batches` (the loop): ``batch_size=64``,
    ``lr=2e-3``, ``weight_decay=1e-4`` (AdamW, one-cycle schedule), ``seed=0`` (batch order,
    caption draws, augmentation, negatives); and of :func:`course_utils.trainer.fit`:
    ``show_progress=None`` (a bar only in interactive runs), ``desc="Entrenando"`` (its label)."""

    batch_size: int
    lr: float
    weight_decay: float
    seed: int
    show_progress: bool | None
    desc: str


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


def predict_proba(model: nn.Module, inputs: Inputs, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (softmax of the model's logits) for every sample, as NumPy; the
    model is left in the mode it was in."""
    return torch.softmax(predict(model, *inputs, batch_size=batch_size), dim=-1).cpu().numpy()


def _shuffled_chunks(n: int, batch_size: int, generator: torch.Generator, device) -> Callable[[], Iterator]:
    """One epoch's minibatch indices: a new seeded permutation of ``range(n)`` cut in chunks."""

    def epoch():
        order = torch.randperm(n, generator=generator).to(device)
        return (order[i : i + batch_size] for i in range(0, n, batch_size))

    return epoch


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
    show_progress: bool | None = None,
    desc: str = "Entrenando",
) -> History:
    """Train ``model(*inputs) -> logits`` with cross-entropy on shuffled minibatches
    (:func:`course_utils.trainer.fit`; the recipe ``schedule``/``weight_decay`` is
    :func:`course_utils.trainer.optimizer_for`'s).

    ``augment`` transforms each training minibatch's inputs (e.g. modality dropout, random
    shifts); it is never applied to validation data. History: ``loss`` and ``train_acc`` per
    epoch (means over the samples, measured while training), ``val_acc`` per epoch when
    ``validation`` is given, and ``seconds``.
    """
    n = len(targets)
    optimizer, scheduler = optimizer_for(
        model, lr=lr, weight_decay=weight_decay, schedule=schedule, total_steps=epochs * -(-n // batch_size)
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    def loss_of(idx):
        batch = [x[idx] for x in inputs]
        logits = model(*(batch if augment is None else augment(batch)))
        return loss_fn(logits, targets[idx]), {"train_acc": (logits.argmax(dim=-1) == targets[idx]).sum().item()}

    def validate(model):
        probs = predict_proba(model, validation[0])
        return {"val_acc": float((probs.argmax(1) == validation[1].cpu().numpy()).mean())}

    return fit(
        model,
        _shuffled_chunks(n, batch_size, torch.Generator().manual_seed(seed), targets.device),
        loss_of,
        epochs=epochs,
        optimizer=optimizer,
        scheduler=scheduler,
        validate=None if validation is None else validate,
        size_of=len,
        show_progress=show_progress,
        desc=desc,
    )


def _image_caption_batches(n_images: int, caption_image: torch.Tensor, batch_size: int, generator: torch.Generator):
    """Each epoch visits every image once, in a seeded random order, paired with one of its
    captions drawn at random (``caption_image[j]`` is the image of caption ``j``), so a batch
    never holds the same image twice. Yields ``(images, captions)`` index tensors on the CPU."""
    caption_image = caption_image.cpu()
    order = torch.argsort(caption_image, stable=True)
    counts = torch.bincount(caption_image, minlength=n_images)
    if (counts == 0).any():
        raise ValueError("cada imagen necesita al menos una descripción")
    starts = torch.cumsum(counts, 0) - counts
    image_chunks = _shuffled_chunks(n_images, batch_size, generator, "cpu")

    def epoch():
        for images in image_chunks():
            yield images, order[starts[images] + (torch.rand(len(images), generator=generator) * counts[images]).long()]

    return epoch


def _train_on_image_caption_batches(
    model: nn.Module,
    n_images: int,
    caption_image: torch.Tensor,
    batch_loss: Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor],
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 2e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
    **fit_options,
) -> History:
    """The loop every image–caption trainer shares: :func:`_image_caption_batches`, AdamW with a
    one-cycle cosine schedule, ``batch_loss(images, captions, generator)`` per step (the
    generator also serves augmentation and negative sampling). ``fit_options`` (``validate``,
    ``show_progress``, ``desc``) go to :func:`course_utils.trainer.fit`. The epoch ``loss`` is
    the mean of its steps' losses."""
    generator = torch.Generator().manual_seed(seed)
    optimizer, scheduler = optimizer_for(
        model, lr=lr, weight_decay=weight_decay, schedule="onecycle", total_steps=epochs * -(-n_images // batch_size)
    )
    return fit(
        model,
        _image_caption_batches(n_images, caption_image, batch_size, generator),
        lambda batch: batch_loss(*batch, generator),
        epochs=epochs,
        optimizer=optimizer,
        scheduler=scheduler,
        **fit_options,
    )


def train_contrastive(
    model: nn.Module,
    images: torch.Tensor,
    caption_ids: torch.Tensor,
    caption_mask: torch.Tensor,
    caption_image: torch.Tensor,
    *,
    epochs: int,
    caption_groups: torch.Tensor | None = None,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    **recipe: Unpack[ImageCaptionRecipe],
) -> History:
    """Train an image–text model ``model(images, ids, mask) -> (B, B) logits`` with the
    symmetric contrastive loss, over batches of distinct images each with a random caption
    (see :func:`_train_on_image_caption_batches` for the loop; history: ``loss``, ``step_loss``, the
    values of ``evaluate(model)`` per epoch, ``seconds``).

    ``caption_groups[j]`` (optional) labels what caption ``j`` says: captions of one group
    describe the same thing, so in a batch every caption of the image's group counts as a
    positive instead of only its own (the symmetric InfoNCE of ``models/losses.py`` with
    the batch's group labels). ``augment(images, generator)`` transforms each training batch.
    The other keywords are :class:`ImageCaptionRecipe`'s.
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
        model, len(images), caption_image, batch_loss, epochs=epochs, validate=evaluate, **recipe
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
    **recipe: Unpack[ImageCaptionRecipe],
) -> History:
    """Train a pairwise image–text ``scorer(patches, words, mask) -> cosine`` on frozen features.

    Each step takes a batch of images, one random caption of each, and ``negatives`` hard
    negatives per side drawn from the precomputed lists (``hard_captions[i]``: captions that
    look like image ``i`` but do not describe it; ``hard_images[j]``: images that look like
    caption ``j``). The loss is the symmetric InfoNCE over the candidate lists: the mean of
    the image → captions and the caption → images losses (the positive is at position 0).
    Returns per-step and per-epoch losses and ``seconds``. The other keywords are
    :class:`ImageCaptionRecipe`'s.
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

    return _train_on_image_caption_batches(scorer, len(patches), caption_image, batch_loss, epochs=epochs, **recipe)
