"""Cross-attention versions, the pair scorer, the contrastive pieces, retrieval and their training."""

from dataclasses import asdict

import numpy as np
import pytest
import torch

from course_utils.models.contrastive import DualEncoder, LogitScale
from course_utils.models.cross_attention import (
    CHANGES,
    PARENTS,
    SEED_LEFT_OUT,
    SEED_NAMES,
    VERSIONS,
    Mechanisms,
    attend,
    build_scorer,
    get_cross_attention,
)
from course_utils.models.losses import _symmetric_info_nce
from course_utils.retrieval import hard_negatives, rerank, retrieval_scores, zero_shot_judgement
from course_utils.training import train_contrastive, train_pair_scorer

DIM = 16


def _inputs(seed=0, images=3, texts=2):
    g = torch.Generator().manual_seed(seed)
    patches = torch.randn(images, 16, DIM, generator=g)
    words = torch.randn(texts, 6, DIM, generator=g)
    mask = torch.ones(texts, 6, dtype=torch.bool)
    mask[-1, 4:] = False
    return patches, words, mask


def test_attention_over_one_key_only_copies_the_value():
    q, kv = torch.randn(4, 1, 8), torch.randn(4, 1, 8)
    out, weights = attend(q, kv, kv)
    assert torch.equal(weights, torch.ones(4, 1, 1)) and torch.equal(out, kv)


def test_attend_gives_padded_keys_zero_weight():
    q, k = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    out, weights = attend(q, k, k, mask)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3))
    assert (weights[1, :, 2:] == 0).all()


@pytest.mark.parametrize("version", list(VERSIONS))
def test_every_version_shapes_broadcasting_masks_and_gradients(version):
    torch.manual_seed(0)
    attention = get_cross_attention(version, DIM, heads=4, dropout=0.0).eval()
    patches, words, mask = _inputs()
    image_out, text_out = attention(patches[:, None], words[None], mask[None])
    assert image_out.shape == (3, 2, 16, DIM) and text_out.shape == (3, 2, 6, DIM)
    # all-pairs broadcasting equals scoring each pair on its own
    one_img, one_txt = attention(patches[2], words[1], mask[1])
    assert torch.allclose(image_out[2, 1], one_img, atol=1e-5) and torch.allclose(text_out[2, 1], one_txt, atol=1e-5)
    # padded words change nothing the scorer reads
    noisy = words.clone()
    noisy[1, 4:] = 50 * torch.randn(2, DIM)
    noisy_img, noisy_txt = attention(patches, noisy[[1, 1, 1]], mask[[1, 1, 1]])
    clean_img, clean_txt = attention(patches, words[[1, 1, 1]], mask[[1, 1, 1]])
    assert torch.allclose(noisy_img, clean_img, atol=1e-4)
    assert torch.allclose(noisy_txt[:, :4], clean_txt[:, :4], atol=1e-4)
    assert set(attention.last_attention) == {"imagen→texto", "texto→imagen"}
    # gradients reach both inputs (and every parameter, when there are any)
    p, w = patches.clone().requires_grad_(True), words.clone().requires_grad_(True)
    out_i, out_t = attention.train()(p[:, None], w[None], mask[None])
    (out_i.square().mean() + out_t.square().mean()).backward()
    assert p.grad.abs().sum() > 0 and w.grad.abs().sum() > 0
    assert all(q.grad is not None and q.grad.abs().sum() > 0 for q in attention.parameters())
    assert VERSIONS[version].adds and VERSIONS[version].__doc__.startswith(version)


@pytest.mark.parametrize("version", [v for v in VERSIONS if PARENTS[v] is not None])
def test_each_version_switches_exactly_one_mechanism_of_its_parent(version):
    mine, parent = asdict(VERSIONS[version].mechanisms), asdict(VERSIONS[PARENTS[version]].mechanisms)
    changed = [k for k in mine if mine[k] != parent[k]]
    assert changed == [CHANGES[version].lstrip("-")], f"{version} changes {changed} relative to {PARENTS[version]}"
    # and the change is real: the two modules differ in behaviour or in parameters
    torch.manual_seed(0)
    patches, words, mask = _inputs()
    a = get_cross_attention(version, DIM, heads=4).eval()
    torch.manual_seed(0)
    b = get_cross_attention(PARENTS[version], DIM, heads=4).eval()
    same_params = [p.shape for p in a.parameters()] == [p.shape for p in b.parameters()]
    if same_params and not VERSIONS[version].mechanisms.dropout:
        with torch.no_grad():
            out_a, out_b = a(patches[:, None], words[None], mask[None]), b(patches[:, None], words[None], mask[None])
        assert not all(torch.allclose(x, y) for x, y in zip(out_a, out_b)), f"{version} computes what its parent does"


