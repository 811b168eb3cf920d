"""Chapter 01 (operaciones de fusión): plausible mistakes and correct variants of each exercise."""

from wrong_answers import Wrong

# --- Ejercicio 1 · fuse_concat ---------------------------------------------------------------

CONCAT_OVER_THE_BATCH = """
def fuse_concat(tensors):
    if len(tensors) == 0:
        raise ValueError("vacía")
    lead = tensors[0].shape[:-1]
    for t in tensors[1:]:
        if t.shape[:-1] != lead:
            raise ValueError("dimensiones iniciales distintas")
    return torch.cat(list(tensors), dim=0)   # el eje del lote, no el de las características
"""

CONCAT_ON_AXIS_1 = """
def fuse_concat(tensors):
    if len(tensors) == 0:
        raise ValueError("vacía")
    lead = tensors[0].shape[:-1]
    for t in tensors[1:]:
        if t.shape[:-1] != lead:
            raise ValueError("dimensiones iniciales distintas")
    return torch.cat(list(tensors), dim=1)   # con (B, d) es el último eje; con (B, T, d) ya no
"""

CONCAT_WITHOUT_CHECKS = """
def fuse_concat(tensors):
    return torch.cat(list(tensors), dim=-1)   # torch lanza RuntimeError, no ValueError
"""

CONCAT_EMPTY_LIST_ALLOWED = """
def fuse_concat(tensors):
    if len(tensors) == 0:
        return torch.empty(0)                 # la lista vacía debía lanzar ValueError
    lead = tensors[0].shape[:-1]
    for t in tensors[1:]:
        if t.shape[:-1] != lead:
            raise ValueError("dimensiones iniciales distintas")
    return torch.cat(list(tensors), dim=-1)
"""

CONCAT_TRY_EXCEPT = """
def fuse_concat(tensors):
    if not tensors:
        raise ValueError("Hace falta al menos un tensor.")
    try:
        return torch.cat(tensors, dim=-1)
    except RuntimeError as err:               # torch ya comprueba las dimensiones iniciales
        raise ValueError(f"No se pueden concatenar: {err}") from err
"""

CONCAT_BY_INDEXING = """
def fuse_concat(tensors):
    tensors = list(tensors)
    if len(tensors) == 0:
        raise ValueError("lista vacía")
    if len({tuple(t.shape[:-1]) for t in tensors}) != 1:
        raise ValueError("las dimensiones iniciales no coinciden")
    total = sum(t.shape[-1] for t in tensors)
    out = tensors[0].new_empty(*tensors[0].shape[:-1], total)
    start = 0
    for t in tensors:
        out[..., start:start + t.shape[-1]] = t
        start += t.shape[-1]
    return out
"""

# --- Ejercicio 2 · fuse_elementwise ----------------------------------------------------------

IN_PLACE_SUM = """
def fuse_elementwise(tensors, mode="sum"):
    if mode not in ("sum", "mean", "max", "product"):
        raise ValueError(mode)
    if len(tensors) == 0 or any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError("formas")
    out = tensors[0]                       # no es una copia: += escribe en el primer tensor
    for t in tensors[1:]:
        if mode in ("sum", "mean"):
            out += t
        elif mode == "max":
            out = torch.maximum(out, t)
        else:
            out *= t
    return out / len(tensors) if mode == "mean" else out
"""

MAX_RETURNS_VALUES_AND_INDICES = """
def fuse_elementwise(tensors, mode="sum"):
    if mode not in ("sum", "mean", "max", "product"):
        raise ValueError(mode)
    if len(tensors) == 0 or any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError("formas")
    stacked = torch.stack(list(tensors))
    if mode == "max":
        return stacked.max(dim=0)          # devuelve (values, indices), no un tensor
    return {"sum": stacked.sum, "mean": stacked.mean, "product": stacked.prod}[mode](dim=0)
"""

