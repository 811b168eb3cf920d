"""course_utils/models/layers.py: the attention kernel, multi-head attention and the Pre-LN block,
each against an outside reference with copied weights (``torch.nn.MultiheadAttention``, Hugging
Face's ``ViTLayer``, ``ViTModel`` and ``CLIPTextEmbeddings``), and the rule that no other module of ``course_utils``
computes a softmax over attention scores."""

from __future__ import annotations

import ast

import pytest
import torch
from torch import nn

from course_utils.models.layers import MultiHeadAttention, PreLNBlock, TokenEmbedding, attend, keeping_weights
from course_utils.models.vit import ViT
from support.source_scan import calls, functions_where, mentions_transpose, package_hits

TOL = dict(atol=1e-5, rtol=1e-4)


def _mask(lengths: list[int], total: int) -> torch.Tensor:
    return torch.arange(total)[None, :] < torch.tensor(lengths)[:, None]


# --- the kernel ---------------------------------------------------------------------------------


def test_both_paths_of_the_kernel_agree_and_the_explicit_one_is_the_definition():
    g = torch.Generator().manual_seed(0)
    q, k, v = (
        torch.randn(3, 2, 5, 8, generator=g),
        torch.randn(3, 2, 7, 8, generator=g),
        torch.randn(3, 2, 7, 4, generator=g),
    )
    for mask in (None, _mask([7, 3, 1], 7)[:, None]):  # (3, 1, 7): broadcast over the second axis
        fused, none = attend(q, k, v, mask, need_weights=False)
        explicit, weights = attend(q, k, v, mask, need_weights=True)
        assert none is None
        torch.testing.assert_close(fused, explicit, **TOL)
        scores = q @ k.transpose(-2, -1) / 8**0.5  # the definition, written independently
        if mask is not None:
            scores = scores + torch.where(mask[..., None, :], 0.0, float("-inf"))
        torch.testing.assert_close(weights, torch.softmax(scores, dim=-1), **TOL)
        torch.testing.assert_close(explicit, torch.softmax(scores, dim=-1) @ v, **TOL)


def test_a_query_with_every_key_masked_gets_zeros_on_both_paths_and_finite_gradients():
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(2, 4, 8, generator=g), torch.randn(2, 6, 8, generator=g)
    mask = _mask([6, 0], 6)  # the second sequence has no real key at all
    outs, grads = [], []
    for need_weights in (False, True):
        qq, kk = q.clone().requires_grad_(True), k.clone().requires_grad_(True)
        out, weights = attend(qq, kk, kk, mask, need_weights=need_weights)
        assert not out.isnan().any()
        assert (out[1] == 0).all(), "a row without keys gives a zero output"
        if weights is not None:
            assert (weights[1] == 0).all() and torch.allclose(weights[0].sum(-1), torch.ones(4))
        out.square().sum().backward()
        assert torch.isfinite(qq.grad).all() and torch.isfinite(kk.grad).all()
        outs.append(out.detach())
        grads.append((qq.grad, kk.grad))
    torch.testing.assert_close(outs[0], outs[1], **TOL)
    for fused, explicit in zip(grads[0], grads[1]):
        torch.testing.assert_close(fused, explicit, **TOL)


def test_padding_keys_get_zero_weight_and_do_not_change_the_output():
    g = torch.Generator().manual_seed(2)
    q, k = torch.randn(1, 3, 4, generator=g), torch.randn(1, 5, 4, generator=g)
    mask = _mask([3], 5)
    out, weights = attend(q, k, k, mask)
    assert (weights[..., 3:] == 0).all()
    noisy = k.clone()
    noisy[:, 3:] = 100 * torch.randn(2, 4, generator=g)
    torch.testing.assert_close(attend(q, noisy, noisy, mask)[0], out, **TOL)


# --- multi-head attention against torch.nn.MultiheadAttention -----------------------------------


