"""Chapter 05 on an instructor's own data: a real-Flickr8k-layout folder with 30 photos and
English captions runs end to end in FAST mode (subsets shrink to the data, the Spanish
zero-shot judgement is skipped with a message, the figures survive tiny sets)."""

import json

import numpy as np
import pytest
from PIL import Image

from course_utils.tools.environment import patched_environ

CHAPTER = "05_atencion_cruzada"
WORDS = ["dog", "cat", "child", "man", "woman", "ball", "grass", "water", "street", "bike"]
PLACES = ["in the park", "on the beach", "near a wall", "in the snow", "on a road"]


def write_english_flickr(folder, n_images=30, seed=0):
    """A Flickr8k-layout folder: JPEG photos of several sizes, five English captions each, no splits.csv."""
    rng = np.random.default_rng(seed)
    (folder / "Images").mkdir(parents=True)
    rows = ["image,caption"]
    for i in range(n_images):
        name = f"{1000268201 + i}_{i:04x}.jpg"
        size = (int(rng.integers(40, 90)), int(rng.integers(40, 90)))
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(folder / "Images" / name)
        for k in range(5):
            subject, place = WORDS[(i + k) % len(WORDS)], PLACES[(i * 3 + k) % len(PLACES)]
            text = f"A {subject} is playing {place} ." if k != 2 else f'"A {subject}, happy, {place}"'
            rows.append(f"{name},{text}")
    (folder / "captions.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.mark.notebook
def test_thirty_english_photos_run_in_fast_mode(tmp_path):
    from course_utils.tools.runner import run_notebook

    data = write_english_flickr(tmp_path / "flickr8k")
    with patched_environ(COURSE_CAPTIONS_DIR=str(data)):
        result = run_notebook(CHAPTER, tmp_path / "out", fast=True, progress=False)
    assert result.status == "ok", f"{CHAPTER} failed on a 30-image English set:\n{result.error}"
    executed = json.loads((tmp_path / "out" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    text = "".join(
        "".join(o.get("text", "")) for c in executed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
    )
    assert "Flickr8k real" in text and "entrenamiento 24 · validación 3 · prueba 3 imágenes" in text
    assert "se omite el juicio zero-shot" in text
    assert result.metrics["nb05_ablacion_ejecuciones"] > 0
