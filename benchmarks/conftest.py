"""Set-up of the benchmarks: quiet TensorFlow, and one Keras backend for the whole process
(``KERAS_BACKEND``, default ``tensorflow``), since Keras fixes its backend at first import."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

if os.environ.get("CNNLAB_BENCH_DEVICE") == "cpu":
    # Hidden before any framework is imported, as cnnlab bench's CPU workers do.
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["JAX_PLATFORMS"] = "cpu"