UNKNOWN_MODE_FALLS_BACK_TO_SUM = """
def fuse_elementwise(tensors, mode="sum"):
    if len(tensors) == 0 or any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError("formas")
    stacked = torch.stack(list(tensors))
    if mode == "mean":
        return stacked.mean(dim=0)
    if mode == "max":
        return stacked.amax(dim=0)
    if mode == "product":
        return stacked.prod(dim=0)
    return stacked.sum(dim=0)              # cualquier otro modo suma en silencio
"""

STACKED_ON_THE_WRONG_AXIS = """
def fuse_elementwise(tensors, mode="sum"):
    if mode not in ("sum", "mean", "max", "product"):
        raise ValueError(mode)
    if len(tensors) == 0 or any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError("formas")
    stacked = torch.stack(list(tensors), dim=1)   # (B, M, d) ... pero reduce el eje 0, el lote
    if mode == "sum":
        return stacked.sum(dim=0)
    if mode == "mean":
        return stacked.mean(dim=0)
    if mode == "max":
        return stacked.amax(dim=0)
    return stacked.prod(dim=0)
"""

NO_SHAPE_CHECK = """
def fuse_elementwise(tensors, mode="sum"):
    if mode not in ("sum", "mean", "max", "product"):
        raise ValueError(mode)
    if len(tensors) == 0:
        raise ValueError("vacía")
    stacked = torch.stack(list(tensors))   # con formas distintas torch lanza RuntimeError
    return {"sum": stacked.sum(0), "mean": stacked.mean(0), "max": stacked.amax(0), "product": stacked.prod(0)}[mode]
"""

ELEMENTWISE_BY_REDUCE = """
import functools
import operator


def fuse_elementwise(tensors, mode="sum"):
    ops = {"sum": operator.add, "mean": operator.add, "max": torch.maximum, "product": operator.mul}
    if mode not in ops:
        raise ValueError(f"modo desconocido: {mode}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("no hay tensores")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError("formas distintas")
    out = functools.reduce(ops[mode], tensors)   # cada paso crea un tensor nuevo
    return out / len(tensors) if mode == "mean" else out
"""

ELEMENTWISE_LAST_AXIS = """
def fuse_elementwise(tensors, mode="sum"):
    if len(tensors) == 0:
        raise ValueError("no hay tensores")
    if len({tuple(t.shape) for t in tensors}) > 1:
        raise ValueError("formas distintas")
    stacked = torch.stack(tuple(tensors), dim=-1)   # las modalidades al final
    if mode == "sum":
        return stacked.sum(dim=-1)
    if mode == "mean":
        return stacked.mean(dim=-1)
    if mode == "max":
        return stacked.max(dim=-1).values
    if mode == "product":
        return stacked.prod(dim=-1)
    raise ValueError(f"modo desconocido: {mode}")
"""

# --- Ejercicio 3 · WeightedAverage ------------------------------------------------------------

WEIGHTS_OVER_FEATURES = """
class WeightedAverage(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_inputs))

    def fusion_weights(self):
        return torch.softmax(self.logits, dim=0)

    def forward(self, inputs):
        if len(inputs) != self.logits.numel():
            raise ValueError("número de entradas")
        stacked = torch.stack(list(inputs), dim=0)            # (modalidades, lote, características)
        return (stacked * self.fusion_weights()).sum(dim=0)   # los pesos caen sobre las características
"""

RANDOM_INITIAL_LOGITS = """
class WeightedAverage(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.logits = nn.Parameter(torch.randn(n_inputs))     # debían empezar a cero

    def fusion_weights(self):
        return torch.softmax(self.logits, dim=0)

    def forward(self, inputs):
        if len(inputs) != self.logits.numel():
            raise ValueError("número de entradas")
        return (torch.stack(list(inputs), dim=-1) * self.fusion_weights()).sum(dim=-1)
"""