def test_registry_is_rooted_at_plain_attention_with_seed_names_and_reasons():
    assert PARENTS["v0"] is None and VERSIONS["v0"].mechanisms == Mechanisms()
    assert set(SEED_NAMES) == set(VERSIONS)
    named = {s for s in SEED_NAMES.values() if s}
    assert {"v0", "v1", "v2", "v3", "v4", "v7", "v8", "v9", "v10_4", "v10_5", "v11"} == named
    seed_versions = {
        "v0",
        "v1",
        "v2",
        "v3",
        "v4",
        "v5",
        "v6",
        "v7",
        "v8",
        "v9",
        "v10_1",
        "v10_2",
        "v10_3",
        "v10_4",
        "v10_5",
        "v10_6",
        "v11",
    }
    assert named | set(SEED_LEFT_OUT) == seed_versions and not named & set(SEED_LEFT_OUT)
    params = {v: sum(p.numel() for p in get_cross_attention(v, 64).parameters()) for v in VERSIONS}
    assert params["v0"] == params["v1"] == 0 and params["v3"] == params["v2"] > 0
    assert params["v5"] < params["v4b"] and params["v8"] < params["v7"] < params["v9"]
    with pytest.raises(ValueError, match="versión de atención cruzada desconocida"):
        get_cross_attention("v99", 64)


def test_shared_version_reuses_the_transposed_matrix_without_renormalising():
    patches, words, mask = _inputs(images=1, texts=1)
    attention = get_cross_attention("v1", DIM)
    attention(patches, words, mask)
    i2t, t2i = attention.last_attention["imagen→texto"], attention.last_attention["texto→imagen"]
    assert torch.equal(t2i, i2t.transpose(-2, -1))
    assert torch.allclose(i2t.sum(-1), torch.ones_like(i2t.sum(-1)))
    assert not torch.allclose(t2i.sum(-1), torch.ones_like(t2i.sum(-1)))


def test_pair_score_of_a_pair_does_not_depend_on_the_rest_of_the_batch():
    torch.manual_seed(0)
    scorer = build_scorer("v7", DIM, heads=4).eval()
    patches, words, mask = _inputs(images=4, texts=3)
    with torch.no_grad():
        everything = scorer(patches[:, None], words[None], mask[None])
        alone = scorer(patches[1:2], words[2:3], mask[2:3])
    assert everything.shape == (4, 3)
    assert torch.allclose(everything[1, 2], alone[0], atol=1e-5)
    assert (everything.abs() <= 1 + 1e-5).all(), "scores are cosines"


def test_contrastive_pieces():
    logits = torch.tensor([[3.0, 0.0], [1.0, 2.0]])
    expected = (
        torch.nn.functional.cross_entropy(logits, torch.arange(2))
        + torch.nn.functional.cross_entropy(logits.T, torch.arange(2))
    ) / 2
    assert torch.isclose(_symmetric_info_nce(logits), expected)
    assert _symmetric_info_nce(40 * torch.eye(3)) < 1e-6
    scale = LogitScale(0.07)
    assert torch.isclose(scale(), torch.tensor(1 / 0.07))
    with torch.no_grad():
        scale.log_scale.fill_(10.0)
    assert scale().item() == 100.0
    model = DualEncoder(vocab_size=20, dim=16, embed_dim=8)
    ids = torch.tensor([[2, 3, 0], [4, 0, 0]])
    sims = model.similarity(torch.randn(3, 3, 32, 32), ids, ids != 0)
    assert sims.shape == (3, 2) and (sims.abs() <= 1 + 1e-5).all()


def _recall_by_definition(similarity, relevance, k):
    """Recall@K row by row, as the definition reads: a stable sort, the first k, any relevant."""
    hits = [relevance[i, sorted(range(len(row)), key=lambda j: -row[j])[:k]].any() for i, row in enumerate(similarity)]
    return float(np.mean(hits))


def test_retrieval_scores_follow_the_definition_of_recall_at_k():
    rng = np.random.default_rng(0)
    for trial in range(200):
        rows, cols = rng.integers(1, 8, size=2)
        sim = rng.integers(0, 3, size=(rows, cols)).astype(float) if trial % 2 else rng.normal(size=(rows, cols))
        rel = rng.random((rows, cols)) < 0.3  # some rows without any relevant column, ties when trial is odd
        other = rng.normal(size=(rows, cols))
        scores = retrieval_scores(sim, rel, ks=(1, 3, 10), similarity_t2i=other)
        assert list(scores) == ["i→t R@1", "t→i R@1", "i→t R@3", "t→i R@3", "i→t R@10", "t→i R@10"]
        for k in (1, 3, 10):
            assert scores[f"i→t R@{k}"] == _recall_by_definition(sim, rel, k)
            assert scores[f"t→i R@{k}"] == _recall_by_definition(other.T, rel.T, k)
        assert all(isinstance(v, float) for v in scores.values())


