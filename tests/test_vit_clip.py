"""ViT parts, the CLIP pieces (multi-positive loss, text encoder, zero-shot), digit captions,
augmentation and the Perceiver."""

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.augmentation import random_affine
from course_utils.datasets.captions import Vocabulary
from course_utils.datasets.digit_captions import NUMBER_WORDS, PROMPTS, TRAINING_TEMPLATES, captions_per_image, fill
from course_utils.datasets.digits import load_digit_images
from course_utils.models.clip import CLIP, TextTransformer, prompt_embeddings
from course_utils.models.layers import MultiHeadAttention
from course_utils.models.losses import _symmetric_info_nce
from course_utils.models.perceiver import FullSelfAttention, Perceiver
from course_utils.models.vit import ViT, patch_embed_as_linear, patchify
from course_utils.training import train_classifier, train_contrastive


class _ConvPatchEmbed(nn.Module):
    """The convolutional patch embedding of notebook 06's exercise 1, as a student writes it."""

    def __init__(self, size, patch, channels, dim):
        super().__init__()
        self.proj = nn.Conv2d(channels, dim, kernel_size=patch, stride=patch)

    def forward(self, images):
        return self.proj(images).flatten(2).transpose(1, 2)


@pytest.mark.parametrize("size,patch,channels", [(8, 2, 1), (8, 4, 3), (12, 3, 2)])
def test_a_conv_patch_embedding_equals_cutting_patches_and_one_linear_layer(size, patch, channels):
    torch.manual_seed(0)
    embed = _ConvPatchEmbed(size, patch, channels, dim=5)
    images = torch.randn(2, channels, size, size)
    out = embed(images)
    assert out.shape == (2, (size // patch) ** 2, 5)
    torch.testing.assert_close(out, patch_embed_as_linear(embed)(patchify(images, patch)), atol=1e-5, rtol=1e-4)


def test_patches_are_taken_row_by_row():
    image = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert patchify(image, 2)[0, :, 0].tolist() == [0.0, 2.0, 8.0, 10.0]
    with pytest.raises(ValueError, match="no es múltiplo"):
        ViT(image_size=8, patch_size=3)


def _first_block_input(vit, images):
    seen = []
    handle = vit.blocks[0].register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    try:
        with torch.no_grad():
            vit(images)
    finally:
        handle.remove()
    return seen[0]


@pytest.mark.parametrize("size,patch,channels", [(8, 2, 1), (8, 2, 32), (16, 4, 1)])
def test_vit_sequence_is_class_token_then_conv_patches_plus_positions(size, patch, channels):
    """What the ViT feeds its first block is what a convolutional patch embedding, the class
    token in front and the positions added give (chapter 06's exercises 1 and 2), and with a
    seed the patch projection starts from the weights that convolution would get."""
    torch.manual_seed(5)
    conv = nn.Conv2d(channels, 16, kernel_size=patch, stride=patch)
    torch.manual_seed(5)
    vit = ViT(image_size=size, patch_size=patch, in_channels=channels, dim=16, depth=1, heads=2).eval()
    assert torch.equal(vit.patch_proj.weight, conv.weight.reshape(16, -1))
    assert torch.equal(vit.patch_proj.bias, conv.bias)
    with torch.no_grad():
        vit.cls_token.normal_()
    images = torch.randn(3, channels, size, size)
    with torch.no_grad():
        patches = conv(images).flatten(2).transpose(1, 2)
        expected = torch.cat([vit.cls_token.expand(3, -1, -1), patches], dim=1) + vit.positions
    got = _first_block_input(vit, images)
    assert got.shape == (3, (size // patch) ** 2 + 1, 16)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


def test_class_token_goes_first_and_positions_are_added():
    vit = ViT(image_size=4, patch_size=2, dim=2, depth=1, heads=1)
    with torch.no_grad():
        vit.patch_proj.weight.zero_()
        vit.patch_proj.bias.zero_()
        vit.cls_token.copy_(torch.tensor([[[1.0, 2.0]]]))
        vit.positions.fill_(1.0)
    out = _first_block_input(vit, torch.randn(3, 1, 4, 4))
    assert out.shape == (3, 5, 2)
    assert out[:, 0].tolist() == [[2.0, 3.0]] * 3 and (out[:, 1:] == 1).all()
    vit(torch.randn(2, 1, 4, 4)).sum().backward()
    assert vit.cls_token.grad.abs().sum() > 0 and vit.positions.grad.abs().sum() > 0


def test_own_attention_matches_pytorch_with_and_without_padding():
    torch.manual_seed(1)
    ours, reference = MultiHeadAttention(12, 3).eval(), nn.MultiheadAttention(12, 3, batch_first=True).eval()
    ours.load_from_torch(reference)
    x = torch.randn(2, 7, 12)
    mask = torch.ones(2, 7, dtype=torch.bool)
    mask[0, 5:] = False
    with torch.no_grad():
        for explicit in (False, True):  # the fused path and the written-out softmax
            ours.keep_weights = explicit
            torch.testing.assert_close(ours(x), reference(x, x, x)[0], atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(
                ours(x, key_mask=mask), reference(x, x, x, key_padding_mask=~mask)[0], atol=1e-5, rtol=1e-4
            )
    assert (ours.last_weights[0, :, :, 5:] == 0).all()


def test_vit_without_positions_cannot_tell_shuffled_patches_apart():
    torch.manual_seed(2)
    vit = ViT(image_size=4, patch_size=2, dim=8, depth=2, heads=2).eval()
    image = torch.randn(1, 1, 4, 4)
    swapped = image.clone()  # swap the top-left and bottom-right patches
    swapped[..., :2, :2], swapped[..., 2:, 2:] = image[..., 2:, 2:], image[..., :2, :2]
    with torch.no_grad():
        assert not torch.allclose(vit(image), vit(swapped), atol=1e-4)
        vit.positions.zero_()
        torch.testing.assert_close(vit(image), vit(swapped), atol=1e-5, rtol=1e-4)


def test_attention_maps_are_distributions_and_are_not_kept_afterwards():
    vit = ViT(dim=16, depth=2, heads=4)
    maps = vit.attention_maps(torch.rand(3, 1, 8, 8))
    assert len(maps) == 2 and maps[0].shape == (3, 4, 17, 17)
    torch.testing.assert_close(maps[1].sum(-1), torch.ones(3, 4, 17))
    vit(torch.rand(3, 1, 8, 8))
    assert all(block.attention.sublayer.last_weights is None for block in vit.blocks)


def test_multi_positive_loss_reduces_to_clip_loss_and_shares_target_among_positives():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(5, 5, generator=g)
    torch.testing.assert_close(_symmetric_info_nce(logits, torch.arange(5)), _symmetric_info_nce(logits))
    # two identical captions (columns 0 and 1) of two images of the same class (rows 0 and 1)
    logits = torch.tensor([[4.0, 4.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    groups = torch.tensor([7, 7, 2])
    row = -torch.log_softmax(logits, 1)
    col = -torch.log_softmax(logits, 0)
    expected = (
        (row[0, :2].mean() + row[1, :2].mean() + row[2, 2]) / 3
        + (col[:2, 0].mean() + col[:2, 1].mean() + col[2, 2]) / 3
    ) / 2
    torch.testing.assert_close(_symmetric_info_nce(logits, groups), expected)
    # identical captions have identical logits: then one diagonal gives exactly the same loss …
    torch.testing.assert_close(_symmetric_info_nce(logits, groups), _symmetric_info_nce(logits))
    # … but paraphrases (different logits) do not
    paraphrases = logits + torch.tensor([[0.0, -2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert _symmetric_info_nce(paraphrases, groups) > _symmetric_info_nce(paraphrases)


def test_multi_positive_loss_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="forma"):
        _symmetric_info_nce(torch.zeros(2, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="forma"):
        _symmetric_info_nce(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))


def test_text_encoder_ignores_padding_and_rejects_long_texts():
    torch.manual_seed(4)
    encoder = TextTransformer(vocab_size=10, max_len=6, dim=8, depth=2, heads=2).eval()
    ids = torch.tensor([[3, 4, 5, 0, 0, 0]])
    short = torch.tensor([[3, 4, 5]])
    with torch.no_grad():
        torch.testing.assert_close(encoder(ids, ids != 0), encoder(short, short != 0), atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="como máximo 6"):
        encoder(torch.ones(1, 7, dtype=torch.long), torch.ones(1, 7, dtype=torch.bool))


def test_digit_captions_describe_their_label_in_spanish():
    labels = np.array([7, 0, 7])
    texts, caption_image, caption_class = captions_per_image(labels)
    assert len(texts) == 3 * len(TRAINING_TEMPLATES)
    assert caption_image.tolist() == np.repeat([0, 1, 2], len(TRAINING_TEMPLATES)).tolist()
    assert all(NUMBER_WORDS[c] in t.split() for t, c in zip(texts, caption_class))
    assert fill(["un {} escrito a mano"])[7] == ["un siete escrito a mano"]
    unseen = {w for p in PROMPTS for w in p.format("").split()} - set(Vocabulary.build(texts).words)
    assert unseen == {"foto", "del", "dibujo"}


def test_digit_images_split_is_stratified_disjoint_and_seeded():
    data = load_digit_images(seed=5)
    assert sum(data.sizes().values()) == 1797
    assert data.images["train"].shape[1:] == (1, 8, 8) and data.images["train"].max() <= 1.0
    assert np.bincount(data.labels["test"]).min() >= 35
    again = load_digit_images(seed=5)
    assert all(np.array_equal(data.images[s], again.images[s]) for s in ("train", "val", "test"))
    flat = {s: {a.tobytes() for a in data.images[s]} for s in ("train", "test")}
    assert len(flat["test"] - flat["train"]) > 0.95 * len(flat["test"])  # (scikit-learn has a few duplicates)


def test_random_affine_is_seeded_and_identity_when_switched_off():
    images = torch.rand(4, 1, 8, 8)
    same = random_affine(images, torch.Generator().manual_seed(0), rotation=0, shift=0, scale=0)
    torch.testing.assert_close(same, images, atol=1e-5, rtol=1e-4)
    a = random_affine(images, torch.Generator().manual_seed(1))
    b = random_affine(images, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.allclose(a, images)


def _tiny_clip_run(groups):
    data = load_digit_images(seed=0)
    images = torch.tensor(data.images["train"][:128])
    texts, caption_image, caption_class = captions_per_image(data.labels["train"][:128])
    vocab = Vocabulary.build(texts)
    ids, mask = (torch.tensor(a) for a in vocab.encode(texts, max_len=8))
    torch.manual_seed(0)
    model = CLIP(ViT(dim=16, depth=1, heads=2), TextTransformer(len(vocab), 8, dim=16, depth=1, heads=2), embed_dim=16)
    history = train_contrastive(
        model,
        images,
        ids,
        mask,
        torch.tensor(caption_image),
        epochs=3,
        batch_size=32,
        seed=0,
        show_progress=False,
        caption_groups=torch.tensor(caption_class) if groups else None,
        augment=lambda x, g: random_affine(x, g),
    )
    return model, vocab, history


def test_clip_training_is_deterministic_learns_and_uses_the_groups():
    model, vocab, first = _tiny_clip_run(groups=True)
    _, _, second = _tiny_clip_run(groups=True)
    _, _, naive = _tiny_clip_run(groups=False)
    assert first["step_loss"] == second["step_loss"]
    assert first["step_loss"] != naive["step_loss"]
    assert first["loss"][-1] < first["loss"][0]
    assert prompt_embeddings(model, vocab, fill(PROMPTS[:2]), max_len=8).shape == (10, 2, 16)


def test_train_classifier_schedules():
    x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
    history = train_classifier(
        nn.Linear(4, 2), [x], y, epochs=2, schedule="onecycle", label_smoothing=0.1, show_progress=False
    )
    assert len(history["loss"]) == 2
    with pytest.raises(ValueError, match="calendario"):
        train_classifier(nn.Linear(4, 2), [x], y, epochs=1, schedule="cosine", show_progress=False)


def test_perceiver_reads_the_input_ignores_padding_and_has_a_fixed_output_size():
    torch.manual_seed(6)
    model = Perceiver(input_dim=3, num_latents=4, latent_dim=8, heads=2, depth=1).eval()
    x = torch.randn(2, 10, 3)
    with torch.no_grad():
        assert model(x).shape == model(torch.randn(2, 50, 3)).shape == (2, 4, 8)
        assert not torch.allclose(model(x), model(torch.randn(2, 10, 3)))  # the seed's sketch never read x
        padded = torch.cat([x, torch.randn(2, 5, 3)], dim=1)
        mask = torch.ones(2, 15, dtype=torch.bool)
        mask[:, 10:] = False
        torch.testing.assert_close(model(padded, mask), model(x), atol=1e-5, rtol=1e-4)
    assert Perceiver(3, num_latents=4, latent_dim=8, heads=2, num_classes=10)(x).shape == (2, 10)
    assert FullSelfAttention(3, dim=8, heads=2)(x).shape == (2, 10, 8)


def test_held_out_concepts_never_reach_training_and_their_words_do():
    from course_utils.datasets.scene_concepts import HELD_OUT, concept_prompts, concepts, make_scenes

    train = make_scenes(300, seed=0)
    test = make_scenes(40, seed=1, held_out=True)
    held = {concepts().index(c) for c in HELD_OUT}
    assert not held & set(train.concept.tolist())
    assert set(test.concept.tolist()) <= held
    assert train.images.shape == (300, 3, 32, 32) and 0 <= train.images.min() and train.images.max() <= 1
    words = {w for captions in train.captions for text in captions for w in text.replace(",", " ").split()}
    for concept in HELD_OUT:
        prompts = concept_prompts(concept)
        assert len(prompts) == 40 and len(set(prompts)) == 40
        assert {w for p in prompts for w in p.replace(",", " ").split()} <= words, concept


def test_scene_descriptions_group_exactly_the_scenes_that_share_their_captions():
    from course_utils.datasets.scene_concepts import make_scenes

    scenes = make_scenes(200, seed=3)
    for d in set(scenes.description.tolist()):
        same = np.flatnonzero(scenes.description == d)
        assert all(scenes.captions[i] == scenes.captions[same[0]] for i in same)
    firsts = {scenes.description[i]: scenes.captions[i][0] for i in range(200)}
    assert len(set(firsts.values())) == len(firsts)


def test_fourier_positions_tell_every_pixel_apart_and_pixels_as_set_keeps_values():
    from course_utils.models.perceiver import fourier_positions, pixels_as_set

    features = fourier_positions(8, 8, bands=4)
    assert features.shape == (64, 2 + 16)
    assert torch.cdist(features, features).add(torch.eye(64) * 10).min() > 0.1
    images = torch.rand(2, 3, 8, 8)
    elements = pixels_as_set(images, bands=4)
    assert elements.shape == (2, 64, 3 + 18)
    torch.testing.assert_close(elements[1, 8 * 2 + 5, :3], images[1, :, 2, 5])
    torch.testing.assert_close(elements[0, :, 3:], features)


def test_pixel_perceiver_sees_where_a_pixel_is():
    from course_utils.models.perceiver import PixelPerceiver

    torch.manual_seed(0)
    model = PixelPerceiver(in_channels=1, bands=4, num_latents=4, latent_dim=16, heads=2, depth=1).eval()
    left, right = torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8)
    left[..., 3, 1], right[..., 3, 6] = 1.0, 1.0
    with torch.no_grad():
        assert model(left).shape == (1, 10)
        assert (model(left) - model(right)).abs().max() > 1e-4


def test_hybrid_vit_cuts_patches_from_the_stem_feature_maps():
    from course_utils.models.vit import conv_stem

    torch.manual_seed(0)
    model = ViT(image_size=8, patch_size=2, in_channels=16, dim=16, depth=1, heads=2, stem=conv_stem(3, 16))
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)
    assert model.features(torch.rand(2, 3, 32, 32)).shape == (2, 16)
