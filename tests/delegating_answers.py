"""Answers that delegate a graded exercise to code importable in the grading kernel.

chapter → {solution cell grade id → source a cheating student would submit}. Each answer
imports, wraps or subclasses course code (or the place where a reference used to live)
instead of implementing the exercise. ``tests/test_grading_roundtrip.py`` submits them
beside the real solutions and requires 0 points for each delegated exercise.
"""

DELEGATING: dict[str, dict[str, str]] = {
    "01_operaciones_fusion": {
        "ej1_solucion": "from course_utils.fusion.torch import fuse_concat\n",
        "ej2_solucion": (
            "from course_utils.fusion import torch as _fusion\n\n\n"
            "def fuse_elementwise(tensors, mode='sum'):\n"
            "    return _fusion.fuse_elementwise(tensors, mode)\n"
        ),
        "ej3_solucion": (
            "from course_utils.fusion.torch import WeightedAverage as _Reference\n\n\n"
            "class WeightedAverage(_Reference):\n"
            "    pass\n"
        ),
        "ej4_solucion": "from course_utils.fusion.torch import GatedFusion\n",
        "ej5_solucion": (
            "import course_utils.fusion.torch\n\ntensor_fusion = course_utils.fusion.torch.tensor_fusion\n"
        ),
        "ej6_solucion": "from course_utils.fusion.torch import fusion_output_dim\n",
    },
    "02_estrategias_fusion": {
        "ej1_solucion": "from course_utils.fusion.keras import build_late_fusion\n",
        "ej2_solucion": (
            "from course_utils.fusion import keras as _fk\n\n\n"
            "def feature_extractor(model, layer_name):\n"
            "    return _fk.feature_extractor(model, layer_name)\n"
        ),
        "ej3_solucion": "from course_utils.models.fusion_nets import IntermediateFusion\n",
        # ThreeBranchFusion left course_utils; notebook 03 trains the generic MultiInputNet, and a
        # wrapper around it (branches first, then MultiInputNet's paths and head) must score 0
        "ej4_solucion": (
            "from course_utils.models.fusion_nets import MultiInputNet as _Net\n\n\n"
            "class ThreeBranchFusion(nn.Module):\n"
            "    def __init__(self, branches, branch_dims, fusion_dim=32, merge='concat', hidden=64, n_classes=10):\n"
            "        super().__init__()\n"
            "        if merge not in ('concat', 'sum'):\n"
            "            raise ValueError(merge)\n"
            "        self.branches = nn.ModuleList(branches)\n"
            "        self.net = _Net(list(branch_dims), list(branch_dims), fusion_dim, hidden, n_classes)\n\n"
            "    def forward(self, *inputs):\n"
            "        return self.net(*[b(x) for b, x in zip(self.branches, inputs)])\n"
        ),
        "ej5_solucion": "from course_utils.robustness import robustness_auc\n",
        "ej6_solucion": (
            "from course_utils.fusion.torch import modality_dropout as _reference\n\n\n"
            "def modality_dropout(inputs, p, generator=None):\n"
            "    return _reference(inputs, p, generator)\n"
        ),
    },
    "03_minibatches_multimodales": {
        "ej1_solucion": (
            "from course_utils.batching import aligned_loaders as _loaders\n\n\n"
            "def make_minibatches(tfidf, emb, style, labels, n_train=512, batch_size=32, seed=0):\n"
            "    return _loaders(tfidf, emb, style, labels=labels, n_train=n_train,\n"
            "                    batch_size=batch_size, seed=seed)\n"
        ),
        "ej2_solucion": "from course_utils.batching import pad_collate\n",
        # the encoders of notebooks 05 and 06 keep a private masked mean: an alias of it must score 0
        "ej3_solucion": "from course_utils.models.contrastive import _mean_over_real_tokens as masked_mean\n",
    },
    "04_agresividad_dropout": {
        # the network and the evaluation used to ship in course_utils; importing them must fail
        "ej1_solucion": (
            "from course_utils.models.aggression import AggressionFusionNet as _Course\n\n"
            "class AggressionFusionNet(_Course):\n"
            "    pass\n"
        ),
        "ej2_solucion": (
            "from course_utils.evaluation import evaluate_model\n\n"
            "def evaluate(model, loader):\n"
            "    return evaluate_model(model, loader)\n"
        ),
    },
    "05_atencion_cruzada": {
        # the loss, Recall@K and attention stay in course_utils as private implementations
        # (training, retrieval, ablation) that return the right values: the hidden tests must
        # catch an import, a wrapper or a call inside the student's class
        "ej1_solucion": "from course_utils.models.losses import _symmetric_info_nce as contrastive_loss\n",
        "ej2_solucion": (
            "from course_utils import retrieval\n\n"
            "def recall_at_k(similarity, relevance, k):\n"
            "    best = retrieval._best_relevant_rank(np.asarray(similarity), np.asarray(relevance, dtype=bool))\n"
            "    return float(np.mean(best < k))\n"
        ),
        "ej3_solucion": (
            "from course_utils.models.cross_attention import attend\n\n"
            "class CrossAttentionV0(nn.Module):\n"
            "    def forward(self, image, text, text_mask):\n"
            "        return attend(image, text, text, text_mask)[0], attend(text, image, image)[0]\n"
        ),
        "ej4_solucion": (
            "from course_utils.models.cross_attention import attend as _attend\n\n"
            "class CrossAttentionNormResidual(nn.Module):\n"
            "    def __init__(self, dim):\n"
            "        super().__init__()\n"
            "        self.image_norm, self.text_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)\n\n"
            "    def forward(self, image, text, text_mask):\n"
            "        img, txt = self.image_norm(image), self.text_norm(text)\n"
            "        return image + _attend(img, txt, txt, text_mask)[0], text + _attend(txt, img, img)[0]\n"
        ),
    },
    "06_vit_clip": {
        # the ViT cuts patches with patchify and a linear layer (the visible tests use both), the
        # multi-positive loss stays private in models/contrastive.py (groups, not a positives
        # matrix); add_class_token and zero-shot prediction used to live in models/vit.py, clip.py
        "ej1_solucion": (
            "from course_utils.models.vit import patch_embed_as_linear, patchify\n\n"
            "class PatchEmbed(nn.Module):\n"
            "    def __init__(self, image_size=8, patch_size=2, in_channels=1, dim=64):\n"
            "        super().__init__()\n"
            "        if image_size % patch_size:\n"
            "            raise ValueError('no divisible')\n"
            "        self.patch_size, self.num_patches = patch_size, (image_size // patch_size) ** 2\n"
            "        self.proj = nn.Conv2d(in_channels, dim, patch_size, patch_size)\n\n"
            "    def forward(self, images):\n"
            "        return patch_embed_as_linear(self)(patchify(images, self.patch_size))\n"
        ),
        "ej2_solucion": (
            "import course_utils.models.vit as _vit\n\n"
            "def add_class_token(patches, cls_token, positions):\n"
            "    return _vit.add_class_token(patches, cls_token, positions)\n"
        ),
        "ej4_solucion": (
            "from course_utils.models.losses import _symmetric_info_nce as _loss\n\n"
            "def clip_loss(logits, positives):\n"
            "    return _loss(logits, positives.int().argmax(dim=1))\n"
        ),
        "ej5_solucion": "from course_utils.models.clip import zero_shot_predict\n",
        # the clamped log-space temperature lives in models/contrastive.py (LogitScale)
        "ej3_solucion": (
            "from course_utils.models.contrastive import LogitScale as _Scale\n\n"
            "class LearnableTemperature(_Scale):\n"
            "    def __init__(self, temperature=0.07, max_scale=100.0):\n"
            "        super().__init__(temperature)\n"
            "        self.max_scale = max_scale\n"
        ),
    },
    # chapter 07: the course's MAE masking and loss live in models/mae.py, the causal mask in
    # layers.attend(causal=True); the greedy loop and the shifted targets have no course twin
    "07_codificador_decodificador": {
        "ej1_solucion": (
            "from course_utils.models.mae import _random_masking as _masking\n\n"
            "def random_masking(patches, mask_ratio, noise):\n"
            "    return _masking(patches, mask_ratio, noise)\n"
        ),
        "ej2_solucion": "from course_utils.models.mae import normalised_patch_loss as mae_loss\n",
        "ej3_solucion": (
            "from course_utils.models.layers import attend as _attend\n\n"
            "def causal_mask(length):\n"
            "    x = torch.ones(1, length, 1)\n"
            "    return _attend(x, x, x, causal=True)[1][0] > 0\n"
        ),
    },
    "08_preguntas_visuales": {
        # the single-stream model builds its sequence in models/vqa.py (SingleStream.sequence): a
        # wrapper that feeds it the given embeddings through stand-ins must score 0
        "ej4_solucion": (
            "from course_utils.models.vqa import SingleStream as _Stream\n\n\n"
            "def single_stream_input(words, patches, text_positions, image_positions, type_embeddings, text_mask):\n"
            "    model = _Stream(vocab_size=2, answers=2, dim=words.shape[-1], heads=1, max_words=words.shape[1])\n"
            "    object.__setattr__(model, 'tokens', lambda ids: words + text_positions)\n"
            "    object.__setattr__(model, 'cells', lambda images: patches + image_positions)\n"
            "    object.__setattr__(model, 'types', lambda kinds: type_embeddings[kinds])\n"
            "    tokens = torch.ones(words.shape[:2], dtype=torch.long)\n"
            "    sequence, mask = model.sequence(patches, tokens, text_mask)\n"
            "    return sequence[:, 1:], mask[:, 1:]\n"
        ),
    },
}
