"""The offline quality measure: the Frechet distance against two independent implementations,
coverage and entropy against their definitions, and the judge on real and degenerate samples."""

import numpy as np
import pytest
from scipy import linalg

from cnnlab.reference.gan.quality import DigitsJudge, class_coverage, frechet_distance, gaussian


def _random_gaussians(d, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    return rng.normal(size=d), a @ a.T / d, rng.normal(size=d), b @ b.T / d + 0.1 * np.eye(d)


def scipy_frechet(mu1, s1, mu2, s2):
    """Independent arithmetic: scipy's matrix square root of s1 @ s2, real part."""
    root = linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * root))


@pytest.mark.parametrize("d,seed", [(2, 0), (16, 1), (64, 2)])
def test_frechet_distance_matches_scipy_sqrtm_arithmetic(d, seed):
    mu1, s1, mu2, s2 = _random_gaussians(d, seed)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(scipy_frechet(mu1, s1, mu2, s2), rel=1e-6)


def test_frechet_distance_matches_pytorch_fid():
    fid = pytest.importorskip("pytorch_fid.fid_score")
    for d, seed in ((8, 3), (64, 4)):
        mu1, s1, mu2, s2 = _random_gaussians(d, seed)
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
            fid.calculate_frechet_distance(mu1, s1, mu2, s2), rel=1e-6)


def test_frechet_distance_of_known_gaussians():
    # 1-d: (m1 - m2)^2 + (s1 - s2)^2; identical Gaussians: 0
    assert frechet_distance([0.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(9 + (2 - 1) ** 2)
    mu, s = np.zeros(5), np.diag([1.0, 2, 3, 4, 5])
    assert frechet_distance(mu, s, mu, s) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="means of shape"):
        frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(2))


def test_coverage_and_entropy_follow_their_definitions():
    covered, entropy, hist = class_coverage(np.arange(10).repeat(7))
    assert covered == 10 and entropy == pytest.approx(np.log(10)) and hist.tolist() == [7] * 10
    covered, entropy, _ = class_coverage([3] * 30 + [5] * 10)
    assert covered == 2 and entropy == pytest.approx(-(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))


@pytest.fixture(scope="module")
def judge(tmp_path_factory, monkeypatch_module=None):
    import os

    old = os.environ.get("CNNLAB_CACHE_DIR")
    os.environ["CNNLAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    try:
        first = DigitsJudge()
        yield first
    finally:
        if old is None:
            os.environ.pop("CNNLAB_CACHE_DIR", None)
        else:
            os.environ["CNNLAB_CACHE_DIR"] = old


def test_the_judge_reads_digits_and_separates_real_from_degenerate_samples(judge):
    assert judge.accuracy >= 0.9  # held-out digits
    floor = judge.floor(400)
    assert floor.classes_covered == 10 and floor.entropy > 2.2
    collapsed = judge.score(judge.x_train[judge.y_train == 3][:100])  # mode collapse: one digit
    assert collapsed.classes_covered == 1 and collapsed.entropy == pytest.approx(0.0, abs=1e-9)
    noise = judge.score(np.random.default_rng(0).uniform(-1, 1, (400, 32, 32, 1)))
    assert collapsed.frechet > 20 * floor.frechet and noise.frechet > 20 * floor.frechet
    mu, sigma = gaussian(judge.features(judge.x_held))
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-6)


def test_the_judge_is_cached_and_reloads_the_same_weights(judge):
    again = DigitsJudge()
    assert np.array_equal(again.w1, judge.w1) and again.accuracy == judge.accuracy
    with pytest.raises(ValueError, match="images of shape"):
        judge.score(np.zeros((4, 28, 28, 1)))
