"""The VQA models (course_utils/models/vqa.py): one interface, shapes, which modality each
model reads, the FiLM modulation and the single-stream sequence written out, attention maps."""

import pytest
import torch
import torch.nn.functional as F

from course_utils.models.vit import patchify
from course_utils.models.vqa import VQA_MODELS, FiLMBlock, SingleStream, build_vqa_model, keep_attention

VOCAB, ANSWERS, B, T = 30, 10, 3, 9


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (B, 24, 24, 3), generator=g, dtype=torch.uint8)
    tokens = torch.randint(2, VOCAB, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[0, 6:] = False
    tokens[~mask] = 0
    return images, tokens, mask


@pytest.mark.parametrize("name", list(VQA_MODELS))
def test_every_model_scores_every_answer(name):
    torch.manual_seed(0)
    model = build_vqa_model(name, VOCAB, ANSWERS).eval()
    logits = model(*batch())
    assert logits.shape == (B, ANSWERS) and torch.isfinite(logits).all()


@pytest.mark.parametrize("name", list(VQA_MODELS))
def test_each_model_reads_the_modalities_it_claims(name):
    """Changing the image changes the answer scores of every model but the question-only one;
    changing the question, of every model but the image-only one; padding never matters."""
    torch.manual_seed(0)
    model = build_vqa_model(name, VOCAB, ANSWERS).eval()
    images, tokens, mask = batch()
    with torch.no_grad():
        base = model(images, tokens, mask)
        other_image = model(batch(1)[0], tokens, mask)
        other_question = model(images, batch(1)[1].masked_fill(~mask, 0), mask)
        padding = tokens.clone()
        padding[0, 6:] = 5
        padded = model(images, padding, mask)
    assert torch.allclose(base, other_image) == (name == "pregunta")
    assert torch.allclose(base, other_question) == (name == "imagen")
    assert torch.allclose(base[0], padded[0], atol=1e-5)


def test_unknown_model_is_a_spanish_error():
    with pytest.raises(ValueError, match="modelo desconocido"):
        build_vqa_model("bilineal", VOCAB, ANSWERS)


def test_film_block_is_gamma_times_x_plus_beta():
    torch.manual_seed(0)
    block = FiLMBlock(channels=4, cond_dim=6).eval()
    x, coords, q = torch.randn(2, 4, 4, 4), torch.randn(2, 2, 4, 4), torch.randn(2, 6)
    with torch.no_grad():
        h = block.norm(block.conv2(F.relu(block.conv1(torch.cat([x, coords], dim=1)))))
        gamma, beta = block.film(q).chunk(2, dim=-1)
        expected = x + F.relu(gamma[:, :, None, None] * h + beta[:, :, None, None])
        assert torch.allclose(block(x, coords, q), expected, atol=1e-6)


def test_single_stream_sequence_is_cls_text_then_image_with_types_and_positions():
    torch.manual_seed(0)
    model = SingleStream(VOCAB, ANSWERS).eval()
    images, tokens, mask = batch()
    with torch.no_grad():
        sequence, keys = model.sequence(images, tokens, mask)
        cells = model.cells.mlp(patchify(images.permute(0, 3, 1, 2).float() / 255, 6))
        text = model.tokens.embedding(tokens) + model.tokens.positions[:, :T] + model.types.weight[0]
        image = cells + model.cells.positions + model.types.weight[1]
        cls = model.cls.expand(B, 1, -1) + model.types.weight[0]
    assert sequence.shape == (B, 1 + T + 16, model.types.weight.shape[1])
    assert torch.allclose(sequence, torch.cat([cls, text, image], dim=1), atol=1e-6)
    assert keys.dtype == torch.bool and keys[:, 0].all() and keys[:, 1 + T :].all()
    assert torch.equal(keys[:, 1 : 1 + T], mask)


def test_attention_maps_are_kept_on_request():
    torch.manual_seed(0)
    model = build_vqa_model("atención cruzada", VOCAB, ANSWERS).eval()
    keep_attention(model)
    with torch.no_grad():
        model(*batch())
    weights = model.blocks[-1].attention.sublayer.last_weights
    assert weights.shape == (B, 4, T, 16)
    assert torch.allclose(weights.sum(-1), torch.ones(B, 4, T), atol=1e-5)
    keep_attention(model, False)
    assert not any(getattr(m, "keep_weights", False) for m in model.modules())


def test_question_encoder_reads_order_and_ignores_padding():
    """The GRU's question vector changes when two words swap (which object comes first in a
    relation) and is the state after the last real word, whatever follows it."""
    from course_utils.models.vqa import QuestionEncoder

    torch.manual_seed(0)
    encoder = QuestionEncoder(VOCAB, 8).eval()
    tokens = torch.tensor([[3, 4, 5, 6, 0, 0], [3, 6, 5, 4, 0, 0]])
    mask = tokens != 0
    with torch.no_grad():
        words, question = encoder(tokens, mask)
        padded = encoder(tokens.masked_fill(~mask, 7), mask)[1]
        short = encoder(tokens[:, :4], mask[:, :4])[1]
    assert not torch.allclose(question[0], question[1])
    assert torch.allclose(question, padded, atol=1e-6) and torch.allclose(question, short, atol=1e-6)
    assert torch.equal(question, words[:, 3]) and (words[:, 4:] == 0).all()
    with pytest.raises(ValueError, match="palabras"):
        encoder(torch.ones(1, 17, dtype=torch.long), torch.ones(1, 17, dtype=torch.bool))
