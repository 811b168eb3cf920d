"""Chapter 07 (codificador–decodificador): plausible mistakes and correct variants.

Exercise 1 is MAE's random masking (keep the lowest noise, mask in the original order, the
inverse permutation), exercise 2 MAE's loss (per-patch normalised targets, hidden patches only),
exercise 3 the causal mask, exercise 4 the shifted teacher-forcing pairs, exercise 5 the greedy
decoding loop. Each source is a whole solution cell as a student would write it; the notebook
has already imported ``np``, ``torch``, ``F`` and ``nn``.
"""

from wrong_answers import Wrong

# --- exercise 1: random_masking -----------------------------------------------------------------


def _masking(
    keep: str = "int(n * (1 - mask_ratio))",
    order: str = "torch.argsort(noise, dim=1)",
    restore: str = "torch.argsort(ids_shuffle, dim=1)",
    unshuffle: bool = True,
) -> str:
    return (
        "def random_masking(patches, mask_ratio, noise):\n"
        "    batch, n, dim = patches.shape\n"
        f"    keep = {keep}\n"
        f"    ids_shuffle = {order}\n"
        f"    restore = {restore}\n"
        "    ids_keep = ids_shuffle[:, :keep]\n"
        "    visible = torch.gather(patches, 1, ids_keep.unsqueeze(-1).expand(-1, -1, dim))\n"
        "    mask = torch.ones(batch, n, dtype=patches.dtype)\n"
        "    mask[:, :keep] = 0\n"
        + ("    mask = torch.gather(mask, 1, restore)\n" if unshuffle else "")
        + "    return visible, mask, restore\n"
    )


# --- exercise 2: mae_loss -----------------------------------------------------------------------


def _loss(target: str, reduce: str = "(per_patch * mask).sum() / mask.sum()") -> str:
    return (
        "def mae_loss(prediction, patches, mask):\n"
        f"    target = {target}\n"
        "    per_patch = ((prediction - target) ** 2).mean(dim=-1)\n"
        f"    return {reduce}\n"
    )


_PER_PATCH = "(patches - patches.mean(dim=-1, keepdim=True)) / (patches.var(dim=-1, keepdim=True) + 1e-6) ** 0.5"

# --- exercise 4: shift_for_teacher_forcing ------------------------------------------------------

_SHIFT_HEAD = (
    "def shift_for_teacher_forcing(ids, bos, eos, pad=0):\n"
    "    batch = ids.shape[0]\n"
    "    column = torch.full((batch, 1), pad, dtype=ids.dtype)\n"
)

# --- exercise 5: greedy_decode ------------------------------------------------------------------


def _greedy(
    pick: str = "logits[:, -1]",
    after_eos: bool = True,
    stop: bool = True,
    strip: str = "prefix[:, 1:]",
    steps: str = "max_len",
) -> str:
    return (
        "@torch.no_grad()\n"
        "def greedy_decode(step, memory, bos, eos, max_len, pad=0):\n"
        "    prefix = torch.full((memory.shape[0], 1), bos, dtype=torch.long)\n"
        "    finished = torch.zeros(memory.shape[0], dtype=torch.bool)\n"
        f"    for _ in range({steps}):\n"
        "        logits = step(memory, prefix)\n"
        f"        word = {pick}.argmax(dim=-1)\n"
        + ("        word = torch.where(finished, torch.full_like(word, pad), word)\n" if after_eos else "")
        + "        prefix = torch.cat([prefix, word[:, None]], dim=1)\n"
        "        finished = finished | (word == eos)\n"
        + ("        if bool(finished.all()):\n            break\n" if stop else "")
        + f"    return {strip}\n"
    )


