"""Chapter 06 (ViT y CLIP): plausible mistakes and correct variants.

Exercise 1 is the patch embedding (a strided convolution, patches in row order), exercise 2
the class token and positions, exercise 3 the learnable temperature (a log-space parameter,
clamped scale), exercise 4 the multi-positive CLIP loss, exercise 5 zero-shot prediction with
a prompt ensemble. Each source is a whole solution cell as a student would write it; the
notebook has already imported ``np``, ``torch``, ``F`` and ``nn`` (not ``math``).
"""

from wrong_answers import Wrong

# --- exercise 1: PatchEmbed ---------------------------------------------------------------------


def _patch_embed(
    forward: str, num_patches: str = "(image_size // patch_size) ** 2", check: bool = True, stride: str = "patch_size"
) -> str:
    return (
        "class PatchEmbed(nn.Module):\n"
        "    def __init__(self, image_size=8, patch_size=2, in_channels=1, dim=64):\n"
        "        super().__init__()\n"
        + (
            "        if image_size % patch_size != 0:\n            raise ValueError('tamaño no divisible')\n"
            if check
            else ""
        )
        + f"        self.num_patches = {num_patches}\n"
        f"        self.proj = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride={stride})\n\n"
        "    def forward(self, images):\n"
        f"        {forward}\n"
    )


# --- exercise 2: add_class_token ----------------------------------------------------------------

_CLASS_TOKEN = (
    "def add_class_token(patches, cls_token, positions):\n    cls = cls_token.expand(patches.shape[0], -1, -1)\n"
)

# --- exercise 3: LearnableTemperature -----------------------------------------------------------


def _temperature(init: str, forward: str, extra: str = "        self.max_scale = max_scale\n") -> str:
    return (
        "class LearnableTemperature(nn.Module):\n"
        "    def __init__(self, temperature=0.07, max_scale=100.0):\n"
        "        super().__init__()\n"
        f"        self.log_scale = nn.Parameter({init})\n" + extra + "\n    def forward(self):\n"
        f"        return {forward}\n"
    )


_LOG_INIT = "torch.tensor(float(np.log(1.0 / temperature)))"

# --- exercise 4: clip_loss ----------------------------------------------------------------------

_CLIP = "def clip_loss(logits, positives):\n    w = positives.float()\n"

# --- exercise 5: zero_shot_predict --------------------------------------------------------------

_ZERO_SHOT = "def zero_shot_predict(image_embeddings, prompt_embeddings):\n"