@pytest.mark.parametrize("explicit", [False, True], ids=["fused", "explicit"])
@pytest.mark.parametrize("cross", [False, True], ids=["self", "cross"])
def test_multi_head_attention_equals_pytorch_with_copied_weights(explicit, cross):
    torch.manual_seed(3)
    ours, reference = MultiHeadAttention(12, 3).eval(), nn.MultiheadAttention(12, 3, batch_first=True).eval()
    with torch.no_grad():  # non-zero biases: nn.MultiheadAttention starts them at 0
        reference.in_proj_bias.normal_()
        reference.out_proj.bias.normal_()
    ours.load_from_torch(reference)
    ours.keep_weights = explicit
    x = torch.randn(2, 7, 12)
    context = torch.randn(2, 9, 12) if cross else x
    length = context.shape[1]
    for mask in (None, _mask([length, length - 4], length)):
        with torch.no_grad():
            got = ours(x, context if cross else None, mask)
            want, want_weights = reference(
                x, context, context, key_padding_mask=None if mask is None else ~mask, average_attn_weights=False
            )
        torch.testing.assert_close(got, want, **TOL)
        if explicit:
            torch.testing.assert_close(ours.last_weights, want_weights, **TOL)
        else:
            assert ours.last_weights is None


def test_multi_query_attention_equals_pytorch_with_one_key_and_value_head_copied_to_every_head():
    torch.manual_seed(4)
    dim, heads = 12, 3
    ours = MultiHeadAttention(dim, heads, shared_kv=True).eval()
    assert ours.in_proj.weight.shape == (dim + 2 * dim // heads, dim)
    reference = nn.MultiheadAttention(dim, heads, batch_first=True).eval()
    w, b = ours.in_proj.weight, ours.in_proj.bias
    q_rows, k_rows, v_rows = slice(0, dim), slice(dim, dim + 4), slice(dim + 4, dim + 8)
    with torch.no_grad():  # the reference's K and V: the shared head repeated for each of the 3 heads
        reference.in_proj_weight.copy_(torch.cat([w[q_rows], w[k_rows].repeat(heads, 1), w[v_rows].repeat(heads, 1)]))
        reference.in_proj_bias.copy_(torch.cat([b[q_rows], b[k_rows].repeat(heads), b[v_rows].repeat(heads)]))
        reference.out_proj.load_state_dict(ours.out_proj.state_dict())
    x, context = torch.randn(2, 5, dim), torch.randn(2, 6, dim)
    mask = _mask([6, 2], 6)
    for explicit in (False, True):
        ours.keep_weights = explicit
        with torch.no_grad():
            torch.testing.assert_close(
                ours(x, context, mask), reference(x, context, context, key_padding_mask=~mask)[0], **TOL
            )


def test_multi_head_attention_broadcasts_leading_dimensions_and_trains_with_dropout():
    torch.manual_seed(5)
    attention = MultiHeadAttention(8, 2, dropout=0.5)
    queries, contexts = torch.randn(3, 4, 8), torch.randn(2, 6, 8)
    mask = _mask([6, 3], 6)
    attention.eval()
    with torch.no_grad():
        every_pair = attention(queries[:, None], contexts[None], mask[None])
        torch.testing.assert_close(every_pair[2, 1], attention(queries[2], contexts[1], mask[1]), **TOL)
    attention.train()
    out = attention(queries[:, None], contexts[None], mask[None])
    assert out.shape == (3, 2, 4, 8)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in attention.parameters())


def test_a_fully_masked_sequence_gives_the_output_bias_not_nan():
    """nn.MultiheadAttention gives NaN here; ours attends to nothing on both paths."""
    torch.manual_seed(6)
    attention = MultiHeadAttention(8, 2).eval()
    x = torch.randn(1, 3, 8)
    for explicit in (False, True):
        attention.keep_weights = explicit
        with torch.no_grad():
            out = attention(x, key_mask=torch.zeros(1, 3, dtype=torch.bool))
        torch.testing.assert_close(out, attention.out_proj.bias.expand(1, 3, 8))


