"""Chapter 02 (estrategias de fusión): plausible mistakes and correct variants of each exercise."""

from wrong_answers import Wrong

# --- Ejercicio 1 · build_late_fusion (Keras) ---------------------------------------------------

LATE_NOT_FROZEN = """
def build_late_fusion(tabular_model, vision_model, n_classes):
    tabular_in = keras.Input(shape=tabular_model.input_shape[1:])
    vision_in = keras.Input(shape=vision_model.input_shape[1:])
    probs = layers.Concatenate()([tabular_model(tabular_in), vision_model(vision_in)])
    return keras.Model([tabular_in, vision_in], layers.Dense(n_classes, activation="softmax")(probs))
"""  # los modelos por modalidad siguen entrenables

LATE_WITHOUT_SOFTMAX = """
def build_late_fusion(tabular_model, vision_model, n_classes):
    tabular_model.trainable = False
    vision_model.trainable = False
    tabular_in = keras.Input(shape=tabular_model.input_shape[1:])
    vision_in = keras.Input(shape=vision_model.input_shape[1:])
    probs = layers.Concatenate()([tabular_model(tabular_in), vision_model(vision_in)])
    return keras.Model([tabular_in, vision_in], layers.Dense(n_classes)(probs))   # sin softmax
"""

LATE_INPUTS_SWAPPED = """
def build_late_fusion(tabular_model, vision_model, n_classes):
    tabular_model.trainable = False
    vision_model.trainable = False
    tabular_in = keras.Input(shape=tabular_model.input_shape[1:])
    vision_in = keras.Input(shape=vision_model.input_shape[1:])
    probs = layers.Concatenate()([tabular_model(tabular_in), vision_model(vision_in)])
    output = layers.Dense(n_classes, activation="softmax")(probs)
    return keras.Model([vision_in, tabular_in], output)   # entradas en el orden contrario
"""

LATE_FIXED_N_CLASSES = """
def build_late_fusion(tabular_model, vision_model, n_classes):
    tabular_model.trainable = False
    vision_model.trainable = False
    tabular_in = keras.Input(shape=tabular_model.input_shape[1:])
    vision_in = keras.Input(shape=vision_model.input_shape[1:])
    probs = layers.Concatenate()([tabular_model(tabular_in), vision_model(vision_in)])
    return keras.Model([tabular_in, vision_in], layers.Dense(N_CLASSES, activation="softmax")(probs))   # ignora n_classes
"""

LATE_OTHER_ORDER = """
def build_late_fusion(tabular_model, vision_model, n_classes):
    tabular_model.trainable = False
    vision_model.trainable = False
    tabular_in = keras.Input(shape=tabular_model.input_shape[1:], name="tabular")
    vision_in = keras.Input(shape=vision_model.input_shape[1:], name="vision")
    # primero las probabilidades de visión: la capa densa aprende igual
    probs = layers.Concatenate(axis=-1)([vision_model(vision_in), tabular_model(tabular_in)])
    return keras.Model(inputs=[tabular_in, vision_in], outputs=layers.Dense(n_classes, activation="softmax")(probs))
"""

LATE_FROM_THE_MODELS_OWN_GRAPH = """
def build_late_fusion(tabular_model, vision_model, n_classes):
    for model in (tabular_model, vision_model):
        for layer in model.layers:
            layer.trainable = False
    merged = keras.ops.concatenate([tabular_model.outputs[0], vision_model.outputs[0]], axis=-1)
    output = layers.Dense(n_classes, activation="softmax", name="cabeza_tardia")(merged)
    return keras.Model([tabular_model.inputs[0], vision_model.inputs[0]], output)
"""

# --- Ejercicio 2 · feature_extractor (Keras) ---------------------------------------------------

COPIED_WEIGHTS = """
def feature_extractor(model, layer_name):
    copia = keras.models.clone_model(model)          # una copia: los pesos dejan de compartirse
    copia.set_weights(model.get_weights())
    return keras.Model(inputs=copia.inputs, outputs=copia.get_layer(layer_name).output)
"""

PENULTIMATE_LAYER_WHATEVER_THE_NAME = """
def feature_extractor(model, layer_name):
    model.get_layer(layer_name)                      # solo para que falle si no existe
    return keras.Model(model.inputs, model.layers[-2].output)   # siempre la penúltima capa
"""

