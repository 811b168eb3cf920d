"""Chapter 05 (atención cruzada): plausible mistakes and correct variants.

Exercise 1 is the symmetric contrastive loss, exercise 2 Recall@K with a relevance matrix and
a stated tie rule (equal similarities: the lower column index ranks first), exercise 3 masked
scaled dot-product cross-attention in both directions, exercise 4 the same on LayerNorm-ed
inputs with a residual connection. Each source is a whole solution cell as a student would
write it; the notebook has already imported ``np``, ``torch``, ``F`` and ``nn``.
"""

from wrong_answers import Wrong

# --- exercise 1: contrastive_loss ---------------------------------------------------------------

_LOSS = "def contrastive_loss(logits):\n    targets = torch.arange(logits.shape[0], device=logits.device)\n"

# --- exercise 2: recall_at_k --------------------------------------------------------------------

_RECALL = "def recall_at_k(similarity, relevance, k):\n"

# --- exercise 3: CrossAttentionV0 ---------------------------------------------------------------

_V0 = "class CrossAttentionV0(nn.Module):\n    def forward(self, image, text, text_mask):\n"


def _v0(
    image_scores: str, text_scores: str, masking: str, softmax_dim: int = -1, returns: str = "image_out, text_out"
) -> str:
    """A CrossAttentionV0 with the given pieces (the scores' expressions, how the mask is applied)."""
    return (
        _V0
        + f"        s_i2t = {image_scores}\n"
        + (f"        s_i2t = {masking}\n" if masking else "")
        + f"        image_out = s_i2t.softmax(dim={softmax_dim}) @ text\n"
        + f"        s_t2i = {text_scores}\n"
        + f"        text_out = s_t2i.softmax(dim={softmax_dim}) @ image\n"
        + f"        return {returns}\n"
    )


_SCALED_I2T = "(image @ text.transpose(-2, -1)) / image.shape[-1] ** 0.5"
_SCALED_T2I = "(text @ image.transpose(-2, -1)) / image.shape[-1] ** 0.5"
_MASK = 's_i2t.masked_fill(~text_mask.unsqueeze(-2), float("-inf"))'

# --- exercise 4: CrossAttentionNormResidual -----------------------------------------------------

_NR_INIT = (
    "class CrossAttentionNormResidual(nn.Module):\n"
    "    def __init__(self, dim):\n"
    "        super().__init__()\n"
    "        self.image_norm = nn.LayerNorm(dim)\n"
    "        self.text_norm = nn.LayerNorm(dim)\n\n"
    "    def forward(self, image, text, text_mask):\n"
)


def _norm_residual(normalise: str, mask: bool = True, residual: str = "image + image_att, text + text_att") -> str:
    return (
        _NR_INIT
        + f"        {normalise}\n"
        + "        d = img.shape[-1]\n"
        + "        s = (img @ txt.transpose(-2, -1)) / d ** 0.5\n"
        + ('        s = s.masked_fill(~text_mask.unsqueeze(-2), float("-inf"))\n' if mask else "")
        + "        image_att = s.softmax(-1) @ txt\n"
        + "        text_att = ((txt @ img.transpose(-2, -1)) / d ** 0.5).softmax(-1) @ img\n"
        + f"        return {residual}\n"
    )


_NORMALISED = "img, txt = self.image_norm(image), self.text_norm(text)"

