"""Chapter 08 (preguntas visuales): plausible mistakes and correct variants.

Exercise 1 is CLEVR's rejection rule (``accept_answer``), exercise 2 the per-family accuracy and
the per-family training majority, exercise 3 a FiLM layer, exercise 4 the single-stream input
(text then image, positions and modality-type embeddings, the joint mask). Each source is a
whole solution cell as a student would write it; the notebook has already imported ``np``,
``torch``, ``F`` and ``nn``.
"""

from wrong_answers import Wrong

# --- exercise 1: accept_answer ------------------------------------------------------------------


def _accept(body: str, checks: bool = True) -> str:
    return (
        "def accept_answer(counts, answer):\n"
        + (
            "    if answer not in counts or len(counts) < 2:\n        raise ValueError('respuesta o cuentas no válidas')\n"
            if checks
            else ""
        )
        + "    ordered = sorted(counts.values())\n"
        + "    current = counts[answer]\n"
        + body
    )


_GOOD_RULE = "    return not (current > 1.1 * ordered[-2] or current > 5 * max(ordered[len(ordered) // 2], 5))\n"

# --- exercise 2: accuracy_by_family, majority_by_family -----------------------------------------

_ACCURACY = (
    "def accuracy_by_family(predicted, answers, families):\n"
    "    predicted, answers, families = np.asarray(predicted), np.asarray(answers), np.asarray(families)\n"
    "    if not len(predicted) == len(answers) == len(families):\n"
    "        raise ValueError('longitudes distintas')\n"
    "    return {str(f): float(np.mean(predicted[families == f] == answers[families == f])) for f in np.unique(families)}\n"
)
_MAJORITY = (
    "def majority_by_family(train_answers, train_families, answers, families):\n"
    "    train_answers, train_families = np.asarray(train_answers), np.asarray(train_families)\n"
    "    answers, families = np.asarray(answers), np.asarray(families)\n"
    "    out = {}\n"
    "    for f in np.unique(families):\n"
    "        seen = train_answers[train_families == f]\n"
    "        if len(seen) == 0:\n"
    "            raise ValueError('familia sin entrenamiento')\n"
    "        values, counts = np.unique(seen, return_counts=True)\n"
    "        out[str(f)] = float(np.mean(answers[families == f] == values[counts.argmax()]))\n"
    "    return out\n"
)


# --- exercise 3: FiLM ---------------------------------------------------------------------------


def _film(forward: str, out: str = "2 * channels") -> str:
    return (
        "class FiLM(nn.Module):\n"
        "    def __init__(self, cond_dim, channels):\n"
        "        super().__init__()\n"
        "        self.channels = channels\n"
        f"        self.proj = nn.Linear(cond_dim, {out})\n\n"
        "    def forward(self, x, cond):\n"
        "        gamma, beta = self.proj(cond).chunk(2, dim=-1)\n"
        f"        {forward}\n"
    )


# --- exercise 4: single_stream_input ------------------------------------------------------------


def _stream(
    text: str, image: str, mask: str = "torch.cat([text_mask.bool(), full], dim=1)", order: str = "text, image"
) -> str:
    return (
        "def single_stream_input(words, patches, text_positions, image_positions, type_embeddings, text_mask):\n"
        f"    text = {text}\n"
        f"    image = {image}\n"
        "    full = torch.ones(patches.shape[0], patches.shape[1], dtype=torch.bool)\n"
        f"    return torch.cat([{order}], dim=1), {mask}\n"
    )


_TEXT = "words + text_positions + type_embeddings[0]"
_IMAGE = "patches + image_positions + type_embeddings[1]"