NO_CHECK_OF_THE_NUMBER_OF_INPUTS = """
class WeightedAverage(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_inputs))

    def fusion_weights(self):
        return torch.softmax(self.logits, dim=0)

    def forward(self, inputs):
        # zip se detiene en la lista más corta: con 3 entradas y 4 pesos no se queja
        return sum(w * x for w, x in zip(self.fusion_weights(), inputs))
"""

WEIGHTS_DETACHED = """
class WeightedAverage(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_inputs))

    def fusion_weights(self):
        return torch.softmax(self.logits.data, dim=0)         # .data corta el grafo: no aprende

    def forward(self, inputs):
        if len(inputs) != self.logits.numel():
            raise ValueError("número de entradas")
        return (torch.stack(list(inputs), dim=-1) * self.fusion_weights()).sum(dim=-1)
"""

SIGMOID_WEIGHTS = """
class WeightedAverage(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_inputs))

    def fusion_weights(self):
        return torch.sigmoid(self.logits)                     # no suman 1: no es una media

    def forward(self, inputs):
        if len(inputs) != self.logits.numel():
            raise ValueError("número de entradas")
        return (torch.stack(list(inputs), dim=-1) * self.fusion_weights()).sum(dim=-1)
"""

WEIGHTED_AVERAGE_EINSUM = """
class WeightedAverage(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.register_parameter("logits", nn.Parameter(torch.zeros(n_inputs)))

    def fusion_weights(self):
        return self.logits.softmax(-1)

    def forward(self, inputs):
        if len(inputs) != len(self.logits):
            raise ValueError(f"{len(self.logits)} entradas esperadas, llegaron {len(inputs)}")
        return torch.einsum("m,m...->...", self.fusion_weights(), torch.stack(list(inputs)))
"""

WEIGHTED_AVERAGE_LOOP = """
class WeightedAverage(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.n_inputs = n_inputs
        self.logits = nn.Parameter(torch.zeros(n_inputs))

    def fusion_weights(self):
        e = torch.exp(self.logits - self.logits.max())
        return e / e.sum()

    def forward(self, inputs):
        if len(inputs) != self.n_inputs:
            raise ValueError("número de entradas distinto de n_inputs")
        w = self.fusion_weights()
        out = w[0] * inputs[0]
        for i in range(1, self.n_inputs):
            out = out + w[i] * inputs[i]
        return out
"""

# --- Ejercicio 4 · GatedFusion ----------------------------------------------------------------

GATE_WITHOUT_SIGMOID = """
class GatedFusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate = nn.Linear(2 * dim, dim)

    def gate_values(self, a, b):
        return self.gate(torch.cat([a, b], dim=-1))           # sin sigmoide: no queda en (0, 1)

    def forward(self, a, b):
        z = self.gate_values(a, b)
        return z * a + (1 - z) * b
"""

GATE_SWAPPED = """
class GatedFusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate = nn.Linear(2 * dim, dim)

    def gate_values(self, a, b):
        return torch.sigmoid(self.gate(torch.cat([a, b], dim=-1)))

    def forward(self, a, b):
        z = self.gate_values(a, b)
        return z * b + (1 - z) * a                             # z debía multiplicar a 'a'
"""

GATE_INPUTS_IN_THE_OTHER_ORDER = """
class GatedFusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate = nn.Linear(2 * dim, dim)

    def gate_values(self, a, b):
        return torch.sigmoid(self.gate(torch.cat([b, a], dim=-1)))   # [b; a] en lugar de [a; b]

    def forward(self, a, b):
        z = self.gate_values(a, b)
        return z * a + (1 - z) * b
"""

GATE_ON_THE_SUM = """
class GatedFusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate = nn.Linear(dim, dim)                        # mira a + b, no [a; b]

    def gate_values(self, a, b):
        return torch.sigmoid(self.gate(a + b))

    def forward(self, a, b):
        z = self.gate_values(a, b)
        return z * a + (1 - z) * b
"""

