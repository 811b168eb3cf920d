"""Evaluation of binary classifiers with scikit-learn's metrics (aggressive = class 1)."""
from __future__ import annotations

from typing import Iterable

import numpy as np
import torch
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.utils.class_weight import compute_class_weight


def classification_scores(y_true, y_pred) -> dict[str, object]:
    """Accuracy, macro-F1, F1 of the aggressive class (1) and the 2×2 confusion matrix."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "f1_aggressive": float(f1_score(y_true, y_pred, pos_label=1, zero_division=0)),
        "confusion": confusion_matrix(y_true, y_pred, labels=[0, 1]),
    }


@torch.no_grad()
def evaluate_model(model: torch.nn.Module, loader: Iterable, device: torch.device | str = "cpu") -> dict[str, object]:
    """Scores of ``model`` over a loader of ``(*inputs, label)`` batches, in eval mode."""
    was_training = model.training
    model.eval()
    preds, truth = [], []
    for *inputs, y in loader:
        preds.append(model(*(x.to(device) for x in inputs)).argmax(dim=-1).cpu())
        truth.append(y)
    model.train(was_training)
    return classification_scores(torch.cat(truth).numpy(), torch.cat(preds).numpy())


def balanced_class_weights(labels) -> torch.Tensor:
    """Weights ``n / (n_classes * count_c)`` per class, for a weighted cross-entropy."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    return torch.tensor(compute_class_weight("balanced", classes=classes, y=labels), dtype=torch.float32)