LAYER_INPUT_NOT_OUTPUT = """
def feature_extractor(model, layer_name):
    return keras.Model(model.inputs, model.get_layer(layer_name).input)   # lo que entra en la capa
"""

NONE_FOR_A_MISSING_LAYER = """
def feature_extractor(model, layer_name):
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        return None                                   # se traga el error
    return keras.Model(model.inputs, layer.output)
"""

FEATURES_BY_SEARCHING_THE_LAYERS = """
def feature_extractor(model, layer_name):
    found = [layer for layer in model.layers if layer.name == layer_name]
    if not found:
        raise ValueError(f"El modelo {model.name} no tiene ninguna capa llamada {layer_name!r}.")
    return keras.Model(inputs=model.inputs, outputs=found[0].output, name=f"{model.name}_{layer_name}")
"""

FEATURES_WITH_KEYWORDS = """
def feature_extractor(model, layer_name):
    target = model.get_layer(name=layer_name)
    return keras.Model(inputs=model.inputs, outputs=[target.output])
"""

# --- Ejercicio 3 · IntermediateFusion.forward --------------------------------------------------

_INTERMEDIATE_INIT = """
class IntermediateFusion(nn.Module):
    def __init__(self, image_encoder, tabular_encoder, image_dim, tabular_dim, hidden=64, n_classes=10):
        super().__init__()
        self.image_branch = image_encoder
        self.tabular_branch = tabular_encoder
        self.fusion = nn.Sequential(nn.Linear(image_dim + tabular_dim, hidden), nn.ReLU())
        self.output = nn.Linear(hidden, n_classes)
"""


def _intermediate(forward: str) -> str:
    """The exercise's cell: the given constructor and a ``forward``."""
    return _INTERMEDIATE_INIT + forward


SOFTMAX_OUTPUT = _intermediate("""
    def forward(self, image, tabular):
        fused = torch.cat([self.image_branch(image), self.tabular_branch(tabular)], dim=-1)
        return torch.softmax(self.output(self.fusion(fused)), dim=-1)
""")

SIGMOID_OUTPUT = _intermediate("""
    def forward(self, image, tabular):
        fused = torch.cat([self.image_branch(image), self.tabular_branch(tabular)], dim=-1)
        return torch.sigmoid(self.output(self.fusion(fused)))       # el error de la semilla 001
""")

RELU_AFTER_THE_OUTPUT = _intermediate("""
    def forward(self, image, tabular):
        fused = torch.cat([self.image_branch(image), self.tabular_branch(tabular)], dim=-1)
        return torch.relu(self.output(self.fusion(fused)))          # los logits negativos se pierden
""")

FUSION_WITHOUT_ITS_RELU = _intermediate("""
    def forward(self, image, tabular):
        fused = torch.cat([self.image_branch(image), self.tabular_branch(tabular)], dim=-1)
        return self.output(self.fusion[0](fused))                   # solo la Linear de self.fusion
""")

INTERMEDIATE_TABULAR_FIRST = _intermediate("""
    def forward(self, image, tabular):
        parts = [self.tabular_branch(tabular), self.image_branch(image)]   # otro orden: también vale
        return self.output(self.fusion(torch.concat(parts, dim=1)))
""")

INTERMEDIATE_STEP_BY_STEP = _intermediate("""
    def forward(self, image, tabular):
        h_image = self.image_branch(image)
        h_tabular = self.tabular_branch(tabular)
        h = torch.hstack([h_image, h_tabular])
        h = self.fusion(h)
        logits = self.output(h)
        return logits
""")

# --- Ejercicio 4 · ThreeBranchFusion -------------------------------------------------------------

HEAD_TOO_WIDE_FOR_SUM = """
class ThreeBranchFusion(nn.Module):
    def __init__(self, branches, branch_dims, fusion_dim=32, merge="concat", hidden=64, n_classes=10):
        super().__init__()
        if merge not in ("concat", "sum"):
            raise ValueError(merge)
        self.merge = merge
        self.branches = nn.ModuleList(branches)
        self.projections = nn.ModuleList(nn.Linear(d, fusion_dim) for d in branch_dims)
        self.head = nn.Sequential(nn.Linear(3 * fusion_dim, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, *inputs):
        feats = [p(b(x)) for b, p, x in zip(self.branches, self.projections, inputs)]
        if self.merge == "concat":
            return self.head(torch.cat(feats, dim=-1))
        return self.head(torch.cat([sum(feats)] * 3, dim=-1))   # la suma repetida para llenar la cabeza
"""