WRONG = {
    "ej1_solucion": [
        Wrong(
            "solo la pérdida por filas (imagen→texto)",
            _LOSS + "    return F.cross_entropy(logits, targets)\n",
            visible=("solo por filas",),
        ),
        Wrong(
            "solo la pérdida por columnas (texto→imagen)",
            _LOSS + "    return F.cross_entropy(logits.T, targets)\n",
            visible=("solo por columnas",),
        ),
        Wrong(
            "suma las dos direcciones en lugar de promediarlas",
            _LOSS + "    return F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)\n",
            visible=("suma de las dos direcciones",),
        ),
        Wrong(
            "aplica softmax antes de F.cross_entropy (softmax doble)",
            _LOSS
            + "    rows = F.cross_entropy(logits.softmax(dim=1), targets)\n"
            + "    columns = F.cross_entropy(logits.T.softmax(dim=1), targets)\n"
            + "    return (rows + columns) / 2\n",
            visible=("softmax antes de",),
        ),
        Wrong(
            "reduction='sum': suma sobre el lote en lugar de promediar",
            _LOSS
            + "    rows = F.cross_entropy(logits, targets, reduction='sum')\n"
            + "    columns = F.cross_entropy(logits.T, targets, reduction='sum')\n"
            + "    return (rows + columns) / 2\n",
            visible=("sumas sobre el lote",),
        ),
        Wrong(
            "calculada en NumPy: el valor es correcto, pero no hay gradiente",
            "def contrastive_loss(logits):\n"
            "    L = logits.detach().cpu().numpy().astype(np.float64)\n"
            "    rows = np.log(np.exp(L).sum(1)) - np.diag(L)\n"
            "    columns = np.log(np.exp(L).sum(0)) - np.diag(L)\n"
            "    return torch.tensor((rows.mean() + columns.mean()) / 2, dtype=logits.dtype)\n",
        ),
    ],
    "ej2_solucion": [
        Wrong(
            "ignora relevance: supone que el correcto es el de la diagonal",
            _RECALL
            + "    top = np.argsort(-similarity, axis=1, kind='stable')[:, :k]\n"
            + "    hits = (top == np.arange(len(similarity))[:, None]).any(axis=1)\n"
            + "    return float(hits.mean())\n",
            visible=("diagonal", "relevance"),
        ),
        Wrong(
            "ordena de menor a mayor similitud",
            _RECALL
            + "    top = np.argsort(similarity, axis=1, kind='stable')[:, :k]\n"
            + "    return float(np.take_along_axis(relevance, top, axis=1).any(axis=1).mean())\n",
            visible=("mayor a menor",),
        ),
        Wrong(
            "fracción de correctos recuperados (el recall de la recuperación de información)",
            _RECALL
            + "    top = np.argsort(-similarity, axis=1, kind='stable')[:, :k]\n"
            + "    found = np.take_along_axis(relevance, top, axis=1).sum(axis=1)\n"
            + "    return float(np.mean(found / np.maximum(relevance.sum(axis=1), 1)))\n",
            visible=("al menos un",),
        ),
        Wrong(
            "desempata al revés (la columna de mayor índice primero)",
            _RECALL
            + "    top = np.argsort(similarity, axis=1, kind='stable')[:, ::-1][:, :k]\n"
            + "    return float(np.take_along_axis(relevance, top, axis=1).any(axis=1).mean())\n",
            visible=("kind='stable'",),
        ),
        Wrong(
            "toma k + 1 candidatos",
            _RECALL
            + "    top = np.argsort(-similarity, axis=1, kind='stable')[:, :k + 1]\n"
            + "    return float(np.take_along_axis(relevance, top, axis=1).any(axis=1).mean())\n",
        ),
        Wrong(
            "devuelve el número de aciertos, no la fracción",
            _RECALL
            + "    top = np.argsort(-similarity, axis=1, kind='stable')[:, :k]\n"
            + "    return np.take_along_axis(relevance, top, axis=1).any(axis=1).sum()\n",
            visible=("float",),
        ),
    ],
    "ej3_solucion": [
        Wrong(
            "sin máscara: las palabras de relleno reciben peso",
            _v0(_SCALED_I2T, _SCALED_T2I, ""),
            visible=("no has aplicado la máscara",),
        ),
        Wrong(
            "sin la escala 1/√d",
            _v0("image @ text.transpose(-2, -1)", "text @ image.transpose(-2, -1)", _MASK),
            visible=("√d",),
        ),
        Wrong(
            "divide entre d en lugar de √d",
            _v0(
                "(image @ text.transpose(-2, -1)) / image.shape[-1]",
                "(text @ image.transpose(-2, -1)) / image.shape[-1]",
                _MASK,
            ),
            visible=("√d",),
        ),
        Wrong(
            "softmax sobre el eje de las consultas (dim=-2)",
            _v0(_SCALED_I2T, _SCALED_T2I, _MASK, softmax_dim=-2),
            visible=("último eje",),
        ),
        Wrong(
            "rellena la máscara con 0 en lugar de -inf",
            _v0(_SCALED_I2T, _SCALED_T2I, "s_i2t.masked_fill(~text_mask.unsqueeze(-2), 0.0)"),
            visible=("no has aplicado la máscara",),
        ),
        Wrong(
            "devuelve las dos salidas intercambiadas",
            _v0(_SCALED_I2T, _SCALED_T2I, _MASK, returns="text_out, image_out"),
            visible=("una fila por parche",),
        ),
        Wrong(
            "delega en F.scaled_dot_product_attention (el ejercicio es escribirla)",
            _V0
            + "        image_out = F.scaled_dot_product_attention(image, text, text, attn_mask=text_mask.unsqueeze(-2))\n"
            + "        text_out = F.scaled_dot_product_attention(text, image, image)\n"
            + "        return image_out, text_out\n",
        ),
    ],
    "ej4_solucion": [
        Wrong(
            "forward sin completar: devuelve las entradas",
            _NR_INIT + "        return image, text\n",
            visible=("falta sumar la atención",),
        ),
        Wrong(
            "la residual suma las entradas normalizadas",
            _norm_residual(_NORMALISED, residual="img + image_att, txt + text_att"),
            visible=("la residual suma la entrada original",),
        ),
        Wrong(
            "la atención usa las entradas sin normalizar",
            _norm_residual("img, txt = image, text"),
            visible=("normalizadas",),
        ),
        Wrong(
            "normaliza el texto con image_norm (una sola LayerNorm para las dos modalidades)",
            _norm_residual("img, txt = self.image_norm(image), self.image_norm(text)"),
        ),
        Wrong(
            "olvida la máscara del texto",
            _norm_residual(_NORMALISED, mask=False),
        ),
        Wrong(
            "delega la atención en F.scaled_dot_product_attention",
            _NR_INIT
            + f"        {_NORMALISED}\n"
            + "        image_att = F.scaled_dot_product_attention(img, txt, txt, attn_mask=text_mask.unsqueeze(-2))\n"
            + "        return image + image_att, text + F.scaled_dot_product_attention(txt, img, img)\n",
        ),
        # the case: the course's attention called from another thread (the verdict rests
        # on the values, which are right; the kernel's watch must still see the call)
        Wrong(
            "delega en la atención del curso desde un hilo (threading.Thread)",
            "import threading\n\nfrom course_utils.models.cross_attention import attend as _attend\n\n\n"
            + _NR_INIT
            + f"        {_NORMALISED}\n"
            + "        out = {}\n\n"
            + "        def work():\n"
            + "            out['image'] = image + _attend(img, txt, txt, text_mask)[0]\n"
            + "            out['text'] = text + _attend(txt, img, img)[0]\n\n"
            + "        worker = threading.Thread(target=work)\n"
            + "        worker.start()\n"
            + "        worker.join()\n"
            + "        return out['image'], out['text']\n",
        ),
    ],
}

