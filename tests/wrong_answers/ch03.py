"""Chapter 03 (minibatches multimodales): plausible mistakes and correct variants.

Exercise 1 builds aligned, stratified train/test loaders; exercise 2 a padding collate function;
exercise 3 a masked mean. Each source is a whole solution cell as a student would write it.
"""

from wrong_answers import Wrong

_SPLIT = (
    "    tf_tr, tf_te, em_tr, em_te, st_tr, st_te, y_tr_, y_te_ = train_test_split(\n"
    "        tfidf, emb, style, labels, train_size=n_train, stratify=labels, random_state=seed)\n"
    "    def tensors(*arrays):\n"
    "        return TensorDataset(*(torch.as_tensor(a) for a in arrays))\n"
)
_HEAD = "def make_minibatches(tfidf, emb, style, labels, n_train=512, batch_size=32, seed=0):\n"
_TEST_LOADER = (
    "    test_loader = DataLoader(tensors(tf_te, em_te, st_te, y_te_), batch_size=batch_size, shuffle=False)\n"
    "    return train_loader, test_loader\n"
)


def _loaders(train_loader: str, split: str = _SPLIT, test_loader: str = _TEST_LOADER) -> str:
    return _HEAD + split + train_loader + test_loader


WRONG = {
    "ej1_solucion": [
        # The case: train_test_split already permutes, so only the order against the
        # split's own order (and across epochs) shows the loader never shuffles.
        Wrong(
            "el loader de entrenamiento no baraja (shuffle=False)",
            _loaders("    train_loader = DataLoader(tensors(tf_tr, em_tr, st_tr, y_tr_), batch_size=batch_size)\n"),
            visible=("no baraja",),
        ),
        Wrong(
            "baraja los datos una sola vez, al construir el loader",
            _loaders(
                "    orden = np.random.default_rng(seed).permutation(len(y_tr_))   # se baraja aquí, una vez\n"
                "    train_loader = DataLoader(tensors(tf_tr[orden], em_tr[orden], st_tr[orden], y_tr_[orden]),\n"
                "                              batch_size=batch_size, shuffle=False)\n"
            ),
            visible=("cada época",),
        ),
        Wrong(
            "partición sin estratificar",
            _loaders(
                "    train_loader = DataLoader(tensors(tf_tr, em_tr, st_tr, y_tr_), batch_size=batch_size, shuffle=True,\n"
                "                              generator=torch.Generator().manual_seed(seed))\n",
                split=_SPLIT.replace("stratify=labels, ", ""),
            ),
            visible=("stratify=labels",),
        ),
        Wrong(
            "siembra el generador global (torch.manual_seed) en vez de pasar generator",
            _loaders(
                "    torch.manual_seed(seed)\n"
                "    train_loader = DataLoader(tensors(tf_tr, em_tr, st_tr, y_tr_), batch_size=batch_size, shuffle=True)\n"
            ),
            visible=("misma semilla",),
        ),
        Wrong(
            "el loader de prueba también baraja",
            _loaders(
                "    train_loader = DataLoader(tensors(tf_tr, em_tr, st_tr, y_tr_), batch_size=batch_size, shuffle=True,\n"
                "                              generator=torch.Generator().manual_seed(seed))\n",
                test_loader=(
                    "    test_loader = DataLoader(tensors(tf_te, em_te, st_te, y_te_), batch_size=batch_size, shuffle=True)\n"
                    "    return train_loader, test_loader\n"
                ),
            ),
            visible=("prueba no debe barajar",),
        ),
        Wrong(
            "ignora la semilla en la partición (random_state fijo) y descarta el último lote",
            _loaders(
                "    train_loader = DataLoader(tensors(tf_tr, em_tr, st_tr, y_tr_), batch_size=batch_size, shuffle=True,\n"
                "                              generator=torch.Generator().manual_seed(seed), drop_last=True)\n",
                split=_SPLIT.replace("random_state=seed", "random_state=0"),
            ),
        ),
    ],
    "ej2_solucion": [
        Wrong(
            "rellena al principio en vez de al final",
            "def pad_collate(batch):\n"
            "    sequences = [item['ids'] for item in batch]\n"
            "    lengths = torch.tensor([len(s) for s in sequences])\n"
            "    T = int(lengths.max())\n"
            "    ids = torch.stack([torch.cat([torch.full((T - len(s),), PAD, dtype=torch.long), s]) for s in sequences])\n"
            "    mask = torch.stack([torch.arange(T) >= T - n for n in lengths])\n"
            "    labels = torch.stack([item['label'] for item in batch])\n"
            "    return {'ids': ids, 'mask': mask, 'lengths': lengths, 'label': labels}\n",
            visible=("al final",),
        ),
        Wrong(
            "máscara invertida (True en el relleno)",
            "def pad_collate(batch):\n"
            "    sequences = [item['ids'] for item in batch]\n"
            "    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)\n"
            "    ids = pad_sequence(sequences, batch_first=True, padding_value=PAD)\n"
            "    mask = torch.arange(ids.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)\n"
            "    labels = torch.stack([item['label'] for item in batch])\n"
            "    return {'ids': ids, 'mask': mask, 'lengths': lengths, 'label': labels}\n",
            visible=("máscara",),
        ),
        Wrong(
            "ids en float: el tensor de relleno se crea con torch.zeros sin dtype",
            "def pad_collate(batch):\n"
            "    lengths = torch.tensor([len(item['ids']) for item in batch])\n"
            "    ids = torch.zeros(len(batch), int(lengths.max()))\n"
            "    for i, item in enumerate(batch):\n"
            "        ids[i, :len(item['ids'])] = item['ids']\n"
            "    mask = torch.arange(ids.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)\n"
            "    labels = torch.stack([item['label'] for item in batch])\n"
            "    return {'ids': ids, 'mask': mask, 'lengths': lengths, 'label': labels}\n",
            visible=("LongTensor",),
        ),
        Wrong(
            "longitudes tomadas del lote ya rellenado (todas iguales a T)",
            "def pad_collate(batch):\n"
            "    ids = pad_sequence([item['ids'] for item in batch], batch_first=True, padding_value=PAD)\n"
            "    lengths = torch.full((ids.shape[0],), ids.shape[1], dtype=torch.long)\n"
            "    mask = ids != PAD\n"
            "    labels = torch.stack([item['label'] for item in batch])\n"
            "    return {'ids': ids, 'mask': mask, 'lengths': lengths, 'label': labels}\n",
            visible=("longitudes",),
        ),
        Wrong(
            "reordena el lote por longitud (como para pack_padded_sequence)",
            "def pad_collate(batch):\n"
            "    batch = sorted(batch, key=lambda item: len(item['ids']), reverse=True)\n"
            "    sequences = [item['ids'] for item in batch]\n"
            "    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)\n"
            "    ids = pad_sequence(sequences, batch_first=True, padding_value=PAD)\n"
            "    mask = torch.arange(ids.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)\n"
            "    labels = torch.stack([item['label'] for item in batch])\n"
            "    return {'ids': ids, 'mask': mask, 'lengths': lengths, 'label': labels}\n",
            visible=("sin reordenar",),
        ),
    ],
    "ej3_solucion": [
        # The canonical mistake: a row with no valid position divides 0 by 0.
        Wrong(
            "divide entre el número de posiciones válidas sin mínimo: NaN en filas vacías",
            "def masked_mean(values, mask):\n"
            "    weights = mask.unsqueeze(-1).float()\n"
            "    return (values * weights).sum(dim=1) / weights.sum(dim=1)\n",
            visible=("NaN",),
        ),
        Wrong(
            "ignora la máscara: media sobre todas las posiciones",
            "def masked_mean(values, mask):\n    return values.mean(dim=1)\n",
            visible=("relleno",),
        ),
        Wrong(
            "cuenta las posiciones válidas de todo el lote, no de cada fila",
            "def masked_mean(values, mask):\n"
            "    total = (values * mask.unsqueeze(-1)).sum(dim=1)\n"
            "    return total / mask.sum().clamp(min=1)\n",
            visible=("denominador",),
        ),
        Wrong(
            "torch.where tras dividir entre 0: valor correcto, gradiente NaN en las filas vacías",
            "def masked_mean(values, mask):\n"
            "    weights = mask.unsqueeze(-1).to(values.dtype)\n"
            "    count = weights.sum(dim=1)\n"
            "    total = (values * weights).sum(dim=1)\n"
            "    return torch.where(count > 0, total / count, torch.zeros_like(total))\n",
        ),
        Wrong(
            "calcula en NumPy: el gradiente no llega a values",
            "def masked_mean(values, mask):\n"
            "    v, m = values.detach().numpy(), mask.numpy()[..., None]\n"
            "    return torch.from_numpy((v * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1)).to(values.dtype)\n",
        ),
    ],
}