MEAN_INSTEAD_OF_SUM = """
class ThreeBranchFusion(nn.Module):
    def __init__(self, branches, branch_dims, fusion_dim=32, merge="concat", hidden=64, n_classes=10):
        super().__init__()
        if merge not in ("concat", "sum"):
            raise ValueError(merge)
        self.merge = merge
        self.branches = nn.ModuleList(branches)
        self.projections = nn.ModuleList(nn.Linear(d, fusion_dim) for d in branch_dims)
        width = fusion_dim * len(branches) if merge == "concat" else fusion_dim
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, *inputs):
        feats = [p(b(x)) for b, p, x in zip(self.branches, self.projections, inputs)]
        merged = torch.cat(feats, dim=-1) if self.merge == "concat" else torch.stack(feats).mean(dim=0)
        return self.head(merged)
"""

UNKNOWN_MERGE_ACCEPTED = """
class ThreeBranchFusion(nn.Module):
    def __init__(self, branches, branch_dims, fusion_dim=32, merge="concat", hidden=64, n_classes=10):
        super().__init__()
        self.merge = merge                                   # 'max' se acepta y acaba concatenando
        self.branches = nn.ModuleList(branches)
        self.projections = nn.ModuleList(nn.Linear(d, fusion_dim) for d in branch_dims)
        width = fusion_dim if merge == "sum" else fusion_dim * len(branches)
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, *inputs):
        feats = [p(b(x)) for b, p, x in zip(self.branches, self.projections, inputs)]
        return self.head(sum(feats) if self.merge == "sum" else torch.cat(feats, dim=-1))
"""

NO_PROJECTIONS = """
class ThreeBranchFusion(nn.Module):
    def __init__(self, branches, branch_dims, fusion_dim=32, merge="concat", hidden=64, n_classes=10):
        super().__init__()
        if merge not in ("concat", "sum"):
            raise ValueError(merge)
        self.merge = merge
        self.branches = nn.ModuleList(branches)
        self.projections = nn.ModuleList(nn.Identity() for _ in branch_dims)   # sin proyectar a fusion_dim
        width = sum(branch_dims) if merge == "concat" else max(branch_dims)
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, *inputs):
        feats = [b(x) for b, x in zip(self.branches, inputs)]
        if self.merge == "concat":
            return self.head(torch.cat(feats, dim=-1))
        width = max(f.shape[-1] for f in feats)
        return self.head(sum(nn.functional.pad(f, (0, width - f.shape[-1])) for f in feats))
"""

SOFTMAX_AT_THE_END = """
class ThreeBranchFusion(nn.Module):
    def __init__(self, branches, branch_dims, fusion_dim=32, merge="concat", hidden=64, n_classes=10):
        super().__init__()
        if merge not in ("concat", "sum"):
            raise ValueError(merge)
        self.merge = merge
        self.branches = nn.ModuleList(branches)
        self.projections = nn.ModuleList(nn.Linear(d, fusion_dim) for d in branch_dims)
        width = fusion_dim * len(branches) if merge == "concat" else fusion_dim
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, *inputs):
        feats = [p(b(x)) for b, p, x in zip(self.branches, self.projections, inputs)]
        merged = torch.cat(feats, dim=-1) if self.merge == "concat" else torch.stack(feats).sum(dim=0)
        return torch.softmax(self.head(merged), dim=-1)     # probabilidades, no logits
"""

CONCAT_IN_REVERSE = """
class ThreeBranchFusion(nn.Module):
    def __init__(self, branches, branch_dims, fusion_dim=32, merge="concat", hidden=64, n_classes=10):
        super().__init__()
        if merge not in ("concat", "sum"):
            raise ValueError(merge)
        self.merge = merge
        self.branches = nn.ModuleList(branches)
        self.projections = nn.ModuleList(nn.Linear(d, fusion_dim) for d in branch_dims)
        width = fusion_dim * len(branches) if merge == "concat" else fusion_dim
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, *inputs):
        feats = [p(b(x)) for b, p, x in zip(self.branches, self.projections, inputs)]
        merged = torch.cat(feats[::-1], dim=-1) if self.merge == "concat" else sum(feats)   # la última rama primero
        return self.head(merged)
"""

