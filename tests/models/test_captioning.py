"""course_utils/models/captioning.py and the causal mask of layers.py: the decoder cannot read
the future (checked against torch.nn.MultiheadAttention's attn_mask), beam search of width 1 is
greedy decoding, and a tiny captioner learns to describe."""

import torch
from torch import nn

from course_utils.models.captioning import Captioner, caption_loss, caption_vocabulary, train_captioner
from course_utils.models.layers import MultiHeadAttention, attend
from support.threads import one_thread  # noqa: F401 - autouse fixture


def test_causal_attention_matches_torch_with_padding():
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(16, 4, batch_first=True).eval()
    x = torch.randn(2, 7, 16)
    real = torch.ones(2, 7, dtype=torch.bool)
    real[1, 5:] = False
    future = torch.triu(torch.ones(7, 7, dtype=torch.bool), 1)
    expected, _ = reference(x, x, x, attn_mask=future, key_padding_mask=~real)
    for keep in (True, False):  # the written-out softmax and the fused kernel
        ours = MultiHeadAttention(16, 4).eval().load_from_torch(reference)
        ours.keep_weights = keep
        assert torch.allclose(ours(x, key_mask=real, causal=True), expected, atol=1e-5)


def test_causal_weights_are_zero_on_the_future():
    q = torch.randn(3, 6, 4)
    _, weights = attend(q, q, q, causal=True)
    assert torch.all(weights.triu(1) == 0) and torch.allclose(weights.sum(-1), torch.ones(3, 6))


def test_the_decoder_does_not_read_the_future():
    torch.manual_seed(0)
    model = Captioner(vocab_size=12, max_len=8, dim=16, heads=2, stem_width=4).eval()
    images = torch.rand(2, 3, 32, 32)
    prefix = torch.tensor([[2, 5, 6, 7, 8], [2, 9, 4, 0, 0]])
    changed = prefix.clone()
    changed[:, 3] = 10
    with torch.no_grad():
        a, b = model(images, prefix), model(images, changed)
    assert torch.allclose(a[:, :3], b[:, :3], atol=1e-6) and not torch.allclose(a[:, 3], b[:, 3])


def greedy_by_hand(model, images, bos, eos, steps):
    prefix = torch.full((len(images), 1), bos)
    with torch.no_grad():
        memory = model.encode(images)
        for _ in range(steps):
            prefix = torch.cat([prefix, model.decode(memory, prefix)[:, -1].argmax(-1, keepdim=True)], 1)
    out = []
    for row in prefix[:, 1:].tolist():
        out.append(row[: row.index(eos)] if eos in row else row)
    return out


def test_beam_of_width_one_is_greedy_and_a_wider_beam_scores_at_least_as_well():
    torch.manual_seed(1)
    model = Captioner(vocab_size=10, max_len=8, dim=16, heads=2, stem_width=4).eval()
    with torch.no_grad():
        model.head.weight.mul_(6)
    images = torch.rand(4, 3, 32, 32)
    assert model.beam_search(images, 2, 3, beam=1) == greedy_by_hand(model, images, 2, 3, 7)

    def log_prob(image, words):
        ids = torch.tensor([[2, *words, 3]])
        with torch.no_grad():
            logp = model(image[None], ids[:, :-1]).log_softmax(-1)
        return float(logp[0, torch.arange(len(words) + 1), ids[0, 1:]].sum())

    for image, greedy, wide in zip(
        images, model.beam_search(images, 2, 3, beam=1, alpha=0.0), model.beam_search(images, 2, 3, beam=4, alpha=0.0)
    ):
        if len(greedy) < 7 and len(wide) < 7:  # both finished with <eos>: comparable scores
            assert log_prob(image, wide) >= log_prob(image, greedy) - 1e-5


def test_a_tiny_captioner_learns_two_captions():
    captions = ["un círculo rojo", "una cruz azul"]
    vocab = caption_vocabulary(captions)
    images = torch.zeros(2, 3, 32, 32)
    images[0, 0] = 1.0
    images[1, 2] = 1.0
    ids = torch.tensor(vocab.encode(captions)[0])
    inputs = torch.cat([torch.full((2, 1), vocab.index["<bos>"]), ids], 1)
    targets = torch.cat([ids, torch.full((2, 1), vocab.index["<eos>"])], 1)
    torch.manual_seed(0)
    model = Captioner(len(vocab), max_len=6, dim=16, heads=2, stem_width=4)
    history = train_captioner(
        model, images, inputs, targets, torch.arange(2), epochs=150, batch_size=2, lr=5e-3, show_progress=False
    )
    assert history["loss"][-1] < 0.1
    assert caption_loss(model(images, inputs), targets) < 0.1
    out = model.beam_search(images, vocab.index["<bos>"], vocab.index["<eos>"], beam=2)
    assert [" ".join(vocab.words[i] for i in row) for row in out] == captions
    maps = model.cross_attention_maps(images, inputs)
    assert maps.shape == (2, inputs.shape[1], 17) and torch.allclose(maps.sum(-1), torch.ones(2, inputs.shape[1]))
