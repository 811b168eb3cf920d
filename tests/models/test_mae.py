"""course_utils/models/mae.py: the masking keeps the lowest noise and can be undone, the loss
counts hidden patches only against per-patch normalised pixels, and the MAE learns."""

import pytest
import torch

from course_utils.models.mae import MaskedAutoencoder, _random_masking, normalised_patch_loss
from course_utils.models.vit import ViT
from support.threads import one_thread  # noqa: F401 - autouse fixture


def test_random_masking_keeps_the_lowest_noise_and_restores_the_order():
    torch.manual_seed(0)
    tokens, noise = torch.randn(3, 16, 5), torch.rand(3, 16)
    kept, mask, restore = _random_masking(tokens, 0.75, noise)
    assert kept.shape == (3, 4, 5) and mask.shape == (3, 16) and restore.dtype == torch.long
    order = noise.argsort(1)
    assert torch.equal(kept, torch.gather(tokens, 1, order[:, :4, None].expand(-1, -1, 5)))
    assert torch.equal(restore, order.argsort(1))
    assert (mask.sum(1) == 12).all() and (mask.gather(1, order[:, :4]) == 0).all()
    back = torch.take_along_dim(torch.cat([kept, torch.zeros(3, 12, 5)], 1), restore[..., None], 1)
    assert torch.equal(back[mask == 0], tokens[mask == 0])


def test_the_loss_counts_hidden_patches_only_with_normalised_targets():
    patches = torch.rand(2, 16, 4)
    target = (patches - patches.mean(-1, keepdim=True)) / (patches.var(-1, keepdim=True) + 1e-6).sqrt()
    mask = torch.zeros(2, 16)
    mask[:, :5] = 1
    assert normalised_patch_loss(target, patches, mask) < 1e-10
    wrong_visible = target.clone()
    wrong_visible[:, 10:] += 5.0  # visible patches: no effect
    assert normalised_patch_loss(wrong_visible, patches, mask) < 1e-10
    wrong_hidden = target.clone()
    wrong_hidden[:, :5] += 1.0  # every hidden pixel off by 1 → loss 1
    assert torch.isclose(normalised_patch_loss(wrong_hidden, patches, mask), torch.tensor(1.0))


def test_the_encoder_sees_only_visible_patches_and_the_mae_learns():
    torch.manual_seed(0)
    mae = MaskedAutoencoder(dim=32, depth=1, heads=4, decoder_dim=16, mask_ratio=0.75)
    images = torch.rand(8, 1, 8, 8)
    encoded, mask, _ = mae.encode_visible(images, 0.75, torch.rand(8, 16), _random_masking)
    assert encoded.shape == (8, 1 + 4, 32)
    prediction, mask = mae(images)
    assert prediction.shape == (8, 16, 4) and mask.shape == (8, 16)
    optimizer = torch.optim.Adam(mae.parameters(), lr=3e-3)
    first = mae.loss(images).item()
    for _ in range(60):
        loss = mae.loss(images)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.7 * first
    rebuilt, hidden = mae.reconstruct(images, torch.rand(8, 16))
    visible = hidden == 0
    assert rebuilt.shape == images.shape
    assert torch.allclose(mae.patches(rebuilt)[visible], mae.patches(images)[visible])


def test_the_encoder_is_the_vit_its_keywords_build_and_the_decoder_follows_it():
    config = dict(image_size=8, patch_size=4, in_channels=3, dim=24, depth=1, heads=3)
    torch.manual_seed(0)
    mae = MaskedAutoencoder(decoder_dim=12, **config)
    torch.manual_seed(0)
    vit = ViT(**config)
    assert all(torch.equal(a, b) for a, b in zip(mae.encoder.state_dict().values(), vit.state_dict().values()))
    assert mae.num_patches == 4 and mae.to_pixels.out_features == 3 * 4 * 4
    assert mae.decoder[0].attention.sublayer.heads == 3
    prediction, _ = mae(torch.rand(2, 3, 8, 8))
    assert prediction.shape == (2, 4, 48)
    with pytest.raises(ValueError, match="stem"):
        MaskedAutoencoder(stem=torch.nn.Identity())
