"""BLEU-4 and CIDEr-D (course_utils/caption_metrics.py) against pycocoevalcap's definitions.

The expected numbers were computed once with pycocoevalcap 1.2 (``Bleu(4).compute_score`` and
``Cider().compute_score`` on the strings below, already tokenised); the package itself (100 MB
with its Java tools) is not a dependency of the course, so the direct comparison runs only where
it is installed. The hand-checkable cases make the definitions visible.
"""

import math

import pytest

from course_utils.caption_metrics import bleu, bleu4, cider_d

CANDIDATES = [
    "un círculo rojo grande a la izquierda",
    "hay un cuadrado verde",
    "una cruz naranja pequeña en el centro",
    "un rombo azul grande arriba a la derecha",
    "rojo",
]
REFERENCES = [
    ["un círculo rojo grande a la izquierda", "hay un círculo grande de color rojo a la izquierda"],
    ["hay un cuadrado verde pequeño abajo", "un cuadrado verde pequeño abajo", "abajo, un cuadrado verde pequeño"],
    ["una cruz naranja pequeña en el centro"],
    ["un rombo azul grande arriba", "hay un rombo grande de color azul arriba"],
    ["un triángulo rojo pequeño a la derecha", "un pequeño triángulo rojo en la parte derecha"],
]
# pycocoevalcap 1.2 on CANDIDATES / REFERENCES
PYCOCO_BLEU = [0.6858870636962254, 0.6760741536128224, 0.6648711953944162, 0.6497115458447622]
PYCOCO_CIDER = 5.339499974547001
PYCOCO_CIDER_EACH = [6.629476843957285, 5.2469529584817, 10.0, 4.410572370284618, 0.41049770001140157]


def test_bleu_matches_pycocoevalcap():
    assert bleu(CANDIDATES, REFERENCES) == pytest.approx(PYCOCO_BLEU, rel=1e-12)
    assert bleu4(CANDIDATES, REFERENCES) == pytest.approx(PYCOCO_BLEU[-1], rel=1e-12)


def test_cider_d_matches_pycocoevalcap():
    mean, each = cider_d(CANDIDATES, REFERENCES)
    assert mean == pytest.approx(PYCOCO_CIDER, rel=1e-12)
    assert each == pytest.approx(PYCOCO_CIDER_EACH, rel=1e-12)


def test_against_the_package_when_installed():
    bleu_module = pytest.importorskip("pycocoevalcap.bleu.bleu")
    cider_module = pytest.importorskip("pycocoevalcap.cider.cider")
    gts = dict(enumerate(REFERENCES))
    res = {i: [c] for i, c in enumerate(CANDIDATES)}
    assert bleu(CANDIDATES, REFERENCES) == pytest.approx(bleu_module.Bleu(4).compute_score(gts, res, verbose=0)[0])
    assert cider_d(CANDIDATES, REFERENCES)[0] == pytest.approx(cider_module.Cider().compute_score(gts, res)[0])


def test_bleu_by_hand():
    # identical: every precision 1, no brevity penalty
    assert bleu4(["a b c d e"], [["a b c d e"]]) == pytest.approx(1.0)
    # 4 words out of a 5-word reference, all n-grams right: penalty exp(1 - 5/4)
    assert bleu4(["a b c d"], [["a b c d e"]]) == pytest.approx(math.exp(1 - 5 / 4))
    # clipping: "a a a a" against "a b" has unigram precision 1/4, no bigram right → 0
    assert bleu(["a a a a"], [["a b c d"]], n=1)[0] == pytest.approx(0.25)
    assert bleu4(["a a a a"], [["a b c d"]]) == pytest.approx(0.0, abs=1e-9)
    # the closest reference length decides the penalty (ties: the shorter)
    assert bleu(["a b c"], [["a b c d", "a b"]], n=1)[0] == pytest.approx(1.0)  # 2 chosen: no penalty
    assert bleu(["a b c"], [["a b c d"]], n=1)[0] == pytest.approx(math.exp(1 - 4 / 3))


def test_cider_d_by_hand():
    # a candidate equal to its only reference: every cosine 1 → 10 (when its n-grams are informative)
    mean, each = cider_d(["a b c d", "e f g h"], [["a b c d"], ["e f g h"]])
    assert each == pytest.approx([10.0, 10.0])
    # n-grams shared by every image's references have idf log(2) - log(2) = 0: no credit
    assert cider_d(["x"], [["x"]])[0] == pytest.approx(0.0)
    # the clip: repeating a right word does not raise the score
    once = cider_d(["a b", "c d"], [["a b"], ["c d"]])[1][0]
    twice = cider_d(["a a b", "c d"], [["a b"], ["c d"]])[1][0]
    assert twice < once


def test_bad_input_is_refused_in_spanish():
    with pytest.raises(ValueError, match="candidatas"):
        bleu4("un círculo", [["un círculo"]])
    with pytest.raises(ValueError, match="referencia"):
        cider_d(["un círculo"], ["un círculo"])