THREE_BRANCH_WITH_MLP_HEAD = """
class ThreeBranchFusion(nn.Module):
    def __init__(self, branches, branch_dims, fusion_dim=32, merge="concat", hidden=64, n_classes=10):
        super().__init__()
        merges = {"concat": lambda fs: torch.cat(fs, dim=-1), "sum": lambda fs: sum(fs)}
        if merge not in merges:
            raise ValueError(f"merge debe ser 'concat' o 'sum', no {merge!r}")
        self._merge = merges[merge]
        self.branches = nn.ModuleList(branches)
        self.projections = nn.ModuleList([nn.Linear(d, fusion_dim) for d in branch_dims])
        width = {"concat": 3 * fusion_dim, "sum": fusion_dim}[merge]
        self.head = nn.Sequential(*mlp([width, hidden]), nn.Linear(hidden, n_classes))   # mlp del curso: Linear + ReLU

    def forward(self, *inputs):
        return self.head(self._merge([proj(branch(x)) for branch, proj, x
                                      in zip(self.branches, self.projections, inputs)]))
"""

THREE_BRANCH_STACKED_LAST = """
class ThreeBranchFusion(nn.Module):
    def __init__(self, branches, branch_dims, fusion_dim=32, merge="concat", hidden=64, n_classes=10):
        super().__init__()
        if merge == "concat":
            head_in = fusion_dim * len(branch_dims)
        elif merge == "sum":
            head_in = fusion_dim
        else:
            raise ValueError("merge desconocido")
        self.merge = merge
        self.branches = nn.ModuleList()
        self.projections = nn.ModuleList()
        for branch, d in zip(branches, branch_dims):
            self.branches.append(branch)
            self.projections.append(nn.Linear(d, fusion_dim))
        self.head = nn.Sequential(nn.Linear(head_in, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, *inputs):
        feats = []
        for i, x in enumerate(inputs):
            feats.append(self.projections[i](self.branches[i](x)))
        if self.merge == "sum":
            return self.head(torch.stack(feats, dim=-1).sum(dim=-1))
        return self.head(torch.cat(feats, dim=1))
"""

# --- Ejercicio 5 · robustness_auc ----------------------------------------------------------------

AREA_NOT_DIVIDED_BY_THE_RANGE = """
def robustness_auc(levels, accuracies):
    levels, accuracies = np.asarray(levels, dtype=float), np.asarray(accuracies, dtype=float)
    if levels.shape != accuracies.shape or levels.ndim != 1 or len(levels) < 2:
        raise ValueError("niveles y exactitudes")
    if np.any(np.diff(levels) <= 0):
        raise ValueError("niveles no crecientes")
    return float(np.sum((accuracies[1:] + accuracies[:-1]) / 2 * np.diff(levels)))   # sin dividir por el rango
"""

SPACING_IGNORED = """
def robustness_auc(levels, accuracies):
    levels, accuracies = np.asarray(levels, dtype=float), np.asarray(accuracies, dtype=float)
    if levels.shape != accuracies.shape or levels.ndim != 1 or len(levels) < 2:
        raise ValueError("niveles y exactitudes")
    if np.any(np.diff(levels) <= 0):
        raise ValueError("niveles no crecientes")
    return float(np.mean((accuracies[1:] + accuracies[:-1]) / 2))   # cada trapecio pesa lo mismo, sea cual sea su anchura
"""

DIVIDED_BY_THE_LAST_LEVEL = """
def robustness_auc(levels, accuracies):
    levels, accuracies = np.asarray(levels, dtype=float), np.asarray(accuracies, dtype=float)
    if levels.shape != accuracies.shape or levels.ndim != 1 or len(levels) < 2:
        raise ValueError("niveles y exactitudes")
    if np.any(np.diff(levels) <= 0):
        raise ValueError("niveles no crecientes")
    area = np.sum((accuracies[1:] + accuracies[:-1]) / 2 * np.diff(levels))
    return float(area / levels[-1])                 # supone que los niveles empiezan en 0
"""