def test_keeping_weights_keeps_them_inside_the_block_and_restores_each_setting_even_on_error():
    torch.manual_seed(7)
    first, second = MultiHeadAttention(8, 2).eval(), MultiHeadAttention(8, 2).eval()
    second.keep_weights = True  # already keeping: stays so
    x = torch.randn(1, 3, 8)
    with keeping_weights(first, second):
        first(x)
        assert first.last_weights.shape == (1, 2, 3, 3)
    assert (first.keep_weights, second.keep_weights) == (False, True)
    with pytest.raises(RuntimeError), keeping_weights(first):
        raise RuntimeError("falla dentro")
    assert first.keep_weights is False
    first(x)
    assert first.last_weights is None  # the fused kernel again


# --- the Pre-LN block and the ViT against Hugging Face -------------------------------------------


def _hf_vit_config(dim, heads, mlp_ratio, **extra):
    transformers = pytest.importorskip("transformers")
    return transformers.ViTConfig(
        hidden_size=dim,
        num_attention_heads=heads,
        intermediate_size=mlp_ratio * dim,
        hidden_act="gelu",
        layer_norm_eps=1e-5,  # nn.LayerNorm's default (Hugging Face's ViT uses 1e-12)
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        attn_implementation="eager",
        **extra,
    )


@torch.no_grad()
def _copy_block_from_hf(block: PreLNBlock, layer) -> PreLNBlock:
    """Load a Hugging Face ``ViTLayer`` into our block: the names differ, the maths must not."""
    attention = block.attention.sublayer
    hf = layer.attention
    attention.in_proj.weight.copy_(torch.cat([hf.q_proj.weight, hf.k_proj.weight, hf.v_proj.weight]))
    attention.in_proj.bias.copy_(torch.cat([hf.q_proj.bias, hf.k_proj.bias, hf.v_proj.bias]))
    attention.out_proj.load_state_dict(hf.o_proj.state_dict())
    block.attention.norm.load_state_dict(layer.layernorm_before.state_dict())
    block.feed_forward.norm.load_state_dict(layer.layernorm_after.state_dict())
    mlp = block.feed_forward.sublayer
    mlp[0].load_state_dict(layer.mlp.fc1.state_dict())
    mlp[3].load_state_dict(layer.mlp.fc2.state_dict())
    return block


def _randomise(module: nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)


def _hf_layer_output(layer, x, mask=None):
    additive = None if mask is None else torch.where(mask[:, None, None, :], 0.0, torch.finfo(x.dtype).min)
    out = layer(x, additive)
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("explicit", [False, True], ids=["fused", "explicit"])
def test_pre_ln_block_equals_hugging_face_vit_layer_with_copied_weights(explicit):
    from transformers.models.vit.modeling_vit import ViTLayer

    torch.manual_seed(7)
    layer = ViTLayer(_hf_vit_config(16, 4, 2)).eval()
    _randomise(layer, 0)  # every weight, LayerNorms and biases included, away from its initial value
    block = _copy_block_from_hf(PreLNBlock(16, 4, mlp_ratio=2).eval(), layer)
    block.attention.sublayer.keep_weights = explicit
    x = torch.randn(2, 9, 16)
    mask = _mask([9, 5], 9)
    with torch.no_grad():
        torch.testing.assert_close(block(x), _hf_layer_output(layer, x), **TOL)
        torch.testing.assert_close(block(x, key_mask=mask), _hf_layer_output(layer, x, mask), **TOL)