WRONG = {
    "ej1_solucion": [
        Wrong(
            "usa >= en lugar de >: con todas las cuentas a 0 no acepta nunca nada",
            _accept(
                "    return not (current >= 1.1 * ordered[-2] or current >= 5 * max(ordered[len(ordered) // 2], 5))\n"
            ),
            visible=("mayor estricto",),
        ),
        Wrong(
            "compara con la cuenta más alta en lugar de con la segunda",
            _accept(
                "    return not (current > 1.1 * ordered[-1] or current > 5 * max(ordered[len(ordered) // 2], 5))\n"
            ),
            visible=("segunda",),
        ),
        Wrong(
            "olvida la regla de la mediana",
            _accept("    return not current > 1.1 * ordered[-2]\n"),
            visible=("mediana",),
        ),
        Wrong(
            "mediana sin el mínimo de 5: al principio lo rechaza todo",
            _accept("    return not (current > 1.1 * ordered[-2] or current > 5 * ordered[len(ordered) // 2])\n"),
            visible=("max(mediana, 5)",),
        ),
        Wrong(
            "la mediana de numpy (media de los dos centrales) en lugar de la de CLEVR",
            _accept(
                "    return not (current > 1.1 * ordered[-2] or current > 5 * max(float(np.median(ordered)), 5))\n"
            ),
            visible=("ordenadas[len // 2]",),
        ),
        Wrong(
            "devuelve True cuando hay que descartar (la condición al revés)",
            _accept("    return current > 1.1 * ordered[-2] or current > 5 * max(ordered[len(ordered) // 2], 5)\n"),
            visible=("se acepta",),
        ),
        Wrong(
            "no lanza ValueError con una respuesta imposible",
            "def accept_answer(counts, answer):\n"
            "    ordered = sorted(counts.values())\n"
            "    current = counts.get(answer, 0)\n" + _GOOD_RULE,
            visible=("ValueError",),
        ),
        Wrong(
            "suma 1 a la cuenta dentro de la función (modifica counts)",
            _accept(_GOOD_RULE.replace("    return", "    counts[answer] = current + 1\n    return")),
            visible=("modificar counts",),
        ),
    ],
    "ej2_solucion": [
        Wrong(
            "divide los aciertos de cada familia entre todas las preguntas",
            "def accuracy_by_family(predicted, answers, families):\n"
            "    predicted, answers, families = np.asarray(predicted), np.asarray(answers), np.asarray(families)\n"
            "    if not len(predicted) == len(answers) == len(families):\n"
            "        raise ValueError('longitudes distintas')\n"
            "    hits = predicted == answers\n"
            "    return {str(f): float(hits[families == f].sum() / len(hits)) for f in np.unique(families)}\n"
            + _MAJORITY,
            visible=("divide entre las preguntas",),
        ),
        Wrong(
            "la exactitud global repetida en cada familia",
            "def accuracy_by_family(predicted, answers, families):\n"
            "    predicted, answers = np.asarray(predicted), np.asarray(answers)\n"
            "    if not len(predicted) == len(answers) == len(families):\n"
            "        raise ValueError('longitudes distintas')\n"
            "    total = float(np.mean(predicted == answers))\n"
            "    return {str(f): total for f in set(families)}\n" + _MAJORITY,
            visible=("no la global",),
        ),
        Wrong(
            "la mayoritaria sacada de las respuestas de evaluación (mira la solución)",
            _ACCURACY + _MAJORITY.replace("seen = train_answers[train_families == f]", "seen = answers[families == f]"),
            visible=("ENTRENAMIENTO",),
        ),
        Wrong(
            "una sola mayoritaria global, no una por familia",
            _ACCURACY + "def majority_by_family(train_answers, train_families, answers, families):\n"
            "    answers, families = np.asarray(answers), np.asarray(families)\n"
            "    if set(families.tolist()) - set(np.asarray(train_families).tolist()):\n"
            "        raise ValueError('familia sin entrenamiento')\n"
            "    values, counts = np.unique(np.asarray(train_answers), return_counts=True)\n"
            "    top = values[counts.argmax()]\n"
            "    return {str(f): float(np.mean(answers[families == f] == top)) for f in np.unique(families)}\n",
            visible=("global",),
        ),
        Wrong(
            "la exactitud de la mayoritaria en el entrenamiento, no en la evaluación",
            _ACCURACY
            + _MAJORITY.replace(
                "float(np.mean(answers[families == f] == values[counts.argmax()]))",
                "float(counts.max() / counts.sum())",
            ),
        ),
        Wrong(
            "la respuesta menos frecuente (argmin) en lugar de la mayoritaria",
            _ACCURACY + _MAJORITY.replace("counts.argmax()", "counts.argmin()"),
        ),
    ],
    "ej3_solucion": [
        Wrong(
            "γ y β intercambiados",
            _film("return beta[:, :, None, None] * x + gamma[:, :, None, None]"),
            visible=("intercambiados",),
        ),
        Wrong(
            "escala 1 + γ (no es lo que pide el enunciado)",
            _film("return (1 + gamma[:, :, None, None]) * x + beta[:, :, None, None]"),
            visible=("1 + γ",),
        ),
        Wrong(
            "solo desplaza: x + β",
            _film("return x + beta[:, :, None, None]"),
            visible=("multiplicar por γ",),
        ),
        Wrong(
            "solo escala: γ · x",
            _film("return gamma[:, :, None, None] * x"),
            visible=("sumar β",),
        ),
        Wrong(
            # the red team's: weights set to constants (γ = 2, β = 3 for every condition) and a
            # forward that ignores the condition matched a test that read the layer's own weights
            "ignora la condición: pesos propios constantes y 2 · x + 3",
            "class FiLM(nn.Module):\n"
            "    def __init__(self, cond_dim, channels):\n"
            "        super().__init__()\n"
            "        self.proj = nn.Linear(cond_dim, 2 * channels)\n"
            "        with torch.no_grad():\n"
            "            self.proj.weight.zero_()\n"
            "            self.proj.bias.copy_(torch.cat([torch.full((channels,), 2.0), torch.full((channels,), 3.0)]))\n\n"
            "    def forward(self, x, cond):\n"
            "        return 2 * x + 3 + 1e-9 * self.proj(cond).sum()\n",
        ),
        Wrong(
            "γ y β sobre el último eje (canales al final), no sobre los canales",
            _film("return gamma[:, None, None, :] * x + beta[:, None, None, :]"),
        ),
        Wrong(
            "proyección de cond_dim a channels (un solo vector para γ y β)",
            "class FiLM(nn.Module):\n"
            "    def __init__(self, cond_dim, channels):\n"
            "        super().__init__()\n"
            "        self.proj = nn.Linear(cond_dim, channels)\n\n"
            "    def forward(self, x, cond):\n"
            "        gamma = self.proj(cond)[:, :, None, None]\n"
            "        return gamma * x + gamma\n",
            visible=("2 · channels",),
        ),
    ],
    "ej4_solucion": [
        Wrong(
            "la imagen antes que el texto",
            _stream(_TEXT, _IMAGE, order="image, text"),
            visible=("PRIMERO",),
        ),
        Wrong(
            "los parches con el tipo texto",
            _stream(_TEXT, "patches + image_positions + type_embeddings[0]"),
            visible=("tipo IMAGEN",),
        ),
        Wrong(
            "los parches con las posiciones del texto",
            _stream(_TEXT, "patches + text_positions[:, : patches.shape[1]] + type_embeddings[1]"),
        ),
        Wrong(
            "sin embeddings de tipo",
            _stream("words + text_positions", "patches + image_positions"),
            visible=("tipo texto",),
        ),
        Wrong(
            "la máscara solo del texto",
            _stream(_TEXT, _IMAGE, mask="text_mask.bool()"),
            visible=("máscara",),
        ),
        Wrong(
            "los parches marcados como relleno",
            _stream(_TEXT, _IMAGE, mask="torch.cat([text_mask.bool(), ~full], dim=1)"),
            visible=("nunca son relleno",),
        ),
        Wrong(
            "tipos intercambiados",
            _stream("words + text_positions + type_embeddings[1]", "patches + image_positions + type_embeddings[0]"),
        ),
    ],
}