WRONG = {
    "ej1_solucion": [
        Wrong(
            "se queda con los ocultos: K = int(N · mask_ratio)",
            _masking(keep="int(n * mask_ratio)"),
            visible=("int(8 · 0.25) = 2",),
        ),
        Wrong(
            "restore es ids_shuffle, no su inversa",
            _masking(restore="torch.argsort(noise, dim=1)"),
            visible=("inversa",),
        ),
        Wrong(
            "la máscara queda en el orden barajado",
            _masking(unshuffle=False),
            visible=("orden original",),
        ),
        Wrong(
            "la misma permutación para todo el lote (el ruido de la primera imagen)",
            _masking(
                order="torch.argsort(noise[0], dim=0).expand(batch, -1)", restore="torch.argsort(ids_shuffle, dim=1)"
            ),
            visible=("propio ruido",),
        ),
        Wrong(
            "se queda con los de MAYOR ruido",
            _masking(order="torch.argsort(noise, dim=1, descending=True)"),
            visible=("MENOR",),
        ),
    ],
    "ej2_solucion": [
        Wrong(
            "promedia sobre todos los parches, ocultos y visibles",
            _loss(_PER_PATCH, "per_patch.mean()"),
            visible=("ocultos",),
        ),
        Wrong(
            "no normaliza el objetivo",
            _loss("patches"),
            visible=("SU media",),
        ),
        Wrong(
            "normaliza con la media y la varianza de toda la imagen, no de cada parche",
            _loss(
                "(patches - patches.mean(dim=(1, 2), keepdim=True)) / (patches.var(dim=(1, 2), keepdim=True) + 1e-6) ** 0.5"
            ),
            visible=("SU media",),
        ),
        Wrong(
            "divide entre el número de parches, no entre el de ocultos",
            _loss(_PER_PATCH, "(per_patch * mask).sum() / mask.numel()"),
            visible=("número de ocultos",),
        ),
        Wrong(
            "cuenta los visibles (máscara invertida)",
            _loss(_PER_PATCH, "(per_patch * (1 - mask)).sum() / (1 - mask).sum()"),
            visible=("máscara 1",),
        ),
    ],
    "ej3_solucion": [
        Wrong(
            "triu: deja mirar al futuro",
            "def causal_mask(length):\n    return torch.triu(torch.ones(length, length, dtype=torch.bool))\n",
            visible=("FUTURO",),
        ),
        Wrong(
            "excluye la diagonal",
            "def causal_mask(length):\n    return torch.tril(torch.ones(length, length, dtype=torch.bool), diagonal=-1)\n",
            visible=("diagonal",),
        ),
        Wrong(
            "invertida: True donde está prohibido",
            "def causal_mask(length):\n    return torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)\n",
            visible=("invertida",),
        ),
        Wrong(
            "una máscara aditiva de floats (-inf en el futuro) en lugar de booleana",
            "def causal_mask(length):\n"
            "    return torch.triu(torch.full((length, length), float('-inf')), diagonal=1)\n",
            visible=("booleana",),
        ),
    ],
    "ej4_solucion": [
        Wrong(
            "sin desplazar: inputs y targets son la misma secuencia",
            _SHIFT_HEAD
            + "    inputs = torch.cat([torch.full_like(column, bos), ids], dim=1)\n    return inputs, inputs.clone()\n",
            visible=("desplazados",),
        ),
        Wrong(
            "<eos> en la última columna de todas las frases",
            _SHIFT_HEAD + "    inputs = torch.cat([torch.full_like(column, bos), ids], dim=1)\n"
            "    targets = torch.cat([ids, torch.full_like(column, eos)], dim=1)\n"
            "    return inputs, targets\n",
            visible=("última palabra de cada frase",),
        ),
        Wrong(
            "papeles cambiados: la entrada termina en <eos> y el objetivo empieza por <bos>",
            _SHIFT_HEAD + "    lengths = (ids != pad).sum(dim=1)\n"
            "    inputs = torch.cat([ids, column], dim=1)\n"
            "    inputs[torch.arange(batch), lengths] = eos\n"
            "    targets = torch.cat([torch.full_like(column, bos), ids], dim=1)\n"
            "    return inputs, targets\n",
            visible=("<bos>",),
        ),
        Wrong(
            "todo el relleno del objetivo se vuelve <eos>",
            _SHIFT_HEAD + "    inputs = torch.cat([torch.full_like(column, bos), ids], dim=1)\n"
            "    targets = torch.cat([ids, column], dim=1)\n"
            "    targets[targets == pad] = eos\n"
            "    return inputs, targets\n",
            visible=("frase corta",),
        ),
    ],
    "ej5_solucion": [
        Wrong(
            "lee los logits de la primera posición",
            _greedy(pick="logits[:, 0]"),
            visible=("ÚLTIMA",),
        ),
        Wrong(
            "sigue escribiendo después de <eos>",
            _greedy(after_eos=False),
            visible=("después de <eos>",),
        ),
        Wrong(
            "devuelve el <bos> inicial",
            _greedy(strip="prefix"),
            visible=("<bos>",),
        ),
        Wrong(
            "no para cuando todas las filas han terminado",
            _greedy(stop=False),
            visible=("todas las filas han terminado",),
        ),
        Wrong(
            "una palabra de más: max_len + 1 pasos",
            _greedy(stop=False, steps="max_len + 1"),
            visible=("todas las filas",),
        ),
    ],
}

