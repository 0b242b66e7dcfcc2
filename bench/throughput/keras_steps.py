"""Keras side of the benchmark, for whichever backend this process runs (``KERAS_BACKEND``).

The PyTorch twin is ``torch_steps.py``: same function names, same order. Each backend waits for
its device in its own way: JAX with ``block_until_ready``, TensorFlow by fetching a value to the
host, Keras-on-torch with ``torch.cuda.synchronize``.
"""

from __future__ import annotations

import gc
import os
import time

import keras
import numpy as np

from cnnlab.errors import UsageError

from .environment import peak_rss_bytes, reset_peak_rss
from .prepared import Prepared, first_output, model_gmacs

BACKEND = keras.backend.backend()

_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def resolve_device(requested: str) -> str:
    """``"cuda"`` or ``"cpu"``; a ``ValueError`` when CUDA is asked for and the backend has none."""
    available = _gpu_available()
    if requested == "cuda" and not available:
        raise UsageError(f"--device cuda: Keras' {BACKEND} backend sees no GPU ({_gpu_hint()})")
    return "cuda" if requested in ("cuda", "auto") and available else "cpu"


def device_name(device: str) -> str:
    if device == "cpu":
        return "cpu"
    if BACKEND == "tensorflow":
        import tensorflow as tf

        gpu = tf.config.list_physical_devices("GPU")[0]
        return tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
    if BACKEND == "jax":
        import jax

        return jax.devices()[0].device_kind
    import torch

    return torch.cuda.get_device_name()


def threads() -> int:
    if BACKEND == "tensorflow":
        import tensorflow as tf

        # 0 means "let TensorFlow choose", which is one thread per core.
        configured = tf.config.threading.get_intra_op_parallelism_threads()
        return configured or int(os.environ.get("TF_NUM_INTRAOP_THREADS", 0)) or os.cpu_count()
    if BACKEND == "torch":
        import torch

        return torch.get_num_threads()
    return os.cpu_count()  # XLA's CPU client uses every core


