"""Evaluation helpers agree with scikit-learn and respect eval mode."""
import numpy as np
import torch
from sklearn.metrics import f1_score
from torch.utils.data import DataLoader, TensorDataset

from course_utils.evaluation import balanced_class_weights, classification_scores, evaluate_model
from course_utils.models.aggression import AggressionFusionNet


def test_classification_scores():
    s = classification_scores([1, 0, 0, 1, 1], [1, 1, 0, 0, 1])
    assert s["accuracy"] == 0.6
    assert np.array_equal(s["confusion"], [[1, 1], [1, 2]])
    assert s["macro_f1"] == f1_score([1, 0, 0, 1, 1], [1, 1, 0, 0, 1], average="macro")


def test_balanced_weights():
    w = balanced_class_weights([0, 0, 0, 1])
    assert torch.allclose(w, torch.tensor([4 / 6, 4 / 2]))


def test_evaluate_model_uses_eval_mode_and_restores_it():
    torch.manual_seed(0)
    net = AggressionFusionNet(20, 10, dropout=0.5)
    data = DataLoader(TensorDataset(torch.rand(50, 20), torch.randn(50, 10), torch.randint(0, 2, (50,))), batch_size=16)
    net.train()
    a, b = evaluate_model(net, data), evaluate_model(net, data)
    assert np.array_equal(a["confusion"], b["confusion"]) and net.training
    assert sum(isinstance(m, torch.nn.Dropout) for m in net.modules()) == 7