VARIANTS = {
    "ej1_solucion": [
        # sort instead of argsort, scatter for the mask, the inverse by scatter
        "def random_masking(patches, mask_ratio, noise):\n"
        "    b, n, d = patches.shape\n"
        "    k = int(n * (1 - mask_ratio))\n"
        "    _, order = torch.sort(noise, dim=1)\n"
        "    restore = torch.empty_like(order)\n"
        "    restore.scatter_(1, order, torch.arange(n).repeat(b, 1))\n"
        "    visible = patches[torch.arange(b)[:, None], order[:, :k]]\n"
        "    mask = torch.ones(b, n, dtype=patches.dtype).scatter(1, order[:, :k], 0.0)\n"
        "    return visible, mask, restore\n",
        # one image at a time
        "def random_masking(patches, mask_ratio, noise):\n"
        "    keep = int(patches.shape[1] * (1 - mask_ratio))\n"
        "    visibles, masks, restores = [], [], []\n"
        "    for p, z in zip(patches, noise):\n"
        "        order = z.argsort()\n"
        "        visibles.append(p[order[:keep]])\n"
        "        m = torch.ones(len(z), dtype=patches.dtype)\n"
        "        m[order[:keep]] = 0\n"
        "        masks.append(m)\n"
        "        restores.append(order.argsort())\n"
        "    return torch.stack(visibles), torch.stack(masks), torch.stack(restores)\n",
    ],
    "ej2_solucion": [
        "def mae_loss(prediction, patches, mask):\n"
        "    mu = patches.mean(-1, keepdim=True)\n"
        "    sigma = torch.sqrt(patches.var(-1, unbiased=True, keepdim=True) + 1e-6)\n"
        "    error = F.mse_loss(prediction, (patches - mu) / sigma, reduction='none').mean(-1)\n"
        "    return error[mask.bool()].mean()\n",
        "def mae_loss(prediction, patches, mask):\n"
        "    p = patches.shape[-1]\n"
        "    centred = patches - patches.mean(-1, keepdim=True)\n"
        "    target = centred / torch.sqrt((centred ** 2).sum(-1, keepdim=True) / (p - 1) + 1e-6)\n"
        "    return torch.einsum('bn,bn->', ((prediction - target) ** 2).mean(-1), mask) / mask.sum()\n",
    ],
    "ej3_solucion": [
        "def causal_mask(length):\n    positions = torch.arange(length)\n    return positions[None, :] <= positions[:, None]\n",
        "def causal_mask(length):\n    return ~torch.ones(length, length).triu(1).bool()\n",
    ],
    "ej4_solucion": [
        # row by row
        "def shift_for_teacher_forcing(ids, bos, eos, pad=0):\n"
        "    b, t = ids.shape\n"
        "    inputs = torch.full((b, t + 1), pad, dtype=ids.dtype)\n"
        "    targets = torch.full((b, t + 1), pad, dtype=ids.dtype)\n"
        "    for row in range(b):\n"
        "        words = [w for w in ids[row].tolist() if w != pad]\n"
        "        inputs[row, : len(words) + 1] = torch.tensor([bos] + words, dtype=ids.dtype)\n"
        "        targets[row, : len(words) + 1] = torch.tensor(words + [eos], dtype=ids.dtype)\n"
        "    return inputs, targets\n",
        # F.pad and scatter
        "def shift_for_teacher_forcing(ids, bos, eos, pad=0):\n"
        "    inputs = F.pad(ids, (1, 0), value=bos)\n"
        "    targets = F.pad(ids, (0, 1), value=pad)\n"
        "    last = (ids != pad).sum(1, keepdim=True)\n"
        "    return inputs, targets.scatter(1, last, eos)\n",
    ],
    "ej5_solucion": [
        # a list of generated columns and a while loop
        "@torch.no_grad()\n"
        "def greedy_decode(step, memory, bos, eos, max_len, pad=0):\n"
        "    b = len(memory)\n"
        "    prefix = torch.full((b, 1), bos)\n"
        "    done = torch.zeros(b, dtype=torch.bool)\n"
        "    out = []\n"
        "    while len(out) < max_len and not done.all():\n"
        "        nxt = step(memory, prefix)[:, prefix.shape[1] - 1].max(dim=-1).indices\n"
        "        nxt = nxt.masked_fill(done, pad)\n"
        "        out.append(nxt)\n"
        "        done = done | nxt.eq(eos)\n"
        "        prefix = torch.cat([prefix, nxt.unsqueeze(1)], 1)\n"
        "    return torch.stack(out, dim=1)\n",
        "def greedy_decode(step, memory, bos, eos, max_len, pad=0):\n"
        "    with torch.no_grad():\n"
        "        seq = torch.tensor([[bos]] * memory.shape[0])\n"
        "        for _ in range(max_len):\n"
        "            ended = (seq[:, 1:] == eos).any(dim=1)\n"
        "            if len(ended) and seq.shape[1] > 1 and ended.all():\n"
        "                break\n"
        "            w = torch.argmax(step(memory, seq)[:, -1, :], dim=-1)\n"
        "            w[ended] = pad\n"
        "            seq = torch.cat((seq, w.view(-1, 1)), dim=1)\n"
        "        return seq[:, 1:]\n",
    ],
}