def test_recall_rerank_and_hard_negatives():
    sim = np.array([[0.9, 0.8, 0.1], [0.2, 0.3, 0.4], [0.5, 0.1, 0.6]])
    rel = np.eye(3, dtype=bool)
    scores = retrieval_scores(sim, rel, ks=(1, 3))
    assert scores["i→t R@1"] == pytest.approx(2 / 3) and scores["i→t R@3"] == 1.0
    assert scores["t→i R@1"] == pytest.approx(2 / 3)  # columns: 0 → row 0, 1 → row 0 (wrong), 2 → row 2
    with pytest.raises(ValueError):
        retrieval_scores(sim, rel[:2])
    with pytest.raises(ValueError):
        retrieval_scores(sim, rel, similarity_t2i=sim[:2])
    assert hard_negatives(sim, rel, 2).tolist() == [[1, 2], [2, 0], [0, 1]]

    class Oracle(torch.nn.Module):  # scores 1 for the right pair, 0 otherwise
        def forward(self, patches, words, mask):
            return (patches[..., 0, 0] == words[..., 0, 0]).float()

    ids = torch.arange(3.0)
    patches, words = ids[:, None, None].expand(3, 2, 2), ids[:, None, None].expand(3, 2, 2)
    bad = np.array([[0.1, 0.9, 0.5], [0.8, 0.2, 0.1], [0.3, 0.6, 0.2]])
    i2t, t2i = rerank(Oracle(), patches, words, torch.ones(3, 2, dtype=torch.bool), bad, k=3)
    assert retrieval_scores(bad, rel, ks=(1,))["i→t R@1"] < 1
    assert retrieval_scores(i2t, rel, ks=(1,), similarity_t2i=t2i) == {"i→t R@1": 1.0, "t→i R@1": 1.0}
    i2t_k1, _ = rerank(Oracle(), patches, words, torch.ones(3, 2, dtype=torch.bool), bad, k=1)
    assert np.array_equal(i2t_k1.argmax(1), bad.argmax(1)), "only the shortlisted candidates are re-scored"


def test_zero_shot_judgement_margin_and_collapse():
    sim = np.array([[0.9, 0.1, 0.2], [0.3, 0.32, 0.1], [0.1, 0.2, 0.8]])
    verdict = zero_shot_judgement(sim, [0, 1, 1], margin=0.05)
    assert verdict["acierto top-1"] == pytest.approx(2 / 3)
    assert verdict["acierto con margen"] == pytest.approx(1 / 3)
    assert not verdict["colapsado"]
    assert zero_shot_judgement(np.full((4, 5), 0.3), [0, 1, 2, 3])["colapsado"]


def _toy_problem(n=48, seed=0):
    """Images whose mean colour encodes a class, captions naming the class."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 4
    images = torch.randn(n, 3, 32, 32, generator=g) * 0.3 + labels[:, None, None, None].float() - 1.5
    ids = torch.stack([labels + 2, labels + 6, torch.zeros(n, dtype=torch.long)], dim=1)
    return images, ids, ids != 0, torch.arange(n)


def test_contrastive_training_learns_and_is_deterministic():
    images, ids, mask, caption_image = _toy_problem()
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        model = DualEncoder(vocab_size=12, dim=16, embed_dim=8)
        history = train_contrastive(
            model, images, ids, mask, caption_image, epochs=6, batch_size=8, lr=3e-3, seed=1, show_progress=False
        )
        losses.append(history["loss"])
    assert losses[0] == losses[1]
    assert losses[0][-1] < 0.8 * losses[0][0]


def test_pair_scorer_training_lowers_its_loss():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    n = 32
    patches = torch.randn(n, 16, DIM, generator=g)
    words = patches[:, :5] + 0.1 * torch.randn(n, 5, DIM, generator=g)  # each caption echoes its image
    mask = torch.ones(n, 5, dtype=torch.bool)
    hard = torch.stack([(torch.arange(4) + i + 1) % n for i in range(n)])
    scorer = build_scorer("v4", DIM, heads=4)
    history = train_pair_scorer(
        scorer,
        patches,
        words,
        mask,
        torch.arange(n),
        hard,
        hard,
        epochs=8,
        negatives=3,
        batch_size=8,
        lr=3e-3,
        seed=0,
        show_progress=False,
    )
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert len(history["step_loss"]) == 8 * 4 and history["seconds"] > 0