VARIANTS = {
    "ej1_solucion": [
        # log-softmax and the diagonal, without F.cross_entropy
        "def contrastive_loss(logits):\n"
        "    rows = -logits.log_softmax(dim=1).diagonal().mean()\n"
        "    columns = -logits.log_softmax(dim=0).diagonal().mean()\n"
        "    return 0.5 * (rows + columns)\n",
        # cross-entropy against one-hot probability targets
        "def contrastive_loss(logits):\n"
        "    target = torch.eye(len(logits), dtype=logits.dtype, device=logits.device)\n"
        "    return torch.stack([F.cross_entropy(logits, target), F.cross_entropy(logits.t(), target)]).mean()\n",
        # written out with logsumexp
        "def contrastive_loss(logits):\n"
        "    diagonal = torch.diagonal(logits)\n"
        "    rows = torch.logsumexp(logits, dim=1) - diagonal\n"
        "    columns = torch.logsumexp(logits, dim=0) - diagonal\n"
        "    return (rows.mean() + columns.mean()) / 2\n",
    ],
    "ej2_solucion": [
        # the rank of the best relevant column, ties by column order, without argsort
        _RECALL + "    similarity = np.asarray(similarity, dtype=float)\n"
        "    relevance = np.asarray(relevance, dtype=bool)\n"
        "    n = similarity.shape[1]\n"
        "    hits = []\n"
        "    for row, rel in zip(similarity, relevance):\n"
        "        ahead = (row[None, :] > row[:, None]) | ((row[None, :] == row[:, None]) & (np.arange(n)[None, :] < np.arange(n)[:, None]))\n"
        "        ranks = ahead.sum(axis=1)\n"
        "        hits.append(bool(rel.any() and ranks[rel].min() < k))\n"
        "    return float(np.mean(hits))\n",
        # Python's sort is stable
        _RECALL + "    aciertos = 0\n"
        "    for fila, correctos in zip(similarity.tolist(), relevance.tolist()):\n"
        "        orden = sorted(range(len(fila)), key=lambda j: -fila[j])\n"
        "        aciertos += any(correctos[j] for j in orden[:k])\n"
        "    return aciertos / len(similarity)\n",
        # the stable argsort, with np.isin of the relevant columns
        _RECALL + "    order = np.argsort(-np.asarray(similarity), axis=1, kind='mergesort')\n"
        "    found = [np.isin(order[i, :k], np.flatnonzero(relevance[i])).any() for i in range(len(order))]\n"
        "    return float(sum(found)) / len(found)\n",
    ],
    "ej3_solucion": [
        # einsum and torch.where
        _V0 + "        d = image.shape[-1]\n"
        "        s = torch.einsum('...pd,...td->...pt', image, text) / d ** 0.5\n"
        "        s = torch.where(text_mask[..., None, :], s, torch.tensor(float('-inf')))\n"
        "        image_out = torch.einsum('...pt,...td->...pd', s.softmax(-1), text)\n"
        "        w = (torch.einsum('...td,...pd->...tp', text, image) / d ** 0.5).softmax(-1)\n"
        "        return image_out, torch.einsum('...tp,...pd->...td', w, image)\n",
        # a large negative number instead of -inf, math.sqrt
        "import math\n\n\n" + _V0 + "        scale = 1 / math.sqrt(image.size(-1))\n"
        "        s = torch.matmul(image, text.transpose(-1, -2)) * scale\n"
        "        s = s.masked_fill(text_mask.unsqueeze(-2) == 0, -1e9)\n"
        "        image_out = torch.softmax(s, dim=-1) @ text\n"
        "        text_out = torch.softmax(torch.matmul(text, image.transpose(-1, -2)) * scale, dim=-1) @ image\n"
        "        return image_out, text_out\n",
        # a helper function of the student's own
        "def attention(query, key, value, key_mask=None):\n"
        "    scores = query @ key.transpose(-2, -1) / query.shape[-1] ** 0.5\n"
        "    if key_mask is not None:\n"
        "        scores = scores.masked_fill(~key_mask.unsqueeze(-2), float('-inf'))\n"
        "    return F.softmax(scores, dim=-1) @ value\n\n\n"
        + _V0
        + "        return attention(image, text, text, text_mask), attention(text, image, image)\n",
    ],
    "ej4_solucion": [
        # reuses the student's own CrossAttentionV0 (the statement allows it)
        "class CrossAttentionNormResidual(nn.Module):\n"
        "    def __init__(self, dim):\n"
        "        super().__init__()\n"
        "        self.image_norm = nn.LayerNorm(dim)\n"
        "        self.text_norm = nn.LayerNorm(dim)\n"
        "        self.attention = CrossAttentionV0()\n\n"
        "    def forward(self, image, text, text_mask):\n"
        "        image_att, text_att = self.attention(self.image_norm(image), self.text_norm(text), text_mask)\n"
        "        return image + image_att, text + text_att\n",
        # F.layer_norm with the modules' own parameters, and a large negative mask value
        _NR_INIT + "        d = image.shape[-1]\n"
        "        img = F.layer_norm(image, (d,), self.image_norm.weight, self.image_norm.bias, self.image_norm.eps)\n"
        "        txt = F.layer_norm(text, (d,), self.text_norm.weight, self.text_norm.bias, self.text_norm.eps)\n"
        "        s = img @ txt.transpose(-2, -1) / d ** 0.5\n"
        "        s = s - 1e9 * (~text_mask).unsqueeze(-2).float()\n"
        "        out_image = image + torch.softmax(s, -1) @ txt\n"
        "        out_text = text + torch.softmax(txt @ img.transpose(-2, -1) / d ** 0.5, -1) @ img\n"
        "        return out_image, out_text\n",
    ],
}
