"""Fusion layers reused across chapters (Keras: :mod:`course_utils.fusion.keras`).

The graded fusion exercises of notebooks 01 and 02 (concatenation, element-wise, weighted,
gated and tensor fusion, late fusion, feature extractors, modality dropout) have no
reference here: students write them, and only the notebooks' hidden tests check them.
"""