GATE_SOFTMAX = """
class GatedFusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate = nn.Linear(2 * dim, dim)

    def gate_values(self, a, b):
        return torch.softmax(self.gate(torch.cat([a, b], dim=-1)), dim=-1)   # reparte 1 entre características

    def forward(self, a, b):
        z = self.gate_values(a, b)
        return z * a + (1 - z) * b
"""

GATE_LERP = """
class GatedFusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate = nn.Linear(dim * 2, dim)

    def gate_values(self, a, b):
        return self.gate(torch.cat((a, b), 1)).sigmoid()

    def forward(self, a, b):
        return torch.lerp(b, a, self.gate_values(a, b))        # b + z · (a − b)
"""

GATE_DIFFERENCE_FORM = """
class GatedFusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate = nn.Linear(2 * dim, dim)

    def gate_values(self, a, b):
        return 1 / (1 + torch.exp(-self.gate(torch.cat([a, b], dim=-1))))

    def forward(self, a, b):
        return b + self.gate_values(a, b) * (a - b)
"""

# --- Ejercicio 5 · tensor_fusion --------------------------------------------------------------

TENSOR_FUSION_WITHOUT_THE_1 = """
def tensor_fusion(a, b):
    if a.shape[:-1] != b.shape[:-1]:
        raise ValueError("lotes distintos")
    return (a.unsqueeze(-1) * b.unsqueeze(-2)).flatten(start_dim=-2)   # sin añadir el 1: solo términos bimodales
"""

TENSOR_FUSION_1_PREPENDED = """
def tensor_fusion(a, b):
    if a.shape[0] != b.shape[0]:
        raise ValueError("lotes distintos")
    a1 = torch.cat([torch.ones(a.shape[0], 1), a], dim=-1)   # el 1 al principio, no al final
    b1 = torch.cat([torch.ones(b.shape[0], 1), b], dim=-1)
    return (a1.unsqueeze(-1) * b1.unsqueeze(-2)).flatten(start_dim=1)
"""

TENSOR_FUSION_COLUMN_MAJOR = """
def tensor_fusion(a, b):
    if a.shape[0] != b.shape[0]:
        raise ValueError("lotes distintos")
    a1 = torch.cat([a, torch.ones(a.shape[0], 1)], dim=-1)
    b1 = torch.cat([b, torch.ones(b.shape[0], 1)], dim=-1)
    return (b1.unsqueeze(-1) * a1.unsqueeze(-2)).flatten(start_dim=1)   # aplanado por columnas
"""

TENSOR_FUSION_THROUGH_NUMPY = """
def tensor_fusion(a, b):
    if a.shape[0] != b.shape[0]:
        raise ValueError("lotes distintos")
    a1 = np.concatenate([a.detach().numpy(), np.ones((a.shape[0], 1), "float32")], axis=1)
    b1 = np.concatenate([b.detach().numpy(), np.ones((b.shape[0], 1), "float32")], axis=1)
    return torch.from_numpy(np.einsum("bi,bj->bij", a1, b1).reshape(a.shape[0], -1))   # sin gradiente
"""

TENSOR_FUSION_NO_BATCH_CHECK = """
def tensor_fusion(a, b):
    a1 = torch.cat([a, torch.ones(a.shape[0], 1)], dim=-1)
    b1 = torch.cat([b, torch.ones(b.shape[0], 1)], dim=-1)
    return (a1.unsqueeze(-1) * b1.unsqueeze(-2)).flatten(start_dim=1)   # lotes distintos: RuntimeError
"""

TENSOR_FUSION_EINSUM = """
def tensor_fusion(a, b):
    if a.size(0) != b.size(0):
        raise ValueError(f"Lotes distintos: {a.size(0)} y {b.size(0)}")
    uno = torch.ones(a.size(0), 1, dtype=a.dtype, device=a.device)
    a1, b1 = torch.hstack([a, uno]), torch.hstack([b, uno])
    return torch.einsum("bi,bj->bij", a1, b1).reshape(a.size(0), -1)
"""

