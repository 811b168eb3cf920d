"""Chapter 04 (agresividad y dropout): plausible mistakes and correct variants.

Exercise 1 is the intermediate-fusion network with optional dropout; exercise 2 the evaluation
function (accuracy, macro-F1, F1 of the aggressive class, confusion matrix). Each source is a
whole solution cell as a student would write it.
"""

from wrong_answers import Wrong

_NET_HEAD = (
    "class AggressionFusionNet(nn.Module):\n"
    "    def __init__(self, tfidf_dim, emb_dim, dropout=0.0, n_classes=2):\n"
    "        super().__init__()\n"
)
_NET_BODY = (
    "        self.tfidf_branch = mlp([tfidf_dim, *TFIDF_HIDDEN], dropout)\n"
    "        self.emb_branch = mlp([emb_dim, *EMB_HIDDEN], dropout)\n"
    "        self.fusion = mlp([TFIDF_HIDDEN[-1] + EMB_HIDDEN[-1], *FUSED_HIDDEN], dropout)\n"
    "        self.output = nn.Linear(FUSED_HIDDEN[-1], n_classes)\n"
)
_FORWARD = (
    "\n    def forward(self, tfidf, emb):\n"
    "        fused = torch.cat([self.tfidf_branch(tfidf), self.emb_branch(emb)], dim=-1)\n"
    "        return self.output(self.fusion(fused))\n"
)


def _net(body: str = _NET_BODY, forward: str = _FORWARD) -> str:
    return _NET_HEAD + body + forward


_EVALUATE_HEAD = (
    "from sklearn.metrics import accuracy_score, confusion_matrix\n\n\n"
    "def evaluate(model, loader):\n"
    "    model.eval()\n"
    "    preds, truth = [], []\n"
    "    with torch.no_grad():\n"
    "        for tfidf, emb, y in loader:\n"
    "            preds.append(model(tfidf, emb).argmax(dim=-1))\n"
    "            truth.append(y)\n"
    "    y_pred, y_true = torch.cat(preds).numpy(), torch.cat(truth).numpy()\n"
)


def _evaluate(
    accuracy="accuracy_score(y_true, y_pred)",
    macro='f1_score(y_true, y_pred, average="macro")',
    aggressive="f1_score(y_true, y_pred, pos_label=1)",
    confusion="confusion_matrix(y_true, y_pred, labels=[0, 1])",
    head=_EVALUATE_HEAD,
) -> str:
    return head + (
        f'    return {{"accuracy": {accuracy},\n'
        f'            "macro_f1": {macro},\n'
        f'            "f1_aggressive": {aggressive},\n'
        f'            "confusion": {confusion}}}\n'
    )


WRONG = {
    "ej1_solucion": [
        Wrong(
            "dropout sobre las entradas (antes de cada Linear)",
            _net(
                "        def branch(sizes):\n"
                "            layers = []\n"
                "            for d_in, d_out in zip(sizes[:-1], sizes[1:]):\n"
                "                layers += ([nn.Dropout(dropout)] if dropout else []) + [nn.Linear(d_in, d_out), nn.ReLU()]\n"
                "            return nn.Sequential(*layers)\n"
                "        self.tfidf_branch = branch([tfidf_dim, *TFIDF_HIDDEN])\n"
                "        self.emb_branch = branch([emb_dim, *EMB_HIDDEN])\n"
                "        self.fusion = branch([TFIDF_HIDDEN[-1] + EMB_HIDDEN[-1], *FUSED_HIDDEN])\n"
                "        self.output = nn.Linear(FUSED_HIDDEN[-1], n_classes)\n"
            ),
            visible=("ENTRADAS",),
        ),
        Wrong(
            "devuelve probabilidades (softmax) en vez de logits",
            _net(
                forward=_FORWARD.replace(
                    "return self.output(self.fusion(fused))",
                    "return torch.softmax(self.output(self.fusion(fused)), dim=-1)",
                )
            ),
            visible=("logits",),
        ),
        Wrong(
            "dropout solo en la subred fusionada",
            _net(
                _NET_BODY.replace("*TFIDF_HIDDEN], dropout)", "*TFIDF_HIDDEN])").replace(
                    "*EMB_HIDDEN], dropout)", "*EMB_HIDDEN])"
                )
            ),
            visible=("7 capas Dropout",),
        ),
        Wrong(
            "«congela» la rama de embeddings pre-entrenados con detach: no aprende",
            _net(
                forward=_FORWARD.replace("self.emb_branch(emb)]", "self.emb_branch(emb).detach()]"),
            ),
        ),
        Wrong(
            "tasa de dropout fija (0,5) en vez de la recibida",
            _net(_NET_BODY.replace("], dropout)", "], 0.5 if dropout else 0.0)")),
        ),
        Wrong(
            "ignora n_classes: salida de 2 clases siempre",
            _net(_NET_BODY.replace("nn.Linear(FUSED_HIDDEN[-1], n_classes)", "nn.Linear(FUSED_HIDDEN[-1], 2)")),
        ),
    ],
    "ej2_solucion": [
        Wrong(
            "sin model.eval(): el dropout sigue activo al evaluar",
            _evaluate(head=_EVALUATE_HEAD.replace("    model.eval()\n", "")),
            visible=("model.eval()",),
        ),
        Wrong(
            "matriz de confusión transpuesta (predicha en las filas)",
            _evaluate(confusion="confusion_matrix(y_pred, y_true, labels=[0, 1])"),
            visible=("transpuesta",),
        ),
        Wrong(
            "F1 de la clase no agresiva (pos_label=0)",
            _evaluate(aggressive="f1_score(y_true, y_pred, pos_label=0)"),
            visible=("clase agresiva",),
        ),
        Wrong(
            "macro_f1 ponderada por el soporte (average='weighted')",
            _evaluate(macro='f1_score(y_true, y_pred, average="weighted")'),
            visible=("macro_f1", "weighted"),
        ),
        Wrong(
            "solo cuenta el último lote (la lista se reinicia en el bucle)",
            "from sklearn.metrics import accuracy_score, confusion_matrix\n\n\n"
            "def evaluate(model, loader):\n"
            "    model.eval()\n"
            "    with torch.no_grad():\n"
            "        for tfidf, emb, y in loader:\n"
            "            y_pred = model(tfidf, emb).argmax(dim=-1).numpy()\n"
            "            y_true = y.numpy()\n"
            '    return {"accuracy": accuracy_score(y_true, y_pred),\n'
            '            "macro_f1": f1_score(y_true, y_pred, average="macro"),\n'
            '            "f1_aggressive": f1_score(y_true, y_pred, pos_label=1),\n'
            '            "confusion": confusion_matrix(y_true, y_pred, labels=[0, 1])}\n',
            visible=("accuracy",),
        ),
    ],
}

