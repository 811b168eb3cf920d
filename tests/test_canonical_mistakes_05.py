"""Chapter 05's visible tests catch the canonical mistakes of exercises 3 and 4, and say so.

Each mistaken answer runs against the visible part of the graded test cell (before its hidden
tests) in a fresh namespace with the chapter's imports; the solution passes the same cell,
so a failure is the mistake, not the harness.
"""

import pytest

import conftest as shared
from conftest import graded_cell

CHAPTER = "05_atencion_cruzada"
IMPORTS = (
    "import numpy as np\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
    "from course_utils.checks import check_close, check_shape, check_true, visible_tests_passed\n"
)


def _cell(grade_id):
    return graded_cell(CHAPTER, grade_id)


def _solution(grade_id):
    return _cell(grade_id).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")


def run_visible_tests(exercise, answer):
    shared.run_visible_tests(CHAPTER, exercise, answer, IMPORTS)


EMPTY_FORWARD = """
class CrossAttentionNormResidual(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.image_norm = nn.LayerNorm(dim)
        self.text_norm = nn.LayerNorm(dim)

    def forward(self, image, text, text_mask):
        return image, text
"""

RESIDUAL_OF_NORMALISED = """
class CrossAttentionNormResidual(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.image_norm = nn.LayerNorm(dim)
        self.text_norm = nn.LayerNorm(dim)

    def forward(self, image, text, text_mask):
        img, txt = self.image_norm(image), self.text_norm(text)
        s = (img @ txt.transpose(-2, -1)) / img.shape[-1] ** 0.5
        image_att = s.masked_fill(~text_mask.unsqueeze(-2), float("-inf")).softmax(-1) @ txt
        text_att = ((txt @ img.transpose(-2, -1)) / img.shape[-1] ** 0.5).softmax(-1) @ img
        return img + image_att, txt + text_att
"""

ATTENTION_ON_RAW_INPUTS = """
class CrossAttentionNormResidual(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.image_norm = nn.LayerNorm(dim)
        self.text_norm = nn.LayerNorm(dim)

    def forward(self, image, text, text_mask):
        s = (image @ text.transpose(-2, -1)) / image.shape[-1] ** 0.5
        image_att = s.masked_fill(~text_mask.unsqueeze(-2), float("-inf")).softmax(-1) @ text
        text_att = ((text @ image.transpose(-2, -1)) / image.shape[-1] ** 0.5).softmax(-1) @ image
        return image + image_att, text + text_att
"""

NO_MASK_V0 = """
class CrossAttentionV0(nn.Module):
    def forward(self, image, text, text_mask):
        scale = image.shape[-1] ** -0.5
        image_out = ((image @ text.transpose(-2, -1)) * scale).softmax(-1) @ text
        text_out = ((text @ image.transpose(-2, -1)) * scale).softmax(-1) @ image
        return image_out, text_out
"""


@pytest.mark.parametrize("exercise", [3, 4])
def test_the_solution_passes_its_visible_tests(exercise):
    run_visible_tests(exercise, _solution(f"ej{exercise}_solucion"))


@pytest.mark.parametrize(
    "answer, message",
    [
        (EMPTY_FORWARD, "la salida es igual a la entrada: falta sumar la atención"),
        (RESIDUAL_OF_NORMALISED, "la residual suma la entrada ORIGINAL"),
        (ATTENTION_ON_RAW_INPUTS, "la atención usa las entradas NORMALIZADAS"),
    ],
    ids=["empty_forward", "residual_of_normalised", "attention_on_raw_inputs"],
)
def test_exercise_4_visible_test_names_the_mistake(answer, message):
    with pytest.raises(AssertionError, match=message):
        run_visible_tests(4, answer)


def test_exercise_3_visible_test_names_the_missing_mask():
    with pytest.raises(AssertionError, match="no has aplicado la máscara"):
        run_visible_tests(3, NO_MASK_V0)