WRONG = {
    "ej1_solucion": [
        Wrong(
            "no pasa los parches delante de los canales: devuelve (B, D, N)",
            _patch_embed("return self.proj(images).flatten(2)"),
            visible=("transpose(1, 2)",),
        ),
        Wrong(
            "reshape(B, N, D) en lugar de transponer: mezcla canales y parches",
            _patch_embed("x = self.proj(images)\n        return x.reshape(x.shape[0], -1, x.shape[1])"),
            visible=("reshape",),
        ),
        Wrong(
            "parches por columnas",
            _patch_embed("return self.proj(images).transpose(2, 3).flatten(2).transpose(1, 2)"),
            visible=("por columnas",),
        ),
        Wrong(
            "num_patches = image_size // patch_size (sin elevar al cuadrado)",
            _patch_embed("return self.proj(images).flatten(2).transpose(1, 2)", num_patches="image_size // patch_size"),
            visible=("16 parches",),
        ),
        Wrong(
            "no lanza ValueError si la imagen no se divide en parches",
            _patch_embed("return self.proj(images).flatten(2).transpose(1, 2)", check=False),
            visible=("ValueError",),
        ),
        Wrong(
            "convolución con paso 1: parches solapados",
            _patch_embed("return self.proj(images).flatten(2).transpose(1, 2)", stride="1"),
        ),
    ],
    "ej2_solucion": [
        Wrong(
            "no suma las posiciones",
            _CLASS_TOKEN + "    return torch.cat([cls, patches], dim=1)\n",
            visible=("¿sumas las posiciones",),
        ),
        Wrong(
            "pone el token de clase al final",
            _CLASS_TOKEN + "    return torch.cat([patches, cls], dim=1) + positions\n",
            visible=("delante",),
        ),
        Wrong(
            "suma las posiciones solo a los parches (el token de clase sin la posición 0)",
            _CLASS_TOKEN + "    return torch.cat([cls, patches + positions[:, 1:]], dim=1)\n",
            visible=("posición 0",),
        ),
        Wrong(
            "no expande el token de clase: solo funciona con una imagen",
            "def add_class_token(patches, cls_token, positions):\n"
            "    return torch.cat([cls_token, patches], dim=1) + positions\n",
            visible=("expandes",),
        ),
        Wrong(
            "da a los parches las posiciones 0…N-1 (desplazadas una)",
            _CLASS_TOKEN + "    return torch.cat([cls + positions[:, :1], patches + positions[:, :-1]], dim=1)\n",
            visible=("cada una en su lugar",),
        ),
    ],
    "ej3_solucion": [
        Wrong(
            "guarda la escala, no su logaritmo",
            _temperature("torch.tensor(1.0 / temperature)", "self.log_scale.clamp(max=self.max_scale)"),
            visible=("espacio logarítmico",),
        ),
        Wrong(
            "sin recorte en max_scale",
            _temperature(_LOG_INIT, "self.log_scale.exp()"),
            visible=("recortar",),
        ),
        Wrong(
            "parámetro float64 (torch.tensor de un np.float64)",
            _temperature("torch.tensor(np.log(1.0 / temperature))", "self.log_scale.exp().clamp(max=self.max_scale)"),
            visible=("float32",),
        ),
        Wrong(
            "log(temperatura) en lugar de log(1/temperatura)",
            _temperature("torch.tensor(float(np.log(temperature)))", "self.log_scale.exp().clamp(max=self.max_scale)"),
            visible=("log(1/temperatura)",),
        ),
        Wrong(
            "ignora max_scale: recorta siempre en 100",
            _temperature(_LOG_INIT, "self.log_scale.exp().clamp(max=100.0)"),
        ),
        Wrong(
            "max_scale como segundo parámetro",
            _temperature(
                _LOG_INIT,
                "self.log_scale.exp().clamp(max=float(self.max_scale))",
                extra="        self.max_scale = nn.Parameter(torch.tensor(float(max_scale)))\n",
            ),
            visible=("un solo parámetro",),
        ),
    ],
    "ej4_solucion": [
        Wrong(
            "ignora positives: solo la diagonal",
            "def clip_loss(logits, positives):\n"
            "    targets = torch.arange(len(logits))\n"
            "    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2\n",
            visible=("ignora `positives`",),
        ),
        Wrong(
            "normaliza las columnas con los positivos de las filas",
            _CLIP
            + "    w = w / w.sum(1, keepdim=True)\n"
            + "    rows = -(w * logits.log_softmax(dim=1)).sum(1).mean()\n"
            + "    columns = -(w * logits.log_softmax(dim=0)).sum(0).mean()\n"
            + "    return (rows + columns) / 2\n",
            visible=("cada columna entre los suyos",),
        ),
        Wrong(
            "solo la pérdida por filas",
            _CLIP + "    return -(w / w.sum(1, keepdim=True) * logits.log_softmax(dim=1)).sum(1).mean()\n",
            visible=("solo por filas",),
        ),
        Wrong(
            "no reparte el objetivo entre los positivos (cada uno con peso 1)",
            _CLIP
            + "    rows = -(w * logits.log_softmax(dim=1)).sum(1).mean()\n"
            + "    columns = -(w * logits.log_softmax(dim=0)).sum(0).mean()\n"
            + "    return (rows + columns) / 2\n",
        ),
        Wrong(
            "suma sobre el lote en lugar de promediar",
            _CLIP
            + "    rows = -(w / w.sum(1, keepdim=True) * logits.log_softmax(dim=1)).sum()\n"
            + "    columns = -(w / w.sum(0, keepdim=True) * logits.log_softmax(dim=0)).sum()\n"
            + "    return (rows + columns) / 2\n",
        ),
    ],
    "ej5_solucion": [
        Wrong(
            "no normaliza: decide la norma, no el coseno",
            _ZERO_SHOT + "    return (image_embeddings @ prompt_embeddings.mean(dim=1).T).argmax(dim=1)\n",
            visible=("normaliza",),
        ),
        Wrong(
            "promedia los prompts antes de normalizarlos",
            _ZERO_SHOT
            + "    classes = F.normalize(prompt_embeddings.mean(dim=1), dim=-1)\n"
            + "    return (F.normalize(image_embeddings, dim=-1) @ classes.T).argmax(dim=1)\n",
            visible=("normaliza cada prompt antes de promediar",),
        ),
        Wrong(
            "argmax sobre el eje de las imágenes",
            _ZERO_SHOT
            + "    classes = F.normalize(F.normalize(prompt_embeddings, dim=-1).mean(dim=1), dim=-1)\n"
            + "    return (F.normalize(image_embeddings, dim=-1) @ classes.T).argmax(dim=0)\n",
            visible=("una clase por imagen",),
        ),
        Wrong(
            "devuelve las similitudes en lugar de la clase",
            _ZERO_SHOT
            + "    classes = F.normalize(F.normalize(prompt_embeddings, dim=-1).mean(dim=1), dim=-1)\n"
            + "    return F.normalize(image_embeddings, dim=-1) @ classes.T\n",
            visible=("una clase por imagen",),
        ),
        Wrong(
            "normaliza los prompts sobre el eje de los prompts (dim=1)",
            _ZERO_SHOT
            + "    classes = F.normalize(F.normalize(prompt_embeddings, dim=1).mean(dim=1), dim=-1)\n"
            + "    return (F.normalize(image_embeddings, dim=-1) @ classes.T).argmax(dim=1)\n",
        ),
        Wrong(
            "no vuelve a normalizar el promedio de cada clase",
            _ZERO_SHOT
            + "    classes = F.normalize(prompt_embeddings, dim=-1).mean(dim=1)\n"
            + "    return (F.normalize(image_embeddings, dim=-1) @ classes.T).argmax(dim=1)\n",
            visible=("vuelve a normalizar el promedio",),
        ),
    ],
}