def test_vit_features_equal_hugging_face_vit_model_with_copied_weights():
    from transformers import ViTModel

    torch.manual_seed(8)
    config = _hf_vit_config(16, 4, 2, image_size=8, patch_size=2, num_channels=1, num_hidden_layers=2)
    hf = ViTModel(config, add_pooling_layer=False).eval()
    _randomise(hf, 1)
    ours = ViT(image_size=8, patch_size=2, in_channels=1, dim=16, depth=2, heads=4, mlp_ratio=2).eval()
    with torch.no_grad():
        projection = hf.embeddings.patch_embeddings.projection  # a strided convolution
        ours.patch_proj.weight.copy_(projection.weight.flatten(1))
        ours.patch_proj.bias.copy_(projection.bias)
        ours.cls_token.copy_(hf.embeddings.cls_token)
        ours.positions.copy_(hf.embeddings.position_embeddings)
        for block, layer in zip(ours.blocks, hf.layers):
            _copy_block_from_hf(block, layer)
        ours.norm.load_state_dict(hf.layernorm.state_dict())
        images = torch.rand(3, 1, 8, 8)
        torch.testing.assert_close(ours.features(images), hf(pixel_values=images).last_hidden_state[:, 0], **TOL)


# --- one kernel: no other module of course_utils computes attention weights ----------------------


def _scores_times_softmax(node) -> bool:
    """A softmax and a product with a transposed matrix in one function."""
    return calls(node, ("softmax", "log_softmax")) and any(
        (isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) and mentions_transpose(n.right))
        or (isinstance(n, ast.Call) and calls(n, ("matmul", "bmm", "einsum")) and mentions_transpose(n))
        or (isinstance(n, ast.Call) and calls(n, ("einsum",)))
        for n in ast.walk(node)
    )


def softmax_over_scores(source: str) -> list[str]:
    """Functions of ``source`` that take a softmax and multiply by a transposed matrix (``q @ kᵀ``,
    ``torch.matmul(q, k.transpose(…))``, ``einsum``): attention written by hand."""
    return functions_where(source, _scores_times_softmax)


def test_token_embedding_equals_hugging_face_clip_text_embeddings_with_copied_weights():
    from transformers import CLIPTextConfig
    from transformers.models.clip.modeling_clip import CLIPTextEmbeddings

    torch.manual_seed(3)
    hf = CLIPTextEmbeddings(CLIPTextConfig(vocab_size=11, hidden_size=8, max_position_embeddings=6)).eval()
    ours = TokenEmbedding(11, 8, max_len=6)
    with torch.no_grad():
        ours.embedding.weight.copy_(hf.token_embedding.weight)
        ours.positions.copy_(hf.position_embedding.weight.unsqueeze(0))
    ids = torch.tensor([[3, 5, 10, 1], [7, 2, 0, 0]])
    torch.testing.assert_close(ours(ids), hf(input_ids=ids), **TOL)


def test_token_embedding_learns_nothing_for_padding_and_refuses_too_many_positions():
    embed = TokenEmbedding(9, 4, max_len=5)
    ids = torch.tensor([[4, 2, 0, 0, 0]])
    out = embed(ids)
    torch.testing.assert_close(out[0, 2:], embed.positions[0, 2:5])  # padding: its position only
    out.sum().backward()
    assert embed.embedding.weight.grad[0].abs().sum() == 0 and embed.embedding.weight.grad[4].abs().sum() > 0
    with pytest.raises(ValueError, match="6 posiciones.*como máximo 5"):
        embed(torch.ones(1, 6, dtype=torch.long))


def test_the_scan_finds_attention_written_by_hand():
    planted = (
        "def helper(q, k, v):\n"
        "    scores = q @ k.transpose(-2, -1) / 8\n"
        "    return scores.softmax(-1) @ v\n\n"
        "class Layer:\n"
        "    def forward(self, q, k):\n"
        "        return torch.softmax(torch.matmul(q, k.mT), dim=-1)\n\n"
        "def mix(logits, xs):\n"
        "    return sum(w * x for w, x in zip(logits.softmax(0), xs))\n"
    )
    assert softmax_over_scores(planted) == ["helper (line 1)", "forward (line 6)"]


def test_no_module_but_layers_computes_a_softmax_over_attention_scores():
    found = package_hits(softmax_over_scores, home="models/layers.py")
    assert not found, (
        f"attention written outside course_utils/models/layers.py (use attend / MultiHeadAttention): {found}"
    )
