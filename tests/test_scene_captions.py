"""course_utils/datasets/scene_captions.py: every caption the generator writes parses back to its
scene, wrong captions are caught attribute by attribute, and the held-out compositions never
reach training."""

import numpy as np

from course_utils.datasets.captions_generator import Scene, Thing, all_captions
from course_utils.datasets.scene_captions import ATTRIBUTES, attribute_hits, caption_splits, descriptions, parse_caption
from course_utils.datasets.scene_concepts import HELD_OUT


def test_every_generated_caption_parses_back_to_its_scene():
    for shape, colour, size, position in descriptions():
        for caption in all_captions(Scene(Thing(shape, colour, size), position=position)):
            parsed = parse_caption(caption)
            assert tuple(parsed[a] for a in ATTRIBUTES) == (shape, colour, size, position), caption


def test_wrong_or_ambiguous_captions_are_not_correct():
    truth = [("círculo", "rojo", "grande", "izquierda")] * 4
    captions = [
        "un círculo rojo grande a la izquierda",
        "un círculo verde grande a la izquierda",  # wrong colour: high BLEU, false
        "un círculo rojo grande",  # no position
        "un círculo rojo grande a la izquierda y a la derecha",  # two positions
    ]
    hits = attribute_hits(captions, truth)
    assert hits.all(1).tolist() == [True, False, False, False]
    assert hits[1].tolist() == [True, False, True, True]
    assert parse_caption("una cruz naranja pequeña")["color"] == "naranja"
    assert parse_caption("una cruz roja")["color"] == "rojo"


def test_held_out_compositions_only_in_the_unseen_test():
    splits = caption_splits(120, 30, 30, seed=3, sizes=("grande",))
    every = descriptions()
    for name in ("train", "val", "test_seen"):
        pairs = {every[i][:2] for i in getattr(splits, name).description}
        assert not pairs & set(HELD_OUT), name
    unseen = {every[i][:2] for i in splits.test_unseen.description}
    assert unseen <= set(HELD_OUT) and len(unseen) > 1
    assert {every[i][2] for i in splits.train.description} == {"grande"}
    assert not np.array_equal(splits.train.images[:30], splits.val.images)