LEVELS_NOT_CHECKED = """
def robustness_auc(levels, accuracies):
    levels, accuracies = np.asarray(levels, dtype=float), np.asarray(accuracies, dtype=float)
    if levels.shape != accuracies.shape or len(levels) < 2:
        raise ValueError("niveles y exactitudes")
    area = np.sum((accuracies[1:] + accuracies[:-1]) / 2 * np.diff(levels))   # niveles decrecientes: área negativa
    return float(area / (levels[-1] - levels[0]))
"""

MEAN_OF_THE_ACCURACIES = """
def robustness_auc(levels, accuracies):
    if len(levels) != len(accuracies) or len(levels) < 2:
        raise ValueError("niveles y exactitudes")
    if any(b <= a for a, b in zip(levels, levels[1:])):
        raise ValueError("niveles no crecientes")
    return float(np.mean(accuracies))               # la media de los puntos no es el área del trapecio
"""

AUC_WITH_TRAPEZOID = """
def robustness_auc(levels, accuracies):
    x, y = np.array(levels, dtype=np.float64), np.array(accuracies, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or y.shape != x.shape:
        raise ValueError("hacen falta al menos dos niveles, cada uno con su exactitud")
    if not np.all(x[1:] > x[:-1]):
        raise ValueError("los niveles deben ser estrictamente crecientes")
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))
"""

AUC_IN_PURE_PYTHON = """
def robustness_auc(levels, accuracies):
    levels, accuracies = list(levels), list(accuracies)
    if len(levels) < 2 or len(levels) != len(accuracies):
        raise ValueError("se necesitan al menos dos niveles y una exactitud por nivel")
    area = 0.0
    for (x0, y0), (x1, y1) in zip(zip(levels, accuracies), zip(levels[1:], accuracies[1:])):
        if x1 <= x0:
            raise ValueError("los niveles deben crecer estrictamente")
        area += (x1 - x0) * (y0 + y1) / 2
    return area / (levels[-1] - levels[0])
"""

# --- Ejercicio 6 · modality_dropout --------------------------------------------------------------

ALWAYS_KEEPS_MODALITY_0 = """
def modality_dropout(inputs, p, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(p)
    inputs = list(inputs)
    if p == 0.0 or not inputs:
        return inputs
    batch, n_mod = inputs[0].shape[0], len(inputs)
    keep = torch.rand(batch, n_mod, generator=generator) >= p
    keep[~keep.any(dim=1), 0] = True
    return [x * keep[:, m].to(x).reshape(batch, *([1] * (x.dim() - 1))) for m, x in enumerate(inputs)]
"""

MULTIPLIES_IN_PLACE = """
def modality_dropout(inputs, p, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(p)
    if p == 0.0:
        return list(inputs)
    batch, n_mod = inputs[0].shape[0], len(inputs)
    keep = torch.rand(batch, n_mod, generator=generator) >= p
    none = ~keep.any(dim=1)
    keep[none.nonzero(as_tuple=True)[0], torch.randint(n_mod, (int(none.sum()),), generator=generator)] = True
    for m, x in enumerate(inputs):
        x.mul_(keep[:, m].to(x).reshape(batch, *([1] * (x.dim() - 1))))   # escribe en las entradas
    return list(inputs)
"""

RESCALED_LIKE_DROPOUT = """
def modality_dropout(inputs, p, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(p)
    inputs = list(inputs)
    if p == 0.0:
        return inputs
    batch, n_mod = inputs[0].shape[0], len(inputs)
    keep = torch.rand(batch, n_mod, generator=generator) >= p
    none = ~keep.any(dim=1)
    keep[none.nonzero(as_tuple=True)[0], torch.randint(n_mod, (int(none.sum()),), generator=generator)] = True
    scale = 1.0 / (1.0 - p) if p < 1.0 else 1.0                      # como nn.Dropout
    return [x * keep[:, m].to(x).reshape(batch, *([1] * (x.dim() - 1))) * scale for m, x in enumerate(inputs)]
"""

