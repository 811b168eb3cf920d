"""The claims mechanism measured on simulated data (course_utils/claims.py, docs/claims.md).

With no true effect, a verdict ("mejor"/"peor", a claim that holds) is a false verdict. For each
n of seeds, R = 2000 simulated data sets; the rate must be ≤ 5 % within Monte-Carlo error:
rate ≤ 0.05 + 3·SE, SE = √(0.05·0.95/2000) ≈ 0.0049, so ≤ 0.0646. The percentile bootstrap the
course used before gives 0.25 / 0.15 / 0.12 / 0.07 for n = 3 / 5 / 8 / 16 and fails here.
Power for effects of 0.5 and 1 SD is printed (``pytest -s``). The full table (old vs new, other
distributions, sign-flip test): ``.venv/bin/python tests/test_claims_coverage.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from course_utils.claims import bootstrap_interval, interval, verdict

NS = (3, 5, 8, 16)
R = 2000
NOMINAL = 0.05
BOUND = NOMINAL + 3 * math.sqrt(NOMINAL * (1 - NOMINAL) / R)  # ≈ 0.0646
EFFECTS = (0.5, 1.0)  # true mean difference, in SDs of the per-seed difference


def _pairs(n: int, effect: float = 0.0, seed: int = 0, r: int = R) -> tuple[np.ndarray, np.ndarray]:
    """``r`` data sets of ``n`` seeds: one score per seed for models A and B, A better by ``effect``
    SDs of the difference. A seed effect shared by both models is what pairing removes."""
    rng = np.random.default_rng([seed, n, int(100 * effect)])
    shared = rng.normal(0.8, 0.05, (r, n))
    noise = rng.normal(0.0, 1 / math.sqrt(2), (r, n, 2)) * 0.02  # the difference has SD 0.02
    return shared + noise[..., 0] + effect * 0.02, shared + noise[..., 1]


@pytest.mark.parametrize("n", NS)
def test_no_effect_gives_a_verdict_at_most_5_percent_of_the_time(n):
    """Through the public path record_claim and the notebooks' compare() use: bootstrap_interval
    (now the t interval) and verdict(). Putting the old percentile bootstrap back fails this."""
    a, b = _pairs(n)
    words = [verdict(*bootstrap_interval(x, y)[1:3], "mejor", "peor") for x, y in zip(a, b)]
    rate = float(np.mean([w in ("mejor", "peor") for w in words]))
    print(f"n = {n}: falsos veredictos {rate:.3f} (cota {BOUND:.4f})")
    assert rate <= BOUND, f"with no effect, {rate:.1%} of {R} data sets of {n} seeds got a verdict (nominal 5 %)"


def test_record_claim_uses_the_measured_interval():
    from course_utils.report import record_claim

    a, b = _pairs(3, seed=1, r=1)
    claim = record_claim("_cobertura_prueba", "Prueba de cobertura", a[0], b[0])
    assert (claim.estimate, claim.low, claim.high) == pytest.approx(bootstrap_interval(a[0], b[0])[:3])
    assert claim.method == "t"


def _rate(a, b=None, *, paired=True) -> float:
    from course_utils.claims import intervals

    _, low, high, _ = intervals(a, b, paired=paired)
    return float(np.mean((low > 0) | (high < 0)))


def test_power_for_effects_of_half_and_one_sd():
    power = {(e, n): _rate(*_pairs(n, e)) for e in EFFECTS for n in NS}
    print("\npotencia (IC t 95 %, diferencias emparejadas)")
    print("efecto | " + " | ".join(f"n = {n}" for n in NS))
    for e in EFFECTS:
        print(f"{e:.1f} SD | " + " | ".join(f"{power[e, n]:.3f}" for n in NS))
    for e in EFFECTS:
        assert all(power[e, m] < power[e, n] for m, n in zip(NS, NS[1:])), "power grows with the seeds"
    assert power[1.0, 16] > 0.9, "theory: 0.97 for 1 SD with 16 seeds"


@pytest.mark.parametrize("n", NS)
def test_unpaired_and_heavy_tailed_nulls_stay_within_bound(n):
    rng = np.random.default_rng([7, n])
    welch = _rate(rng.normal(0, 1, (R, n)), rng.normal(0, 1, (R, n)), paired=False)
    heavy = _rate(rng.standard_t(3, (R, n)))
    print(f"n = {n}: Welch sin emparejar {welch:.3f}, colas pesadas (t de Student, 3 g. l.) {heavy:.3f}")
    assert welch <= BOUND and heavy <= BOUND


@pytest.mark.parametrize("n", NS)
def test_holm_keeps_the_family_wise_rate_at_5_percent(n):
    """A family of 5 comparisons with no effect: any false verdict counts. Without Holm the rate
    is about 1 − 0.95⁵ ≈ 23 %."""
    from course_utils.claims import holm, intervals

    rng = np.random.default_rng([11, n])
    _, _, _, p = intervals(rng.normal(0, 1, (R, 5, n)))
    any_raw = float(np.mean((p < NOMINAL).any(axis=-1)))
    any_holm = float(np.mean((holm(p) < NOMINAL).any(axis=-1)))
    print(f"n = {n}: algún falso veredicto entre 5: sin ajuste {any_raw:.3f}, Holm {any_holm:.3f}")
    assert any_holm <= BOUND < 0.15 < any_raw


def test_holm_step_down_and_its_intervals_agree():
    from course_utils.claims import compare_family, holm, holm_confidences

    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_confidences([0.01, 0.04, 0.03, 0.005]) == pytest.approx([1 - 0.05 / 3, 0.975, 0.975, 0.9875])
    rng = np.random.default_rng(3)
    for _ in range(50):
        family = {f"v{k}": (rng.normal(rng.choice([0.0, 0.02]), 0.02, 5), np.zeros(5)) for k in range(6)}
        for result in compare_family(family).values():
            judged = result.verdict("ayuda", "perjudica") != "sin efecto medible"
            assert judged == (result.p_holm < NOMINAL), "the interval shown and Holm's decision agree"
            assert result.family == 6 and "Holm, 6 comparaciones" in result.text()


def test_no_verdict_where_the_data_cannot_support_one():
    from course_utils.claims import Claim, interval

    one = interval([0.9], [0.8])
    assert one.low is None and one.verdict("mejor", "peor") == "sin juzgar (una sola semilla)"
    same = interval([0.91, 0.92, 0.93], [0.81, 0.82, 0.83])  # the same +0.1 at every seed
    assert same.low is None and "sin variación" in same.verdict("mejor", "peor")
    assert bootstrap_interval([0.91, 0.92, 0.93], [0.81, 0.82, 0.83])[1] is None
    side = interval([0.8, 0.82, 0.81], [0.7])
    assert side.low is None and side.reason == "un solo valor en un lado"
    claim = Claim("c", "d", ">", 0.0, 0.1, None, None, 3, 0.95, True)
    assert not claim.held and claim.verdict == "sin juzgar (los valores no varían, o un lado tiene uno solo)"
    assert claim.interval == "sin intervalo (los valores no varían, o un lado tiene uno solo)"


def test_a_sign_flip_test_cannot_reach_5_percent_below_6_seeds():
    """Why the method is not the exact sign-flip test: its smallest two-sided p is 2/2ⁿ."""
    for n, smallest in ((3, 0.25), (5, 0.0625), (6, 0.03125)):
        test = stats.permutation_test((np.arange(1.0, n + 1),), np.mean, permutation_type="samples", n_resamples=np.inf)
        assert test.pvalue == pytest.approx(smallest)


def test_compatible_api_and_stored_claims():
    from course_utils.claims import Claim, confidence_text

    estimate, low, high, paired = bootstrap_interval([0.81, 0.83, 0.80, 0.84], [0.70, 0.72, 0.71, 0.73], 0.95, 100, 5)
    assert paired and 0 < low < estimate < high
    legacy = {"name": "x", "description": "d", "relation": ">", "threshold": 0.0, "estimate": 0.1, "low": 0.05}
    legacy |= {"high": 0.15, "n": 3, "confidence": 0.95, "paired": True}
    assert Claim.from_dict(legacy).method == "bootstrap percentil", "a claim stored before says how it was judged"
    assert confidence_text(0.95) == "95\u202f%" and confidence_text(1 - 0.05 / 14) == "99,6\u202f%"


# ---------------------------------------------------------------------------------------------
# The full table of docs/claims.md (not a test): python tests/test_claims_coverage.py


def _old_percentile_bootstrap(d: np.ndarray, resamples: int = 1000) -> np.ndarray:
    """The method the course used before (percentile bootstrap of the mean), vectorised."""
    rng = np.random.default_rng(0)
    out = np.empty(len(d), dtype=bool)
    for start in range(0, len(d), 200):
        chunk = d[start : start + 200]
        idx = rng.integers(0, chunk.shape[1], (len(chunk), resamples, chunk.shape[1]))
        means = np.take_along_axis(chunk[:, None, :], idx, axis=-1).mean(axis=-1)
        low, high = np.percentile(means, [2.5, 97.5], axis=-1)
        out[start : start + 200] = (low > 0) | (high < 0)
    return out


def _sign_flip(d: np.ndarray) -> np.ndarray:
    resamples = np.inf if d.shape[1] <= 10 else 9999
    test = stats.permutation_test(
        (d,), np.mean, permutation_type="samples", vectorized=True, axis=-1, n_resamples=resamples, random_state=0
    )
    return test.pvalue < NOMINAL


def _table() -> None:
    from course_utils.claims import intervals

    rng = np.random.default_rng(2026)
    draws = {
        "normal": lambda shape: rng.standard_normal(shape),
        "colas pesadas (t, 3 g. l.)": lambda shape: rng.standard_t(3, shape),
        "asimétrica (exponencial centrada)": lambda shape: rng.exponential(1, shape) - 1,
        "exactitudes (dos binomiales, 360 ejemplos)": lambda shape: (
            (rng.binomial(360, 0.8, shape) - rng.binomial(360, 0.8, shape)) / 360.0
        ),
    }
    methods = {
        "bootstrap percentil (antes)": _old_percentile_bootstrap,
        "t (ahora)": lambda d: _rate_rows(intervals(d)),
        "signos exacta": _sign_flip,
    }
    print(f"Falsos veredictos sin efecto ({R} conjuntos por celda; cota {BOUND:.4f})\n")
    print("| datos | método | " + " | ".join(f"n = {n}" for n in NS) + " |")
    print("| --- | --- |" + " ---: |" * len(NS))
    for name, draw in draws.items():
        data = {n: draw((R, n)) for n in NS}
        for method, judge in methods.items():
            print(f"| {name} | {method} | " + " | ".join(f"{np.mean(judge(data[n])):.3f}" for n in NS) + " |")
    print("\nPotencia (normal; efecto en SD de la diferencia por semilla)\n")
    print("| efecto | método | " + " | ".join(f"n = {n}" for n in NS) + " |")
    print("| --- | --- |" + " ---: |" * len(NS))
    for effect in EFFECTS:
        data = {n: rng.standard_normal((R, n)) + effect for n in NS}
        for method, judge in methods.items():
            print(f"| {effect} SD | {method} | " + " | ".join(f"{np.mean(judge(data[n])):.3f}" for n in NS) + " |")


def _rate_rows(result) -> np.ndarray:
    _, low, high, _ = result
    return (low > 0) | (high < 0)


if __name__ == "__main__":
    _table()


def test_an_accuracy_near_1_gets_an_interval_inside_0_1_that_covers_as_often():
    """Accuracies near 1 over 3 seeds (binomial on 400 questions, true 0,97): the t interval's upper
    end passes 1 in about one data set in seven; cut to ``bounds=(0, 1)`` it never does, and it covers the true
    mean exactly as often (cutting at the edge of the possible never drops the true value)."""
    rng = np.random.default_rng(11)
    true = 0.97
    accuracies = rng.binomial(400, true, (500, 3)) / 400
    plain = [interval(x) for x in accuracies]
    cut = [interval(x, bounds=(0, 1)) for x in accuracies]
    judged = [(p, c) for p, c in zip(plain, cut) if p.low is not None]
    assert np.mean([p.high > 1 for p, _ in judged]) > 0.1
    assert all(0 <= c.low <= c.high <= 1 for _, c in judged)
    covers = [(p.low <= true <= p.high, c.low <= true <= c.high) for p, c in judged]
    assert all(a == b for a, b in covers) and np.mean([b for _, b in covers]) >= 0.93
    with pytest.raises(ValueError, match="fuera del rango"):
        interval([0.9, 1.2], bounds=(0, 1))


def test_a_claim_on_an_accuracy_records_the_cut_interval():
    from course_utils.report import record_claim

    claim = record_claim(
        "prueba_exactitud", "una exactitud cerca de 1", [0.93, 0.99, 1.0], threshold=0.5, bounds=(0, 1)
    )
    assert claim.high == 1.0 and claim.low < 0.93 and claim.held
