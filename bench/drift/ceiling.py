"""The frozen-feature supervised ceiling: a linear classifier that knows every label.

5-fold cross-fitted L2 logistic regression (``sum of log-losses + ||w||^2 / 2``,
intercept not penalised) on the z-scored 1506-d track means of the candidates,
trained on their relevance: each candidate is scored by the fold that did not
see it. It says how well the frozen features can rank, not what a recommender
that only sees listens could do. With fewer tracks than dimensions the weights
lie in the span of the training rows (``w = X^T a``), so Newton's method runs on
``a`` and the intercept: a system the size of the training set.
"""

from __future__ import annotations

import numpy as np

from bench.drift.rankers import History, Space

FOLDS = 5
L2 = 1.0


def _objective(k: np.ndarray, y: np.ndarray, a: np.ndarray, b: float, l2: float) -> float:
    f = k @ a + b
    return float(np.logaddexp(0.0, f).sum() - (y * f).sum() + 0.5 * l2 * a @ k @ a)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = L2, iters: int = 50
) -> tuple[np.ndarray, float]:
    """Weights and intercept of the L2-penalised logistic regression of ``y`` on ``x``."""
    k = x @ x.T
    n = len(y)
    a, b = np.zeros(n), 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(k @ a + b)))
        s = p * (1 - p)
        resid = np.append(p - y + l2 * a, (p - y).sum())
        jac = np.zeros((n + 1, n + 1))
        jac[:n, :n] = s[:, None] * k + l2 * np.eye(n)
        jac[:n, n] = s
        jac[n, :n] = s @ k
        jac[n, n] = s.sum() + 1e-9
        step = np.linalg.solve(jac, -resid)
        t, before = 1.0, _objective(k, y, a, b, l2)
        while t > 1e-4 and _objective(k, y, a + t * step[:n], b + t * step[n], l2) > before:
            t /= 2
        a, b = a + t * step[:n], b + t * float(step[n])
        if np.abs(t * step).max() < 1e-8:
            break
    return x.T @ a, b


def ceiling(s: Space, h: History) -> np.ndarray:
    """Cross-fitted scores of the candidates (0.5 where a fold lacks a class)."""
    x, y = s.z[h.candidates].astype(np.float64), h.relevant.astype(np.float64)
    folds = np.random.default_rng(h.seed).permutation(len(y)) % FOLDS
    out = np.full(len(y), 0.5)
    for f in range(FOLDS):
        train, test = folds != f, folds == f
        if len(np.unique(y[train])) < 2 or not test.any():
            continue
        w, b = fit_logistic(x[train], y[train])
        out[test] = 1.0 / (1.0 + np.exp(-(x[test] @ w + b)))
    return out
