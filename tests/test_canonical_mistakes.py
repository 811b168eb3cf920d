"""The visible tests of chapters 01–04 catch the mistake each section teaches, and say so.

Each mistaken answer is run against the chapter's visible test cell (the part of the graded
cell before its hidden tests) in a fresh namespace with the chapter's imports; the solution
itself passes the same cell, so a failure here is the mistake, not the harness.
Chapters 03 and 04 are judged against their whole wrong-answer corpus, visible and hidden
tests, in test_canonical_mistakes_03_04.py.
"""

import pytest

import conftest as shared
from conftest import graded_cell, visible_tests

IMPORTS = (
    "import math\nimport numpy as np\nimport torch\nfrom torch import nn\n"
    "from torch.utils.data import DataLoader, TensorDataset\n"
    "from sklearn.model_selection import train_test_split\n"
    "from sklearn.metrics import f1_score\n"
    "from course_utils.checks import (check_close, check_grad_flows, check_named_grads_flow, check_raises,\n"
    "                                 check_shape, check_true, visible_tests_passed)\n"
    "from course_utils.models.aggression import EMB_HIDDEN, FUSED_HIDDEN, TFIDF_HIDDEN\n"
    "from course_utils.models.fusion_nets import mlp\n"
)


# Exercises whose tests need more than IMPORTS (Keras is imported only where it is used).
EXTRA_IMPORTS = {
    ("02_estrategias_fusion", 2): (
        "from course_utils import set_seed\nimport keras\nfrom keras import layers\n"
        "from course_utils.datasets.digits_views import N_CLASSES\n"
    ),
}


def run_visible_tests(chapter, exercise, answer):
    """Run exercise ``exercise``'s visible tests against ``answer`` with the chapters' imports."""
    shared.run_visible_tests(chapter, exercise, answer, IMPORTS + EXTRA_IMPORTS.get((chapter, exercise), ""))


WEIGHTS_OVER_FEATURES = """
class WeightedAverage(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_inputs))

    def fusion_weights(self):
        return torch.softmax(self.logits, dim=0)

    def forward(self, inputs):
        stacked = torch.stack(list(inputs), dim=0)            # (modalidades, lote, características)
        return (stacked * self.fusion_weights()).sum(dim=0)   # los pesos caen sobre las características
"""

SOFTMAX_OUTPUT = """
class IntermediateFusion(nn.Module):
    def __init__(self, image_encoder, tabular_encoder, image_dim, tabular_dim, hidden=64, n_classes=10):
        super().__init__()
        self.image_branch = image_encoder
        self.tabular_branch = tabular_encoder
        self.fusion = nn.Sequential(nn.Linear(image_dim + tabular_dim, hidden), nn.ReLU())
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, image, tabular):
        fused = torch.cat([self.image_branch(image), self.tabular_branch(tabular)], dim=-1)
        return torch.softmax(self.output(self.fusion(fused)), dim=-1)
"""

ALWAYS_KEEPS_MODALITY_0 = """
def modality_dropout(inputs, p, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(p)
    inputs = list(inputs)
    if p == 0.0 or not inputs:
        return inputs
    batch, n_mod = inputs[0].shape[0], len(inputs)
    keep = torch.rand(batch, n_mod, generator=generator) >= p
    keep[~keep.any(dim=1), 0] = True
    return [x * keep[:, m].to(x.dtype).reshape(batch, *([1] * (x.dim() - 1))) for m, x in enumerate(inputs)]
"""

CONCAT_OVER_THE_BATCH = """
def fuse_concat(tensors):
    if len(tensors) == 0:
        raise ValueError("vacía")
    lead = tensors[0].shape[:-1]
    for t in tensors[1:]:
        if t.shape[:-1] != lead:
            raise ValueError("dimensiones iniciales distintas")
    return torch.cat(list(tensors), dim=0)   # el eje del lote, no el de las características
"""

TENSOR_FUSION_WITHOUT_THE_1 = """
def tensor_fusion(a, b):
    if a.shape[:-1] != b.shape[:-1]:
        raise ValueError("lotes distintos")
    return (a.unsqueeze(-1) * b.unsqueeze(-2)).flatten(start_dim=-2)   # sin añadir el 1: solo términos bimodales
"""