TENSOR_FUSION_BMM = """
import torch.nn.functional as F


def tensor_fusion(a, b):
    if a.shape[0] != b.shape[0]:
        raise ValueError("los lotes no coinciden")
    a1 = F.pad(a, (0, 1), value=1.0)
    b1 = F.pad(b, (0, 1), value=1.0)
    return torch.bmm(a1.unsqueeze(2), b1.unsqueeze(1)).view(a.shape[0], -1)
"""

# --- Ejercicio 6 · fusion_output_dim ----------------------------------------------------------

TENSOR_DIM_WITHOUT_THE_1 = """
def fusion_output_dim(dims, method):
    if not dims:
        raise ValueError("vacía")
    if method == "concat":
        return sum(dims)
    if method in ("sum", "mean", "max", "product"):
        if len(set(dims)) != 1:
            raise ValueError("tamaños distintos")
        return dims[0]
    if method == "tensor":
        return math.prod(dims)              # olvida el 1 añadido a cada vector
    raise ValueError(method)
"""

SUM_OF_UNEQUAL_SIZES_ALLOWED = """
def fusion_output_dim(dims, method):
    if not dims:
        raise ValueError("vacía")
    if method == "concat":
        return sum(dims)
    if method in ("sum", "mean", "max", "product"):
        return max(dims)                    # debía exigir tamaños iguales
    if method == "tensor":
        return math.prod(d + 1 for d in dims)
    raise ValueError(method)
"""

EMPTY_LIST_ALLOWED = """
def fusion_output_dim(dims, method):
    if method == "concat":
        return sum(dims)                    # [] da 0 en lugar de ValueError
    if method in ("sum", "mean", "max", "product"):
        if len(set(dims)) != 1:
            raise ValueError("tamaños distintos")
        return dims[0]
    if method == "tensor":
        return math.prod(d + 1 for d in dims)
    raise ValueError(method)
"""

UNKNOWN_METHOD_RETURNS_NONE = """
def fusion_output_dim(dims, method):
    if not dims:
        raise ValueError("vacía")
    if method == "concat":
        return sum(dims)
    if method in ("sum", "mean", "max", "product"):
        if len(set(dims)) != 1:
            raise ValueError("tamaños distintos")
        return dims[0]
    if method == "tensor":
        return math.prod(d + 1 for d in dims)
    # un método desconocido devuelve None en silencio
"""

OUTPUT_DIM_BY_TABLE = """
import functools


def fusion_output_dim(dims, method):
    dims = list(dims)
    if len(dims) == 0:
        raise ValueError("sin entradas")
    same = len(set(dims)) == 1

    def common():
        if not same:
            raise ValueError(f"{method} necesita tamaños iguales; proyecta antes")
        return dims[0]

    table = {
        "concat": lambda: sum(dims),
        "sum": common, "mean": common, "max": common, "product": common,
        "tensor": lambda: functools.reduce(lambda acc, d: acc * (d + 1), dims, 1),
    }
    if method not in table:
        raise ValueError(f"método desconocido: {method}")
    return table[method]()
"""

