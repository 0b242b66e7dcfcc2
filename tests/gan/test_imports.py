"""The GAN modules keep cnnlab's lazy-import promise: the torch loop never loads TensorFlow or
Keras, the Keras loop never loads torch, and the quality measure loads neither."""

import os
import subprocess
import sys

import pytest

CODE = """
import sys
import cnnlab.reference.gan, cnnlab.reference.gan.quality, cnnlab.reference.gan.demo
import cnnlab.reports.gan
assert not {{'torch', 'keras', 'tensorflow'}} & set(sys.modules), 'a framework at import'
from cnnlab.reference.gan.demo import build_pair, twin
loop = twin({framework!r})
g, d = build_pair({framework!r}, seed=0)
print(sorted(m for m in {forbidden!r} if m in sys.modules))
"""


@pytest.mark.parametrize("framework,forbidden", [("torch", ("tensorflow", "keras", "jax")),
                                                 ("keras", ("torch", "torchvision"))])
def test_one_framework_never_imports_the_other(framework, forbidden):
    pytest.importorskip(framework)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow"}
    out = subprocess.run([sys.executable, "-c", CODE.format(framework=framework, forbidden=forbidden)],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