ONE_MASK_FOR_THE_WHOLE_BATCH = """
def modality_dropout(inputs, p, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(p)
    inputs = list(inputs)
    if p == 0.0:
        return inputs
    n_mod = len(inputs)
    keep = torch.rand(n_mod, generator=generator) >= p               # una decisión por modalidad, no por ejemplo
    if not keep.any():
        keep[torch.randint(n_mod, (1,), generator=generator)] = True
    return [x * keep[m].to(x) for m, x in enumerate(inputs)]
"""

MASK_ALWAYS_FLOAT32 = """
def modality_dropout(inputs, p, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(p)
    inputs = list(inputs)
    if p == 0.0:
        return inputs
    batch, n_mod = inputs[0].shape[0], len(inputs)
    keep = torch.rand(batch, n_mod, generator=generator) >= p
    none = ~keep.any(dim=1)
    keep[none.nonzero(as_tuple=True)[0], torch.randint(n_mod, (int(none.sum()),), generator=generator)] = True
    mask = keep.float()                                               # float32 en la CPU, sea cual sea x
    return [x * mask[:, m].reshape(batch, *([1] * (x.dim() - 1))) for m, x in enumerate(inputs)]
"""

RESCUE_WITHOUT_THE_GENERATOR = """
def modality_dropout(inputs, p, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(p)
    inputs = list(inputs)
    if p == 0.0:
        return inputs
    batch, n_mod = inputs[0].shape[0], len(inputs)
    keep = torch.rand(batch, n_mod, generator=generator) >= p
    none = ~keep.any(dim=1)
    keep[none.nonzero(as_tuple=True)[0], torch.randint(n_mod, (int(none.sum()),))] = True   # sin generator
    return [x * keep[:, m].to(x).reshape(batch, *([1] * (x.dim() - 1))) for m, x in enumerate(inputs)]
"""

DROPOUT_WITH_BERNOULLI = """
def modality_dropout(inputs, p, generator=None):
    if p < 0 or p > 1:
        raise ValueError(f"p={p} no es una probabilidad")
    inputs = list(inputs)
    if p == 0:
        return inputs
    batch, n_mod = len(inputs[0]), len(inputs)
    keep = torch.bernoulli(torch.full((batch, n_mod), 1.0 - p), generator=generator).bool()
    empty = (~keep).all(dim=1)
    rows = torch.arange(batch)[empty]
    keep[rows, torch.randint(0, n_mod, (len(rows),), generator=generator)] = True
    out = []
    for m, x in enumerate(inputs):
        mask = keep[:, m].view(-1, *([1] * (x.ndim - 1))).to(device=x.device, dtype=x.dtype)
        out.append(x * mask)
    return out
"""

DROPOUT_WITH_WHERE = """
def modality_dropout(inputs, p, generator=None):
    if not (0.0 <= p <= 1.0):
        raise ValueError("p debe estar en [0, 1]")
    inputs = list(inputs)
    if p == 0.0 or len(inputs) == 0:
        return inputs
    batch, n_mod = inputs[0].shape[0], len(inputs)
    drop = torch.rand(batch, n_mod, generator=generator) < p
    rescue = torch.randint(n_mod, (batch,), generator=generator)      # un sorteo para todos, usado donde haga falta
    all_dropped = drop.all(dim=1)
    drop[all_dropped, rescue[all_dropped]] = False
    out = []
    for m, x in enumerate(inputs):
        cond = drop[:, m].to(x.device).reshape(batch, *([1] * (x.dim() - 1)))
        out.append(torch.where(cond, torch.zeros_like(x), x))
    return out
"""

