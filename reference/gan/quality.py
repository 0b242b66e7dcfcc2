"""An offline quality measure for generated digits: class coverage and a Frechet distance.

A small classifier trained on scikit-learn's digits (the same 32x32 images in [-1, 1] the digits
GAN learns) judges generated images:

* **coverage**: how many of the 10 classes the generated images are assigned to, and the
  entropy of the histogram of assigned classes (``log 10 = 2.303`` nats when uniform; a
  collapsed generator shows at once as few classes and a low entropy);
* **Frechet distance** between Gaussians fitted to the classifier's hidden features of generated
  images and of held-out real digits, ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``
  (FID's formula, in this classifier's feature space rather than Inception's), reported beside
  the floor: the distance between as many *real* training digits and the same held-out ones.

The classifier is scikit-learn's ``MLPClassifier`` with one hidden ReLU layer (no framework
needed); its weights are cached as a ``.npz`` under the user cache folder
(``$CNNLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/cnnlab``, else ``~/.cache/cnnlab``), or trained in a
few seconds when absent.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cnnlab import paths
from cnnlab.errors import UsageError

__all__ = ["DigitsJudge", "Quality", "frechet_distance", "class_coverage", "digits_split",
           "cache_dir"]

#: Version of the judge's recipe; part of the cache file's name.
JUDGE_VERSION = 2


def cache_dir() -> Path:
    """Where the judge is cached (see :func:`cnnlab.paths.cache_dir`)."""
    return paths.cache_dir()


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    ``|mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^(1/2))``. The last trace is
    computed as the sum of the square roots of the eigenvalues of ``A sigma2 A`` with
    ``A = sigma1^(1/2)``, a symmetric positive semi-definite matrix with the same eigenvalues as
    ``sigma1 sigma2``, so no complex matrix square root is needed.

    Parameters
    ----------
    mu1, mu2 : array of shape (d,)
    sigma1, sigma2 : array of shape (d, d)
        Symmetric positive semi-definite covariances.

    Returns
    -------
    float
        Non-negative (rounding below zero is clipped).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or mu1.ndim != 1 or s1.shape != s2.shape or s1.shape != mu1.shape * 2:
        raise UsageError(f"means of shape (d,) and covariances (d, d) expected; got {mu1.shape}, "
                         f"{s1.shape}, {mu2.shape}, {s2.shape}")
    vals, vecs = np.linalg.eigh((s1 + s1.T) / 2)
    root1 = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    middle = root1 @ s2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    cross = float(np.sum(np.sqrt(np.clip(eig, 0, None))))
    diff = mu1 - mu2
    return max(0.0, float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * cross))


def gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of ``features`` ``(n, d)``, n >= 2."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise UsageError(f"features of shape (n >= 2, d) expected; got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def class_coverage(labels, num_classes: int = 10) -> tuple[int, float, np.ndarray]:
    """Classes hit, entropy of the class histogram (nats), and the histogram itself."""
    counts = np.bincount(np.asarray(labels, np.int64), minlength=num_classes)[:num_classes]
    p = counts / max(1, counts.sum())
    nz = p[p > 0]
    return int((counts > 0).sum()), float(-(nz * np.log(nz)).sum()), counts


def digits_split(*, size: int = 32, held_out: float = 0.3, seed: int = 0):
    """scikit-learn's digits as NHWC float32 in [-1, 1], split in train and held-out, stratified.

    Returns
    -------
    (ndarray, ndarray, ndarray, ndarray)
        ``x_train, y_train, x_held, y_held``.
    """
    from sklearn.model_selection import train_test_split

    from ..data.digits import load_digits

    data = load_digits(size=size)
    x = data.images * 2.0 - 1.0
    x_tr, x_te, y_tr, y_te = train_test_split(x, data.labels, test_size=held_out,
                                              random_state=seed, stratify=data.labels)
    return (x_tr.astype(np.float32), y_tr.astype(np.int64), x_te.astype(np.float32),
            y_te.astype(np.int64))


@dataclass(frozen=True)
class Quality:
    """One row of the quality table: coverage and Frechet distance of one set of images."""

    classes_covered: int
    entropy: float
    frechet: float
    histogram: tuple

    def as_dict(self) -> dict:
        return asdict(self)


class DigitsJudge:
    """The digits classifier that scores generated images.

    Parameters
    ----------
    size : int, default=32
        Side of the images it judges (digits upsampled bilinearly, scaled to [-1, 1]); a
        multiple of 8. The classifier reads them average-pooled back to 8x8.
    hidden : int, default=64
        Width of the hidden layer: the feature space of the Frechet distance.
    cache : bool, default=True
        Load the weights from, and save them to, :func:`cache_dir`.
    """

    def __init__(self, *, size: int = 32, hidden: int = 64, cache: bool = True):
        self.size, self.hidden = int(size), int(hidden)
        if self.size < 8 or self.size % 8:
            raise UsageError(f"size must be a multiple of 8; got {size!r}")
        self.x_train, self.y_train, self.x_held, self.y_held = digits_split(size=self.size)
        path = cache_dir() / f"digits_judge_v{JUDGE_VERSION}_{self.size}px_{self.hidden}.npz"
        weights = None
        if cache and path.is_file():
            try:
                with np.load(path, allow_pickle=False) as f:
                    weights = [f[k] for k in ("w1", "b1", "w2", "b2")]
            except (OSError, ValueError, KeyError):
                weights = None
        if weights is None:
            weights = self._train()
            if cache:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".tmp.npz")
                    np.savez(tmp, w1=weights[0], b1=weights[1], w2=weights[2], b2=weights[3])
                    os.replace(tmp, path)
                except OSError:
                    pass  # a read-only home: train again next time
        self.w1, self.b1, self.w2, self.b2 = weights
        self.accuracy = float((self.predict(self.x_held) == self.y_held).mean())
        self._held = gaussian(self.features(self.x_held))

    def _train(self):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier(hidden_layer_sizes=(self.hidden,), alpha=1e-3, max_iter=200,
                            random_state=0)
        from threadpoolctl import threadpool_limits

        # one BLAS thread: on a busy 2-core machine threads contending over these small
        # matrices make the fit 10x slower
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(self._flat(self.x_train), self.y_train)
        return [np.asarray(a, np.float32) for a in
                (clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1], clf.intercepts_[1])]

    def _flat(self, images) -> np.ndarray:
        """Average-pool to the digits' native 8x8 and flatten: 64 inputs, a fast classifier."""
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[1:] != (self.size, self.size, 1):
            raise UsageError(f"images of shape (N, {self.size}, {self.size}, 1) in [-1, 1] "
                             f"expected; got {images.shape}")
        f = self.size // 8
        pooled = images[..., 0].reshape(len(images), 8, f, 8, f).mean(axis=(2, 4))
        return pooled.reshape(len(images), 64)

    def features(self, images) -> np.ndarray:
        """Hidden ReLU features ``(N, hidden)`` of NHWC images in [-1, 1]."""
        return np.maximum(self._flat(images) @ self.w1 + self.b1, 0.0)

    def predict(self, images) -> np.ndarray:
        """Predicted digit of each image."""
        return np.argmax(self.features(images) @ self.w2 + self.b2, axis=1)

    def score(self, images) -> Quality:
        """Coverage, entropy and Frechet distance to the held-out digits of ``images``."""
        covered, entropy, hist = class_coverage(self.predict(images))
        mu, sigma = gaussian(self.features(images))
        fd = frechet_distance(mu, sigma, *self._held)
        return Quality(covered, round(entropy, 4), round(fd, 4), tuple(int(c) for c in hist))

    def floor(self, n: int, *, seed: int = 0) -> Quality:
        """The score of ``n`` real training digits: what a perfect generator would get."""
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(self.x_train), size=min(n, len(self.x_train)), replace=False)
        return self.score(self.x_train[pick])