VARIANTS = {
    "ej1_solucion": [
        _patch_embed("x = self.proj(images)\n        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1, x.shape[1])"),
        # the image size checked with divmod, mT for the transpose
        "class PatchEmbed(nn.Module):\n"
        "    def __init__(self, image_size: int = 8, patch_size: int = 2, in_channels: int = 1, dim: int = 64):\n"
        "        super().__init__()\n"
        "        side, rest = divmod(image_size, patch_size)\n"
        "        if rest:\n"
        "            raise ValueError(f'{image_size} no es múltiplo de {patch_size}')\n"
        "        self.num_patches = side * side\n"
        "        self.proj = nn.Conv2d(in_channels, dim, patch_size, patch_size)\n\n"
        "    def forward(self, images):\n"
        "        return torch.flatten(self.proj(images), start_dim=2).mT\n",
        _patch_embed("return self.proj(images).flatten(start_dim=2).permute(0, 2, 1).contiguous()"),
    ],
    "ej2_solucion": [
        "def add_class_token(patches, cls_token, positions):\n"
        "    return torch.cat((cls_token.repeat(len(patches), 1, 1), patches), dim=1) + positions\n",
        # a new tensor filled by slices (gradients flow through the copies)
        "def add_class_token(patches, cls_token, positions):\n"
        "    b, n, d = patches.shape\n"
        "    out = patches.new_empty(b, n + 1, d)\n"
        "    out[:, :1] = cls_token\n"
        "    out[:, 1:] = patches\n"
        "    return out + positions\n",
        # the course ViT's way: an empty first slot, and the class token added with its position
        "def add_class_token(patches, cls_token, positions):\n"
        "    first = F.pad(cls_token, (0, 0, 0, patches.shape[1]))\n"
        "    return F.pad(patches, (0, 0, 1, 0)) + first + positions\n",
        "def add_class_token(patches, cls_token, positions):\n"
        "    cls = torch.broadcast_to(cls_token, (patches.size(0), 1, patches.size(2)))\n"
        "    return torch.concat([cls, patches], 1).add(positions)\n",
    ],
    "ej3_solucion": [
        # clamped in log space: the same value and the same gradient
        "import math\n\n\n"
        + _temperature(
            "torch.tensor(math.log(1 / temperature))", "self.log_scale.clamp(max=math.log(self.max_scale)).exp()"
        ),
        # max_scale as a buffer, torch.minimum
        _temperature(
            "torch.log(torch.tensor(1.0 / temperature))",
            "torch.minimum(self.log_scale.exp(), self.max_scale)",
            extra="        self.register_buffer('max_scale', torch.tensor(float(max_scale)))\n",
        ),
        _temperature(
            "torch.tensor(-np.log(temperature), dtype=torch.float32)",
            "torch.clamp(torch.exp(self.log_scale), max=self.max_scale)",
        ),
    ],
    "ej4_solucion": [
        # cross-entropy with probability targets
        "def clip_loss(logits, positives):\n"
        "    p = positives.to(logits.dtype)\n"
        "    rows = F.cross_entropy(logits, p / p.sum(dim=1, keepdim=True))\n"
        "    columns = F.cross_entropy(logits.T, (p / p.sum(dim=0, keepdim=True)).T)\n"
        "    return (rows + columns) / 2\n",
        # one row and one column at a time, with logsumexp
        "def clip_loss(logits, positives):\n"
        "    n = logits.shape[0]\n"
        "    total = 0.0\n"
        "    for i in range(n):\n"
        "        row, col = logits[i], logits[:, i]\n"
        "        total = total + (torch.logsumexp(row, 0) - row[positives[i]].mean()) / (2 * n)\n"
        "        total = total + (torch.logsumexp(col, 0) - col[positives[:, i]].mean()) / (2 * n)\n"
        "    return total\n",
    ],
    "ej5_solucion": [
        "def zero_shot_predict(image_embeddings, prompt_embeddings):\n"
        "    prompts = prompt_embeddings / prompt_embeddings.norm(dim=-1, keepdim=True)\n"
        "    classes = prompts.mean(1)\n"
        "    classes = classes / classes.norm(dim=-1, keepdim=True)\n"
        "    images = image_embeddings / image_embeddings.norm(dim=-1, keepdim=True)\n"
        "    return torch.argmax(torch.einsum('nd,cd->nc', images, classes), dim=-1)\n",
        # cosine similarity by broadcasting
        "def zero_shot_predict(image_embeddings, prompt_embeddings):\n"
        "    classes = F.normalize(prompt_embeddings, dim=2).mean(dim=1)\n"
        "    return F.cosine_similarity(image_embeddings[:, None, :], classes[None, :, :], dim=-1).argmax(dim=1)\n",
    ],
}
