"""Fusion operations and layers, one module per framework with the same names in both.

``course_utils.fusion.torch`` holds the PyTorch versions, ``course_utils.fusion.keras`` the
Keras 3 ones. Notebook 01 builds each of them in the open; later chapters import them here.
"""
