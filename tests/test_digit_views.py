"""The three complementary views of scikit-learn's digits."""

import numpy as np
import pytest

from course_utils.datasets.digits_views import SPLITS, load_digit_views, make_views


@pytest.fixture(scope="module")
def views():
    return load_digit_views(seed=3)


def test_shapes_and_split_sizes(views):
    sizes = views.sizes()
    assert sum(sizes.values()) == 1797
    assert abs(sizes["train"] - 0.6 * 1797) <= 2 and abs(sizes["test"] - 0.2 * 1797) <= 2
    for name in SPLITS:
        split = views.split(name)
        n = len(split["label"])
        assert split["image"].shape == (n, 8, 4, 1)
        assert split["tabular"].shape == (n, 13)
        assert split["signal"].shape == (n, 16)
        assert split["image"].dtype == np.float32


def test_standardised_with_training_statistics_only(views):
    train = views.split("train")
    assert np.allclose(train["tabular"].mean(axis=0), 0, atol=1e-5)
    assert np.allclose(train["tabular"].std(axis=0), 1, atol=1e-4)
    assert not np.allclose(views.split("test")["tabular"].mean(axis=0), 0, atol=1e-3)


def test_raw_undoes_standardisation(views):
    raw = views.raw("train", "image")
    assert raw.min() >= -1e-6 and raw.max() <= 1 + 1e-6


def test_splits_are_stratified_and_seeded():
    a, b, c = load_digit_views(seed=1), load_digit_views(seed=1), load_digit_views(seed=2)
    assert np.array_equal(a.split("test")["tabular"], b.split("test")["tabular"])
    assert not np.array_equal(a.split("test")["label"], c.split("test")["label"])
    counts = np.bincount(a.split("test")["label"], minlength=10)
    assert counts.min() >= 33 and counts.max() <= 38


def test_views_see_different_halves():
    rng = np.random.default_rng(0)
    images = np.zeros((2, 8, 8))
    images[1, :, 4:] = 1.0  # ink only on the right half
    v = make_views(images, rng, signal_noise=0.0)
    assert np.all(v["image"][1] == 0), "the image view is the left half"
    assert v["tabular"][1, -1] == 32 and v["tabular"][0, -1] == 0, "tabular counts right-half ink"
    assert np.allclose(v["signal"][1], [0.0, 1.0] * 8), "each row is scanned as left group, right group"


def test_unknown_split_is_a_clear_error(views):
    with pytest.raises(KeyError, match="partición desconocida"):
        views.split("validation")
