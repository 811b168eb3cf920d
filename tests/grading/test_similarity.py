"""The similarity report on a class with planted copies: every planted copy (renamed variables,
new comments and literals, reordered independent lines, the published solution) is found, and
independently written honest solutions of the same exercises are not."""

from __future__ import annotations

import csv

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.tools.grading.similarity import PUBLISHED, find_similar, write_similarity

ASSIGNMENT = "parecidos"
GIVEN = {  # what the release gives for each exercise, then the published solution
    "ej1": (
        'def normaliza_filas(x):\n    """Cada fila con norma 1."""\n',
        "    norma = np.linalg.norm(x, axis=1, keepdims=True)\n    norma = np.maximum(norma, 1e-12)\n"
        "    return x / norma\n",
    ),
    "ej2": (
        'def fusion_tardia(p_img, p_txt, peso):\n    """Clase con la media ponderada de probabilidades."""\n',
        "    combinada = peso * p_img + (1 - peso) * p_txt\n    clases = np.argmax(combinada, axis=1)\n"
        "    return clases\n",
    ),
    "ej3": (
        'def matriz_confusion(y, y_pred, n_clases):\n    """Matriz de confusión (filas: clase real)."""\n',
        "    m = np.zeros((n_clases, n_clases), dtype=int)\n    for real, pred in zip(y, y_pred):\n"
        "        m[real, pred] += 1\n    return m\n",
    ),
}
HONEST = {
    "bucles": {
        "ej1": "    salida = np.zeros_like(x, dtype=float)\n    for i in range(x.shape[0]):\n"
        "        n = np.sqrt(np.sum(x[i] ** 2))\n        salida[i] = x[i] / max(n, 1e-12)\n    return salida\n",
        "ej2": "    res = []\n    for a, b in zip(p_img, p_txt):\n        mejor, valor = 0, -1.0\n"
        "        for c in range(len(a)):\n            s = peso * a[c] + (1 - peso) * b[c]\n"
        "            if s > valor:\n                mejor, valor = c, s\n        res.append(mejor)\n"
        "    return np.array(res)\n",
        "ej3": "    m = np.zeros((n_clases, n_clases), dtype=int)\n    np.add.at(m, (np.asarray(y), np.asarray(y_pred)), 1)\n"
        "    return m\n",
    },
    "einsum": {
        "ej1": "    sq = np.einsum('ij,ij->i', x, x)\n    return x / np.sqrt(np.clip(sq, 1e-24, None))[:, None]\n",
        "ej2": "    return (p_img * peso + p_txt * (1.0 - peso)).argmax(-1)\n",
        "ej3": "    codigos = n_clases * np.asarray(y) + np.asarray(y_pred)\n"
        "    return np.bincount(codigos, minlength=n_clases ** 2).reshape(n_clases, n_clases)\n",
    },
    "listas": {
        "ej1": "    filas = [f / (np.linalg.norm(f) or 1.0) for f in x]\n    return np.array(filas)\n",
        "ej2": "    mezcla = np.stack([p_img, p_txt])\n    pesos = np.array([peso, 1 - peso])[:, None, None]\n"
        "    return np.argmax((mezcla * pesos).sum(0), axis=1)\n",
        "ej3": "    tabla = [[0] * n_clases for _ in range(n_clases)]\n    for k in range(len(y)):\n"
        "        tabla[y[k]][y_pred[k]] = tabla[y[k]][y_pred[k]] + 1\n    return np.array(tabla)\n",
    },
    "divide": {
        "ej1": "    magnitudes = (x * x).sum(axis=-1, keepdims=True) ** 0.5\n"
        "    return np.divide(x, magnitudes, out=np.zeros_like(x, dtype=float), where=magnitudes > 0)\n",
        "ej2": "    return np.array([int(np.argmax(peso * a + (1 - peso) * b)) for a, b in zip(p_img, p_txt)])\n",
        "ej3": "    return np.array([[np.sum((np.asarray(y) == i) & (np.asarray(y_pred) == j)) for j in range(n_clases)]\n"
        "                     for i in range(n_clases)])\n",
    },
}
COPIES = {
    # «bucles» with every name changed, other comments and a different epsilon
    "copia_renombrada": (
        "bucles",
        {
            "ej1": "    # normalizo fila a fila\n    out = np.zeros_like(x, dtype=float)\n    for fila in range(x.shape[0]):\n"
            "        largo = np.sqrt(np.sum(x[fila] ** 2))  # la norma\n        out[fila] = x[fila] / max(largo, 1e-9)\n"
            "    return out\n",
            "ej2": "    preds = []\n    for u, v in zip(p_img, p_txt):\n        top, best = 0, -2.0\n"
            "        for j in range(len(u)):\n            t = peso * u[j] + (1 - peso) * v[j]  # mezcla\n"
            "            if t > best:\n                top, best = j, t\n        preds.append(top)\n"
            "    return np.array(preds)\n",
            "ej3": "    conf = np.zeros((n_clases, n_clases), dtype=int)\n"
            "    np.add.at(conf, (np.asarray(y), np.asarray(y_pred)), 1)  # cuenta pares\n    return conf\n",
        },
    ),
    # «listas» with independent lines swapped and comments added
    "copia_reordenada": (
        "listas",
        {
            "ej1": "    # una fila cada vez\n    filas = [f / (np.linalg.norm(f) or 1.0) for f in x]\n    return np.array(filas)\n",
            "ej2": "    pesos = np.array([peso, 1 - peso])[:, None, None]\n    mezcla = np.stack([p_img, p_txt])\n"
            "    return np.argmax((mezcla * pesos).sum(0), axis=1)\n",
            "ej3": "    tabla = [[0] * n_clases for _ in range(n_clases)]\n    for k in range(len(y)):  # recorro\n"
            "        tabla[y[k]][y_pred[k]] = tabla[y[k]][y_pred[k]] + 1\n    return np.array(tabla)\n",
        },
    ),
    # the published solution, renamed and commented
    "copia_de_la_solucion": (
        PUBLISHED,
        {
            "ej1": "    n = np.linalg.norm(x, axis=1, keepdims=True)  # normas\n    n = np.maximum(n, 1e-8)\n    return x / n\n",
            "ej2": "    mix = peso * p_img + (1 - peso) * p_txt\n    yhat = np.argmax(mix, axis=1)\n    return yhat\n",
            "ej3": "    cm = np.zeros((n_clases, n_clases), dtype=int)\n    for a, b in zip(y, y_pred):\n"
            "        cm[a, b] += 1  # suma uno\n    return cm\n",
        },
    ),
}