VARIANTS = {
    "ej1_solucion": [
        # split an index array, index the matrices, sample with an explicit RandomSampler
        "def make_minibatches(tfidf, emb, style, labels, n_train=512, batch_size=32, seed=0):\n"
        "    from torch.utils.data import RandomSampler\n"
        "    i_tr, i_te = train_test_split(np.arange(len(labels)), train_size=n_train, stratify=labels,\n"
        "                                  random_state=seed)\n"
        "    def dataset(i):\n"
        "        return TensorDataset(*(torch.from_numpy(np.asarray(a)[i]) for a in (tfidf, emb, style, labels)))\n"
        "    train = dataset(i_tr)\n"
        "    sampler = RandomSampler(train, generator=torch.Generator().manual_seed(seed))\n"
        "    return (DataLoader(train, batch_size=batch_size, sampler=sampler),\n"
        "            DataLoader(dataset(i_te), batch_size=batch_size))\n",
        # a Dataset of its own that returns tuples (and a call to the course's set_seed, which is allowed)
        "class _Tuples(Dataset):\n"
        "    def __init__(self, *arrays):\n"
        "        self.arrays = [torch.tensor(a) for a in arrays]\n"
        "    def __len__(self):\n"
        "        return len(self.arrays[0])\n"
        "    def __getitem__(self, i):\n"
        "        return tuple(a[i] for a in self.arrays)\n"
        "\n\n"
        "def make_minibatches(tfidf, emb, style, labels, n_train=512, batch_size=32, seed=0):\n"
        "    set_seed(seed)   # la ayuda del curso para las semillas: no resuelve el ejercicio\n"
        "    parts = train_test_split(tfidf, emb, style, labels, train_size=n_train, stratify=labels,\n"
        "                             random_state=seed)\n"
        "    train, test = _Tuples(*parts[0::2]), _Tuples(*parts[1::2])\n"
        "    g = torch.Generator()\n"
        "    g.manual_seed(seed)\n"
        "    return DataLoader(train, batch_size, shuffle=True, generator=g), DataLoader(test, batch_size)\n",
    ],
    "ej2_solucion": [
        # a LongTensor of PAD filled row by row; the mask from the positions
        "def pad_collate(batch):\n"
        "    lengths = torch.tensor([item['ids'].numel() for item in batch], dtype=torch.long)\n"
        "    ids = torch.full((len(batch), int(lengths.max())), PAD, dtype=torch.long)\n"
        "    for row, item in enumerate(batch):\n"
        "        ids[row, : lengths[row]] = item['ids']\n"
        "    mask = torch.zeros_like(ids, dtype=torch.bool)\n"
        "    for row, n in enumerate(lengths.tolist()):\n"
        "        mask[row, :n] = True\n"
        "    return {'ids': ids, 'mask': mask, 'lengths': lengths,\n"
        "            'label': torch.tensor([int(item['label']) for item in batch])}\n",
        # F.pad each sequence to the longest, then stack
        "import torch.nn.functional as F\n\n\n"
        "def pad_collate(batch):\n"
        "    T = max(len(item['ids']) for item in batch)\n"
        "    ids = torch.stack([F.pad(item['ids'], (0, T - len(item['ids'])), value=PAD) for item in batch])\n"
        "    lengths = torch.tensor([len(item['ids']) for item in batch])\n"
        "    mask = torch.stack([F.pad(torch.ones(len(item['ids']), dtype=torch.bool), (0, T - len(item['ids'])))\n"
        "                        for item in batch])\n"
        "    return {'ids': ids, 'mask': mask, 'lengths': lengths, 'label': torch.stack([item['label'] for item in batch])}\n",
    ],
    "ej3_solucion": [
        # row by row: the mean of the selected positions, zeros for an empty row
        "def masked_mean(values, mask):\n"
        "    rows = []\n"
        "    for v, m in zip(values, mask):\n"
        "        rows.append(v[m].mean(dim=0) if m.any() else v.new_zeros(v.shape[-1]))\n"
        "    return torch.stack(rows)\n",
        # masked_fill + an integer count clamped to 1
        "def masked_mean(values, mask):\n"
        "    total = values.masked_fill(~mask.unsqueeze(-1), 0.0).sum(dim=1)\n"
        "    return total / mask.sum(dim=1, keepdim=True).clamp(min=1)\n",
    ],
}