VARIANTS = {
    "ej1_solucion": [
        "import statistics\n\n\n"
        "def accept_answer(counts, answer):\n"
        "    if answer not in counts:\n"
        "        raise KeyError(answer) if False else ValueError(f'{answer} no es posible')\n"
        "    values = list(counts.values())\n"
        "    if len(values) < 2:\n"
        "        raise ValueError('una sola respuesta')\n"
        "    second = sorted(values, reverse=True)[1]\n"
        "    median = statistics.median_high(values)\n"
        "    if counts[answer] > 1.1 * second:\n"
        "        return False\n"
        "    return counts[answer] <= 5 * max(median, 5)\n",
    ],
    "ej2_solucion": [
        "from collections import Counter, defaultdict\n\n\n"
        "def accuracy_by_family(predicted, answers, families):\n"
        "    if len(predicted) != len(answers) or len(answers) != len(families):\n"
        "        raise ValueError('longitudes')\n"
        "    hits, total = defaultdict(int), defaultdict(int)\n"
        "    for p, a, f in zip(predicted, answers, families):\n"
        "        total[str(f)] += 1\n"
        "        hits[str(f)] += int(p == a)\n"
        "    return {f: hits[f] / total[f] for f in total}\n\n\n"
        "def majority_by_family(train_answers, train_families, answers, families):\n"
        "    by_family = defaultdict(Counter)\n"
        "    for a, f in zip(train_answers, train_families):\n"
        "        by_family[str(f)][str(a)] += 1\n"
        "    guesses = []\n"
        "    for f in families:\n"
        "        if not by_family[str(f)]:\n"
        "            raise ValueError(f'{f} sin entrenamiento')\n"
        "        guesses.append(by_family[str(f)].most_common(1)[0][0])\n"
        "    return accuracy_by_family(guesses, [str(a) for a in answers], families)\n",
    ],
    "ej3_solucion": [
        "class FiLM(nn.Module):\n"
        "    def __init__(self, cond_dim, channels):\n"
        "        super().__init__()\n"
        "        self.proj = nn.Linear(cond_dim, 2 * channels)\n\n"
        "    def forward(self, x, cond):\n"
        "        c = x.shape[1]\n"
        "        params = self.proj(cond).view(x.shape[0], 2, c, 1, 1)\n"
        "        return torch.addcmul(params[:, 1], params[:, 0], x)\n",
    ],
    "ej4_solucion": [
        "def single_stream_input(words, patches, text_positions, image_positions, type_embeddings, text_mask):\n"
        "    kinds = torch.cat([torch.zeros(words.shape[1], dtype=torch.long), torch.ones(patches.shape[1], dtype=torch.long)])\n"
        "    tokens = torch.cat([words + text_positions, patches + image_positions], dim=1)\n"
        "    tokens = tokens + F.embedding(kinds, type_embeddings)\n"
        "    mask = F.pad(text_mask.bool(), (0, patches.shape[1]), value=True)\n"
        "    return tokens, mask\n",
    ],
}