WRONG = {
    "ej1_solucion": [
        Wrong(
            "modelos por modalidad sin congelar", LATE_NOT_FROZEN, visible=("Solo la capa final debe ser entrenable",)
        ),
        Wrong("capa final sin softmax", LATE_WITHOUT_SOFTMAX, visible=("deben ser probabilidades",)),
        Wrong("entradas en orden [visión, tabular]", LATE_INPUTS_SWAPPED, visible=("en ese orden",)),
        Wrong("Dense(N_CLASSES) en lugar de Dense(n_classes)", LATE_FIXED_N_CLASSES),
    ],
    "ej2_solucion": [
        Wrong(
            "copia los pesos (clone_model)",
            COPIED_WEIGHTS,
            visible=("feature_extractor copia los pesos en lugar de compartirlos",),
        ),
        Wrong("siempre la penúltima capa", PENULTIMATE_LAYER_WHATEVER_THE_NAME),
        Wrong("la entrada de la capa, no su salida", LAYER_INPUT_NOT_OUTPUT, visible=("Forma incorrecta",)),
        Wrong("devuelve None si la capa no existe", NONE_FOR_A_MISSING_LAYER, visible=("debía lanzar ValueError",)),
    ],
    "ej3_solucion": [
        Wrong("softmax a la salida", SOFTMAX_OUTPUT, visible=("debe devolver logits, sin softmax",)),
        Wrong("sigmoid a la salida (semilla 001)", SIGMOID_OUTPUT, visible=("sin sigmoid",)),
        Wrong("ReLU tras self.output", RELU_AFTER_THE_OUTPUT, visible=("ReLU",)),
        Wrong("se salta la ReLU de self.fusion", FUSION_WITHOUT_ITS_RELU, visible=("sin saltarte ninguna",)),
    ],
    "ej4_solucion": [
        Wrong("cabeza de 3·fusion_dim también al sumar", HEAD_TOO_WIDE_FOR_SUM, visible=("debe recibir 8 valores",)),
        Wrong("media en lugar de suma", MEAN_INSTEAD_OF_SUM, visible=("sumadas (no promediadas)",)),
        Wrong("acepta merge='max'", UNKNOWN_MERGE_ACCEPTED, visible=("debía lanzar ValueError",)),
        Wrong("sin proyecciones a fusion_dim", NO_PROJECTIONS, visible=("debe recibir 24 valores",)),
        Wrong("softmax al final", SOFTMAX_AT_THE_END, visible=("sin activación final",)),
        Wrong("concatena las ramas al revés", CONCAT_IN_REVERSE, visible=("en el orden de las ramas",)),
    ],
    "ej5_solucion": [
        Wrong("área sin dividir por el rango", AREA_NOT_DIVIDED_BY_THE_RANGE, visible=("Falta dividir por el rango",)),
        Wrong("ignora la separación entre niveles", SPACING_IGNORED, visible=("equiespaciados",)),
        Wrong("divide por levels[-1]", DIVIDED_BY_THE_LAST_LEVEL, visible=("divides el área por levels[-1]",)),
        Wrong("no comprueba que los niveles crezcan", LEVELS_NOT_CHECKED),
        Wrong("media de las exactitudes", MEAN_OF_THE_ACCURACIES, visible=("no equiespaciados",)),
    ],
    "ej6_solucion": [
        Wrong(
            "siempre rescata la modalidad 0",
            ALWAYS_KEEPS_MODALITY_0,
            visible=("la que se conserva debe elegirse al azar, no siempre la primera",),
        ),
        Wrong("multiplica in place", MULTIPLIES_IN_PLACE, visible=("no deben modificarse",)),
        Wrong("reescala por 1/(1 − p)", RESCALED_LIKE_DROPOUT, visible=("no la reescales",)),
        Wrong("una máscara por modalidad para todo el lote", ONE_MASK_FOR_THE_WHOLE_BATCH),
        Wrong("máscara siempre float32", MASK_ALWAYS_FLOAT32, visible=("mascara.to(x)",)),
        Wrong("el rescate no usa el generador", RESCUE_WITHOUT_THE_GENERATOR),
    ],
}

VARIANTS = {
    "ej1_solucion": [LATE_OTHER_ORDER, LATE_FROM_THE_MODELS_OWN_GRAPH],
    "ej2_solucion": [FEATURES_BY_SEARCHING_THE_LAYERS, FEATURES_WITH_KEYWORDS],
    "ej3_solucion": [INTERMEDIATE_TABULAR_FIRST, INTERMEDIATE_STEP_BY_STEP],
    "ej4_solucion": [THREE_BRANCH_WITH_MLP_HEAD, THREE_BRANCH_STACKED_LAST],
    "ej5_solucion": [AUC_WITH_TRAPEZOID, AUC_IN_PURE_PYTHON],
    "ej6_solucion": [DROPOUT_WITH_BERNOULLI, DROPOUT_WITH_WHERE],
}