def _notebook(bodies: dict[str, str], published: bool = False):
    cells = [new_code_cell("import numpy as np")]
    for grade_id, (given, solution) in GIVEN.items():
        body = (
            ("    ### BEGIN SOLUTION\n" + solution + "    ### END SOLUTION")
            if published
            else bodies.get(grade_id, "    # YOUR CODE HERE\n    raise NotImplementedError()")
        )
        cells.append(
            new_code_cell(
                given + body,
                metadata={
                    "nbgrader": {
                        "grade_id": grade_id,
                        "solution": True,
                        "grade": False,
                        "locked": False,
                        "schema_version": 3,
                    }
                },
            )
        )
    return new_notebook(cells=cells)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("parecidos")
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(_notebook({}, published=True), root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    students = {**HONEST, **{name: bodies for name, (_, bodies) in COPIES.items()}, "en_blanco": {}}
    for student, bodies in students.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(_notebook(bodies), folder / f"{ASSIGNMENT}.ipynb")
    return root


def test_planted_copies_found_and_honest_solutions_not_flagged(course):
    found = {frozenset((m.first, m.second)): m.similarity for m in find_similar(course, ASSIGNMENT)}
    planted = {frozenset((original, copy)) for copy, (original, _) in COPIES.items()}
    print(
        f"copias plantadas: {len(planted)} · encontradas: {len(planted & set(found))} · "
        f"parejas honestas señaladas: {len(set(found) - planted)} de {len(HONEST) * (len(HONEST) + 1) // 2}"
    )
    assert set(found) == planted, found


def test_all_similarities_are_measured_below_the_threshold_for_honest_pairs(course):
    low = {frozenset((m.first, m.second)): m.similarity for m in find_similar(course, ASSIGNMENT, threshold=0.0)}
    honest = [pair for pair in low if not pair & set(COPIES)]
    print("similitud máxima entre soluciones honestas:", max(low[p] for p in honest))
    assert max(low[p] for p in honest) < 0.5


def test_csv_and_summary_section(course):
    summary = course / "grading" / ASSIGNMENT / "summary.md"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text("# resumen\n\n## Entregas con incidencias\n\nninguna\n", encoding="utf-8")
    path = write_similarity(course, ASSIGNMENT)
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    assert len(rows) == len(COPIES)
    text = summary.read_text(encoding="utf-8")
    assert (
        "## Entregas casi idénticas" in text
        and "copia_de_la_solucion" in text
        and "## Entregas con incidencias" in text
    )
    write_similarity(course, ASSIGNMENT)
    assert summary.read_text(encoding="utf-8").count("## Entregas casi idénticas") == 1