COPIED_WEIGHTS = """
def feature_extractor(model, layer_name):
    copia = keras.models.clone_model(model)          # una copia: los pesos dejan de compartirse
    copia.set_weights(model.get_weights())
    return keras.Model(inputs=copia.inputs, outputs=copia.get_layer(layer_name).output)
"""

AREA_NOT_DIVIDED_BY_THE_RANGE = """
def robustness_auc(levels, accuracies):
    levels, accuracies = np.asarray(levels, dtype=float), np.asarray(accuracies, dtype=float)
    if levels.shape != accuracies.shape or levels.ndim != 1 or len(levels) < 2:
        raise ValueError("niveles y exactitudes")
    if np.any(np.diff(levels) <= 0):
        raise ValueError("niveles no crecientes")
    return float(np.sum((accuracies[1:] + accuracies[:-1]) / 2 * np.diff(levels)))   # sin dividir por el rango
"""

MISTAKES = {
    "concatenation over the batch axis": (
        "01_operaciones_fusion",
        1,
        CONCAT_OVER_THE_BATCH,
        "Concatena sobre el eje de las características (dim=-1), no sobre el lote",
    ),
    "tensor fusion without appending the 1": (
        "01_operaciones_fusion",
        5,
        TENSOR_FUSION_WITHOUT_THE_1,
        "falta añadir el 1 a cada vector antes del producto exterior",
    ),
    "feature extractor that copies the weights instead of sharing them": (
        "02_estrategias_fusion",
        2,
        COPIED_WEIGHTS,
        "feature_extractor copia los pesos en lugar de compartirlos",
    ),
    "robustness AUC not divided by the range of levels": (
        "02_estrategias_fusion",
        5,
        AREA_NOT_DIVIDED_BY_THE_RANGE,
        "Falta dividir por el rango de los niveles",
    ),
    "weighted average over the features, not the modalities": (
        "01_operaciones_fusion",
        3,
        WEIGHTS_OVER_FEATURES,
        "la media ponderada debe pesar y sumar sobre las modalidades",
    ),
    "softmax probabilities instead of logits": (
        "02_estrategias_fusion",
        3,
        SOFTMAX_OUTPUT,
        "debe devolver logits, sin softmax",
    ),
    "modality dropout always rescues modality 0": (
        "02_estrategias_fusion",
        6,
        ALWAYS_KEEPS_MODALITY_0,
        "la que se conserva debe elegirse al azar, no siempre la primera",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_visible_test_names_the_canonical_mistake(mistake):
    chapter, exercise, answer, message = MISTAKES[mistake]
    with pytest.raises(AssertionError) as failure:
        run_visible_tests(chapter, exercise, answer)
    assert message in str(failure.value)


IN_PLACE_SUM = """
def fuse_elementwise(tensors, mode="sum"):
    out = tensors[0]                       # no es una copia: += escribe en el primer tensor
    for t in tensors[1:]:
        if mode in ("sum", "mean"):
            out += t
        elif mode == "max":
            out = torch.maximum(out, t)
        else:
            out *= t
    return out / len(tensors) if mode == "mean" else out
"""


def test_an_in_place_bug_in_exercise_2_costs_only_exercise_2():
    """01: an in-place exercise 2 fails its own tests, and a correct exercise 3 run after it in the
    same kernel still passes (each test cell builds its own tensors)."""
    chapter = "01_operaciones_fusion"
    namespace = {}
    exec(IMPORTS + IN_PLACE_SUM + graded_cell(chapter, "ej3_solucion"), namespace)  # noqa: S102
    with pytest.raises(AssertionError):
        exec(visible_tests(chapter, "ej2_pruebas"), namespace)  # noqa: S102
    exec(visible_tests(chapter, "ej3_pruebas"), namespace)  # noqa: S102


@pytest.mark.parametrize("chapter, exercise", sorted({(c, e) for c, e, _, _ in MISTAKES.values()}))
def test_the_solution_passes_the_same_visible_tests(chapter, exercise):
    run_visible_tests(chapter, exercise, graded_cell(chapter, f"ej{exercise}_solucion"))