VARIANTS = {
    "ej1_solucion": [
        # every layer written out, the embedding branch first in the concatenation
        "class AggressionFusionNet(nn.Module):\n"
        "    def __init__(self, tfidf_dim, emb_dim, dropout=0.0, n_classes=2):\n"
        "        super().__init__()\n"
        "        def hidden(d_in, d_out):\n"
        "            return [nn.Linear(d_in, d_out), nn.ReLU()] + ([nn.Dropout(p=dropout)] if dropout > 0 else [])\n"
        "        self.tfidf_branch = nn.Sequential(*hidden(tfidf_dim, 256), *hidden(256, 128), *hidden(128, 64))\n"
        "        self.emb_branch = nn.Sequential(*hidden(emb_dim, 128), *hidden(128, 64))\n"
        "        self.fusion = nn.Sequential(*hidden(128, 64), *hidden(64, 32))\n"
        "        self.output = nn.Linear(32, n_classes)\n"
        "\n"
        "    def forward(self, tfidf, emb):\n"
        "        joint = torch.concat((self.emb_branch(emb), self.tfidf_branch(tfidf)), dim=1)\n"
        "        return self.output(self.fusion(joint))\n",
        # one hidden block per nested Sequential
        "def _block(d_in, d_out, p):\n"
        "    layers = [nn.Linear(d_in, d_out), nn.ReLU()]\n"
        "    if p:\n"
        "        layers.append(nn.Dropout(p))\n"
        "    return nn.Sequential(*layers)\n"
        "\n\n"
        "class AggressionFusionNet(nn.Module):\n"
        "    def __init__(self, tfidf_dim, emb_dim, dropout=0.0, n_classes=2):\n"
        "        super().__init__()\n"
        "        def chain(sizes):\n"
        "            return nn.Sequential(*[_block(a, b, dropout) for a, b in zip(sizes[:-1], sizes[1:])])\n"
        "        self.tfidf_branch = chain((tfidf_dim,) + TFIDF_HIDDEN)\n"
        "        self.emb_branch = chain((emb_dim,) + EMB_HIDDEN)\n"
        "        self.fusion = chain((TFIDF_HIDDEN[-1] + EMB_HIDDEN[-1],) + FUSED_HIDDEN)\n"
        "        self.output = nn.Linear(FUSED_HIDDEN[-1], n_classes)\n"
        "\n"
        "    def forward(self, tfidf, emb):\n"
        "        h = torch.hstack([self.tfidf_branch(tfidf), self.emb_branch(emb)])\n"
        "        return self.output(self.fusion(h))\n",
    ],
    "ej2_solucion": [
        # the counts by hand with NumPy, and the model's mode restored afterwards
        "def evaluate(model, loader):\n"
        "    was_training = model.training\n"
        "    model.eval()\n"
        "    y_true, y_pred = [], []\n"
        "    with torch.inference_mode():\n"
        "        for tfidf, emb, y in loader:\n"
        "            y_pred += model(tfidf, emb).argmax(dim=1).tolist()\n"
        "            y_true += y.tolist()\n"
        "    model.train(was_training)\n"
        "    y_true, y_pred = np.array(y_true), np.array(y_pred)\n"
        "    confusion = np.zeros((2, 2), dtype=np.int64)\n"
        "    np.add.at(confusion, (y_true, y_pred), 1)\n"
        "    def f1(c):\n"
        "        tp = np.sum((y_pred == c) & (y_true == c))\n"
        "        denominator = np.sum(y_pred == c) + np.sum(y_true == c)\n"
        "        return 2 * tp / denominator if denominator else 0.0\n"
        '    return {"accuracy": float(np.mean(y_true == y_pred)), "macro_f1": (f1(0) + f1(1)) / 2,\n'
        '            "f1_aggressive": f1(1), "confusion": confusion}\n',
        # sklearn's report and confusion matrix, predictions kept as one NumPy array
        "from sklearn.metrics import classification_report, confusion_matrix\n\n\n"
        "def evaluate(model, loader):\n"
        "    model.eval()\n"
        "    with torch.no_grad():\n"
        "        pairs = [(model(a, b).argmax(-1).numpy(), y.numpy()) for a, b, y in loader]\n"
        "    y_pred = np.concatenate([p for p, _ in pairs])\n"
        "    y_true = np.concatenate([t for _, t in pairs])\n"
        "    report = classification_report(y_true, y_pred, labels=[0, 1], output_dict=True, zero_division=0)\n"
        '    return {"accuracy": float((y_true == y_pred).mean()), "macro_f1": report["macro avg"]["f1-score"],\n'
        '            "f1_aggressive": report["1"]["f1-score"], "confusion": confusion_matrix(y_true, y_pred, labels=[0, 1])}\n',
    ],
}