def is_out_of_memory(exc: BaseException) -> bool:
    """True for the backend's out-of-memory error (raised on a GPU and by a CPU allocator alike)."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return isinstance(exc, tf.errors.ResourceExhaustedError)
    if BACKEND == "jax":
        import jax

        return isinstance(exc, jax.errors.JaxRuntimeError) and "RESOURCE_EXHAUSTED" in str(exc)
    from .torch_steps import is_out_of_memory as torch_oom

    return torch_oom(exc)


def release() -> None:
    keras.backend.clear_session()
    gc.collect()
    if BACKEND == "torch":
        from .torch_steps import release as torch_release

        torch_release()


def prepare(spec, device: str, batch_size: int) -> Prepared:
    """Build ``spec.arch`` in Keras, make a random NHWC batch on the device, and return its step.

    Inference builds the model under the dtype policy of the precision (``"bfloat16"``: weights
    and activations in bf16) and runs a compiled forward: ``jax.jit`` of ``stateless_call`` on
    JAX, ``tf.function`` (XLA with ``--compile``) on TensorFlow. Training builds under the mixed
    policy (``"mixed_bfloat16"``: float32 weights) and times ``train_on_batch`` with SGD, which is
    forward, backward and the optimizer step as Keras runs them (loss scaling included for fp16).
    """
    from cnnlab.reference import build
    from cnnlab.reference.catalog import get
    from cnnlab.reference.summary import count_params

    arch = get(spec.arch)
    dtype = _DTYPES[spec.precision]
    mixed = spec.mode == "train" and dtype != "float32"
    keras.config.set_dtype_policy(f"mixed_{dtype}" if mixed else dtype)
    try:
        model = build(spec.arch, "keras")
    finally:
        keras.config.set_dtype_policy("float32")
    params = count_params(model)[1]
    gmacs, gmacs_source = model_gmacs(model, arch)
    rng = np.random.default_rng(0)
    h, w = arch.input_size
    images = rng.standard_normal((batch_size, h, w, arch.in_channels), dtype=np.float32)
    x = keras.ops.cast(keras.ops.convert_to_tensor(images), "float32" if mixed else dtype)

    if spec.mode == "infer":
        step, sync, flags = _forward(model, x, device, spec.compile)
        precision_mode = "pure"
    else:
        labels = keras.ops.convert_to_tensor(rng.integers(0, arch.num_classes, batch_size))
        jit = True if BACKEND == "jax" else spec.compile
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit,
        )

        def step():
            # The loss comes back as a Python float: a value fetch that waits for the device.
            return model.train_on_batch(x, labels)

        def sync(_result):
            pass

        precision_mode = f"mixed (mixed_{dtype})" if mixed else "pure"
        flags = {"train_on_batch": True, "jit_compile": jit, "optimizer": "SGD(momentum=0.9)"}

    return Prepared(
        step=step,
        sync=sync,
        params=params,
        gmacs=gmacs,
        gmacs_source=gmacs_source,
        input_size=tuple(arch.input_size),
        layout="NHWC",
        precision_mode=precision_mode,
        flags=flags,
    )


def _forward(model, x, device: str, compile: bool):
    """The inference step and its sync for this backend, with the flags that describe them."""
    if BACKEND == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        @jax.jit
        def forward(trainable, non_trainable, x):
            return first_output(model.stateless_call(trainable, non_trainable, x, training=False)[0])

        return lambda: forward(trainable, non_trainable, x), jax.block_until_ready, {"jax.jit": True}
    if BACKEND == "tensorflow":
        import tensorflow as tf

        forward = tf.function(lambda x: first_output(model(x, training=False)), jit_compile=compile)
        # Fetching the logits to the host returns only once the device has computed them.
        return lambda: forward(x), lambda out: out.numpy(), {"tf.function": True, "jit_compile": compile}
    import torch

    call = torch.compile(lambda x: model(x, training=False)) if compile else (lambda x: model(x, training=False))

    def step():
        with torch.no_grad():
            return call(x)

    return step, _torch_sync(device), {"torch.compile": compile, "no_grad": True}


def _torch_sync(device: str):
    import torch

    if device == "cuda":
        return lambda _result: torch.cuda.synchronize()
    return lambda _result: None


def reset_peak_memory(device: str) -> None:
    if device == "cpu":
        reset_peak_rss()
    elif BACKEND == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.reset_memory_stats("GPU:0")
    elif BACKEND == "torch":
        import torch

        torch.cuda.reset_peak_memory_stats()
    # JAX has no reset: its peak counts from the start of the process.


def peak_memory(device: str) -> tuple[int, str]:
    """Peak bytes since :func:`reset_peak_memory` and what they measure."""
    if device == "cpu":
        return peak_rss_bytes(), "process peak RSS"
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.config.experimental.get_memory_info("GPU:0")["peak"], "tf get_memory_info peak"
    if BACKEND == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        return stats.get("peak_bytes_in_use", 0), "jax peak_bytes_in_use (whole process)"
    import torch

    return torch.cuda.max_memory_allocated(), "torch.cuda.max_memory_allocated"


def matmul_peak(device: str, precision: str, *, seconds: float = 0.5) -> float:
    """Practical peak in TFLOP/s: the best rate of chained square matmuls in this backend."""
    if BACKEND == "torch":
        from .torch_steps import matmul_peak as torch_matmul_peak

        return torch_matmul_peak(device, precision, seconds=seconds)
    n, chain = (8192 if device == "cuda" else 1024), 4
    rng = np.random.default_rng(0)
    # b scaled so that repeated products neither overflow nor vanish in low precision.
    a = keras.ops.cast(rng.standard_normal((n, n), dtype=np.float32), _DTYPES[precision])
    b = keras.ops.cast(rng.standard_normal((n, n), dtype=np.float32) / np.sqrt(n), _DTYPES[precision])
    if BACKEND == "jax":
        import jax

        def chained(a, b):
            for _ in range(chain):
                a = a @ b
            return a

        run, wait = jax.jit(chained), jax.block_until_ready
    else:
        import tensorflow as tf

        @tf.function
        def run(a, b):
            for _ in range(chain):
                a = tf.linalg.matmul(a, b)
            return a[0, 0]

        wait = lambda value: value.numpy()  # noqa: E731
    wait(run(a, b))
    best = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        wait(run(a, b))
        best = max(best, chain * 2 * n**3 / (time.perf_counter() - start) / 1e12)
    return best


def _gpu_available() -> bool:
    if BACKEND == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        for gpu in gpus:
            # Without this TensorFlow takes all GPU memory at start, and peak memory means nothing.
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:  # the device is already initialised; growth cannot change now
                pass
        return bool(gpus)
    if BACKEND == "jax":
        import jax

        return jax.default_backend() in ("gpu", "cuda", "rocm")
    import torch

    return torch.cuda.is_available()


def _gpu_hint() -> str:
    return {
        "tensorflow": "TensorFlow needs the 'tensorflow[and-cuda]' package for a GPU",
        "jax": "install 'jax[cuda12]' for a GPU",
        "torch": "torch was installed without CUDA",
    }[BACKEND]
