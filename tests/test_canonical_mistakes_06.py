"""Chapter 06: each visible test cell catches the mistake its section teaches, and names it.

Each mistaken answer runs against the visible part of the graded cell (before its hidden
tests) in a fresh namespace with the chapter's imports; the solution passes the same cell.
"""

import pytest

import conftest as shared
from conftest import graded_cell

CHAPTER = "06_vit_clip"
IMPORTS = (
    "import math\nimport numpy as np\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
    "from course_utils.checks import check_close, check_shape, check_true, visible_tests_passed\n"
    "from course_utils.models.vit import patch_embed_as_linear, patchify\n"
)


def _cell(grade_id):
    return graded_cell(CHAPTER, grade_id)


def run_visible_tests(exercise, answer):
    shared.run_visible_tests(CHAPTER, exercise, answer, IMPORTS)


NO_POSITIONS = """
def add_class_token(patches, cls_token, positions):
    return torch.cat([cls_token.expand(patches.shape[0], -1, -1), patches], dim=1)
"""

IGNORES_POSITIVES = """
def clip_loss(logits, positives):
    targets = torch.arange(len(logits))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
"""

ROWS_ONLY = """
def clip_loss(logits, positives):
    weights = positives.float() / positives.float().sum(1, keepdim=True)
    rows = -(weights * logits.log_softmax(dim=1)).sum(1).mean()
    columns = -(weights * logits.log_softmax(dim=0)).sum(0).mean()
    return (rows + columns) / 2
"""

NO_NORMALISATION = """
def zero_shot_predict(image_embeddings, prompt_embeddings):
    return (image_embeddings @ prompt_embeddings.mean(dim=1).T).argmax(dim=1)
"""

AVERAGE_BEFORE_NORMALISING = """
def zero_shot_predict(image_embeddings, prompt_embeddings):
    classes = F.normalize(prompt_embeddings.mean(dim=1), dim=-1)
    return (F.normalize(image_embeddings, dim=-1) @ classes.T).argmax(dim=1)
"""

SCALE_NOT_IN_LOG_SPACE = """
class LearnableTemperature(nn.Module):
    def __init__(self, temperature=0.07, max_scale=100.0):
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(1 / temperature))
        self.max_scale = max_scale

    def forward(self):
        return self.log_scale.clamp(max=self.max_scale)
"""

NOT_CLAMPED = """
class LearnableTemperature(nn.Module):
    def __init__(self, temperature=0.07, max_scale=100.0):
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / temperature)))
        self.max_scale = max_scale

    def forward(self):
        return self.log_scale.exp()
"""


MISTAKES = {
    "class token and no positions": (2, NO_POSITIONS, "¿sumas las posiciones"),
    "multi-positive loss that ignores the positives": (4, IGNORES_POSITIVES, "ignora `positives`"),
    "columns normalised by the rows' counts": (4, ROWS_ONLY, "cada columna entre los suyos"),
    "zero-shot without normalising": (5, NO_NORMALISATION, "normaliza"),
    "zero-shot that averages the prompts before normalising them": (
        5,
        AVERAGE_BEFORE_NORMALISING,
        "normaliza cada prompt antes de promediar",
    ),
    "temperature stored as the scale, not its log": (3, SCALE_NOT_IN_LOG_SPACE, "espacio logarítmico"),
    "temperature without the clamp": (3, NOT_CLAMPED, "recortar"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_visible_test_names_the_canonical_mistake(mistake):
    exercise, answer, message = MISTAKES[mistake]
    with pytest.raises(AssertionError) as failure:
        run_visible_tests(exercise, answer)
    assert message in str(failure.value)


@pytest.mark.parametrize("exercise", sorted({e for e, _, _ in MISTAKES.values()}))
def test_the_solution_passes_the_same_visible_tests(exercise):
    run_visible_tests(exercise, _cell(f"ej{exercise}_solucion"))
