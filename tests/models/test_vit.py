"""course_utils/models/vit.py's hybrid_vit: the convolutional stem, then a ViT on its feature maps."""

import pytest
import torch

from course_utils.models.vit import ViT, conv_stem, hybrid_vit
from support.threads import one_thread  # noqa: F401 - autouse fixture


def test_hybrid_vit_is_the_stem_then_a_vit_on_a_quarter_of_the_side():
    torch.manual_seed(0)
    model = hybrid_vit(image_size=16, in_channels=3, stem_width=8, patch_size=2, dim=16, depth=1, heads=2)
    torch.manual_seed(0)
    by_hand = ViT(image_size=4, patch_size=2, in_channels=8, dim=16, depth=1, heads=2, stem=conv_stem(3, 8))
    assert model.positions.shape == (1, (4 // 2) ** 2 + 1, 16)
    pairs = zip(model.state_dict().items(), by_hand.state_dict().items())
    assert all(a == b and torch.equal(x, y) for (a, x), (b, y) in pairs)
    images = torch.rand(2, 3, 16, 16)
    torch.testing.assert_close(model.tokens(images), by_hand.tokens(images))
    with pytest.raises(ValueError, match="múltiplo de 4"):
        hybrid_vit(image_size=30)
