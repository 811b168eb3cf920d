"""The one training loop (course_utils/trainer.py): against a hand-written loop, best-epoch
restoring, modes restored, optimizer groups as open_clip/timm build them, batched inference."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils.models.clip import CLIP, TextTransformer
from course_utils.models.vit import ViT
from course_utils.trainer import fit, no_decay_names, optimizer_for, parameter_groups, predict


def _data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g)
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).long()


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.LayerNorm(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))


def test_fit_is_the_hand_written_loop():
    x, y = _data()

    def loader():
        return DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(3))

    ours, reference = _net(), _net()
    loss_fn = nn.CrossEntropyLoss()
    torch.manual_seed(1)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-2)
    batches, losses = loader(), []
    for _ in range(3):
        reference.train()
        total = 0.0
        for xb, yb in batches:
            loss = loss_fn(reference(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
        losses.append(total / len(y))
    torch.manual_seed(1)
    history = fit(
        ours,
        loader(),
        lambda b: loss_fn(ours(b[0]), b[1]),
        epochs=3,
        optimizer=torch.optim.Adam(ours.parameters(), lr=1e-2),
        size_of=lambda b: len(b[1]),
        show_progress=False,
    )
    for a, b in zip(ours.state_dict().values(), reference.state_dict().values()):
        torch.testing.assert_close(a, b)
    assert history["loss"] == pytest.approx(losses)
    assert len(history["step_loss"]) == 3 * 6 and isinstance(history["seconds"], float) and history["seconds"] > 0


def test_fit_restores_the_best_epoch_and_the_mode():
    x, y = _data()
    model = _net().eval()
    scores = iter([0.2, 0.7, 0.7, 0.5])  # best: epoch 2 (the first of the tie)
    saved, modes = {}, []

    def validate(m):
        modes.append(m.training)
        saved[len(saved) + 1] = {k: v.clone() for k, v in m.state_dict().items()}
        return {"val_score": next(scores)}

    history = fit(
        model,
        [(x[:48], y[:48]), (x[48:], y[48:])],
        lambda b: nn.functional.cross_entropy(model(b[0]), b[1]),
        epochs=4,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
        validate=validate,
        monitor="val_score",
        restore_best=True,
        show_progress=False,
    )
    assert modes == [False] * 4 and not model.training  # validated in eval mode; back in the mode it came in
    assert history["best_epoch"] == 2 and history["val_score"] == [0.2, 0.7, 0.7, 0.5]
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, saved[2][name])
    assert not torch.equal(saved[2]["0.weight"], saved[4]["0.weight"])  # restoring changed something
    with pytest.raises(ValueError):
        fit(model, [], lambda b: b, epochs=1, optimizer=None, restore_best=True)


def test_fit_minimises_when_asked():
    model = nn.Linear(1, 1)
    losses = iter([3.0, 1.0, 2.0])
    history = fit(
        model,
        [torch.ones(1, 1)],
        lambda b: model(b).sum() * 0,
        epochs=3,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        validate=lambda m: {"val_loss": next(losses)},
        monitor="val_loss",
        mode="min",
        show_progress=False,
    )
    assert history["best_epoch"] == 2


def test_no_weight_decay_for_biases_norms_and_scales():
    model = CLIP(ViT(dim=16, depth=1, heads=2), TextTransformer(20, 6, dim=16, depth=1, heads=2), embed_dim=8)
    skip = no_decay_names(model)
    names = dict(model.named_parameters())
    # open_clip's rule: p.ndim < 2 or "bn"/"ln"/"bias"/"logit_scale" in the name (our norms are found by type)
    expected = {n for n, p in names.items() if p.ndim < 2 or "bias" in n or "logit_scale" in n or "norm" in n}
    assert skip == expected
    assert "logit_scale.log_scale" in skip and "image_proj.weight" not in skip
    decay, no_decay = parameter_groups(model, 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    assert len(decay["params"]) + len(no_decay["params"]) == len(names)
    # a decayed step with zero gradients moves the matrices and leaves scales and norms alone
    optimizer, _ = optimizer_for(model, lr=0.1, weight_decay=0.5, schedule="onecycle", total_steps=100)
    before = {n: p.detach().clone() for n, p in names.items()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for n, p in names.items():
        assert torch.equal(p, before[n]) == (n in skip), n
    with pytest.raises(ValueError):
        optimizer_for(model, lr=0.1, schedule="cosine")


@pytest.mark.parametrize("training", [True, False])
def test_predict_chunks_and_restores_the_mode(training):
    model = _net().train(training)
    x, _ = _data(50)
    expected = model.eval()(x).detach()
    model.train(training)
    out = predict(model, x, batch_size=7)
    torch.testing.assert_close(out, expected)
    assert model.training == training and not out.requires_grad
    clip = CLIP(ViT(dim=16, depth=1, heads=2), TextTransformer(20, 6, dim=16, depth=1, heads=2), embed_dim=8)
    clip.train(training)
    images = torch.rand(9, 1, 8, 8)
    torch.testing.assert_close(predict(clip.embed_images, images, batch_size=4), clip.eval().embed_images(images))
    clip.train(training)
    predict(lambda a: clip.embed_images(a), images, batch_size=4, model=clip)
    assert clip.training == training