WRONG = {
    "ej1_solucion": [
        Wrong("concatena sobre el lote (dim=0)", CONCAT_OVER_THE_BATCH, visible=("no sobre el lote",)),
        Wrong("concatena en dim=1 (falla con secuencias (B, T, d))", CONCAT_ON_AXIS_1),
        Wrong(
            "sin comprobaciones: RuntimeError de torch en lugar de ValueError",
            CONCAT_WITHOUT_CHECKS,
            visible=("debía lanzar ValueError",),
        ),
        Wrong("la lista vacía devuelve un tensor vacío", CONCAT_EMPTY_LIST_ALLOWED),
    ],
    "ej2_solucion": [
        Wrong("suma in place sobre el primer tensor", IN_PLACE_SUM, visible=("in place",)),
        Wrong("'max' devuelve (values, indices)", MAX_RETURNS_VALUES_AND_INDICES, visible=("el modo 'max'",)),
        Wrong("un modo desconocido suma en silencio", UNKNOWN_MODE_FALLS_BACK_TO_SUM),
        Wrong("apila en el eje 1 y reduce el lote", STACKED_ON_THE_WRONG_AXIS, visible=("Forma incorrecta",)),
        Wrong("sin comprobar las formas (RuntimeError)", NO_SHAPE_CHECK, visible=("debía lanzar ValueError",)),
    ],
    "ej3_solucion": [
        Wrong(
            "pesos sobre las características",
            WEIGHTS_OVER_FEATURES,
            visible=("la media ponderada debe pesar y sumar sobre las modalidades",),
        ),
        Wrong("logits iniciales aleatorios", RANDOM_INITIAL_LOGITS, visible=("los pesos iniciales",)),
        Wrong("no comprueba el número de entradas", NO_CHECK_OF_THE_NUMBER_OF_INPUTS),
        Wrong("pesos con .data (sin gradiente)", WEIGHTS_DETACHED, visible=("no llega gradiente",)),
        Wrong("sigmoide en lugar de softmax", SIGMOID_WEIGHTS, visible=("los pesos iniciales",)),
    ],
    "ej4_solucion": [
        Wrong("compuerta sin sigmoide", GATE_WITHOUT_SIGMOID, visible=("sigmoide",)),
        Wrong("z y 1 − z intercambiados", GATE_SWAPPED, visible=("no al revés",)),
        Wrong("concatena [b; a]", GATE_INPUTS_IN_THE_OTHER_ORDER, visible=("con 'a' primero",)),
        Wrong("compuerta sobre a + b (nn.Linear(dim, dim))", GATE_ON_THE_SUM, visible=("21 parámetros",)),
        Wrong("softmax sobre las características", GATE_SOFTMAX, visible=("sigmoide",)),
    ],
    "ej5_solucion": [
        Wrong(
            "sin añadir el 1",
            TENSOR_FUSION_WITHOUT_THE_1,
            visible=("falta añadir el 1 a cada vector antes del producto exterior",),
        ),
        Wrong("el 1 al principio", TENSOR_FUSION_1_PREPENDED, visible=("filas de [a, 1] por [b, 1]",)),
        Wrong("aplanado por columnas (b ⊗ a)", TENSOR_FUSION_COLUMN_MAJOR, visible=("filas de [a, 1] por [b, 1]",)),
        Wrong("pasa por NumPy (sin gradiente)", TENSOR_FUSION_THROUGH_NUMPY),
        Wrong("no comprueba los lotes", TENSOR_FUSION_NO_BATCH_CHECK),
    ],
    "ej6_solucion": [
        Wrong("'tensor' sin el + 1", TENSOR_DIM_WITHOUT_THE_1, visible=("(2+1)(3+1) = 12",)),
        Wrong(
            "'sum' con tamaños distintos devuelve el mayor",
            SUM_OF_UNEQUAL_SIZES_ALLOWED,
            visible=("debía lanzar ValueError",),
        ),
        Wrong("la lista vacía da 0", EMPTY_LIST_ALLOWED),
        Wrong("un método desconocido devuelve None", UNKNOWN_METHOD_RETURNS_NONE),
    ],
}

VARIANTS = {
    "ej1_solucion": [CONCAT_TRY_EXCEPT, CONCAT_BY_INDEXING],
    "ej2_solucion": [ELEMENTWISE_BY_REDUCE, ELEMENTWISE_LAST_AXIS],
    "ej3_solucion": [WEIGHTED_AVERAGE_EINSUM, WEIGHTED_AVERAGE_LOOP],
    "ej4_solucion": [GATE_LERP, GATE_DIFFERENCE_FORM],
    "ej5_solucion": [TENSOR_FUSION_EINSUM, TENSOR_FUSION_BMM],
    "ej6_solucion": [OUTPUT_DIM_BY_TABLE],
}
