"""``cnnlab bench`` argument handling: bad input is one line and exit code 2, before any run starts."""

import subprocess
import sys
from pathlib import Path

import pytest

from cnnlab.bench.throughput.runner import cuda_present

from ..conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    return run_cli(capsys, "bench", *argv)


@pytest.mark.parametrize(
    "argv,needle",
    [
        (("--arch", "resnet19"), "unknown architecture 'resnet19'; valid architectures: lenet5"),
        (("--framework", "tensorflow"),
         "valid frameworks: torch, keras-tensorflow, keras-jax, keras-torch, all"),
        (("--device", "tpu"), "unknown device 'tpu'; valid devices: cpu, cuda, auto"),
        (("--precision", "fp8"), "unknown precision 'fp8'; valid precisions: fp32, bf16, fp16, all"),
        (("--mode", "eval"), "valid modes: infer, train, all"),
        (("--batch-size", "0"), "--batch-size must be at least 1"),
        (("--repeats", "0"), "repeats must be an int >= 1"),
        (("--threads", "0"), "--threads must be a positive int"),
        (("--fail-over", "150"), "--fail-over must be a percentage in [0, 100)"),
        (("--compare", "no-such-baseline.json"), "baseline file 'no-such-baseline.json' does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, tmp_path, argv, needle):
    code, out, err = run(capsys, *argv, "--out", str(tmp_path), "--quiet")
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing ran, nothing written


@pytest.mark.skipif(cuda_present(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(capsys, tmp_path):
    code, out, err = run(capsys, "--device", "cuda", "--out", str(tmp_path), "--quiet")
    assert code == 2
    assert "--device cuda: this machine has no NVIDIA GPU" in err and "--device auto" in err


def test_a_backend_that_is_not_installed_is_skipped_with_the_install_command(capsys, tmp_path,
                                                                             monkeypatch):
    pytest.importorskip("keras")  # so that the absent backend is the only thing missing
    from cnnlab.bench.throughput import options

    # JAX looked up as absent: the real install hint, and a run that measured nothing fails
    monkeypatch.setattr(options, "is_installed", lambda package: package != "jax")
    code, out, err = run(capsys, "--framework", "keras-jax", "--arch", "lenet5", "resnet18",
                         "--out", str(tmp_path), "--quiet")
    assert code == 1
    assert err.strip().splitlines() == ["skipped keras-jax: jax is not installed; pip install 'cnnlab[keras,jax]'",
                                        "nothing was measured: every requested run was skipped"]


def test_the_parent_process_imports_no_framework():
    script = (
        "import sys\n"
        "from cnnlab.bench.cli import make_parser\n"
        "from cnnlab.bench.commands import bench\n"
        "args = make_parser().parse_args(['bench', '--arch', 'all', '--framework', 'all'])\n"
        "assert len(bench.plan(args)) > 20\n"
        "import cnnlab.bench.throughput.runner, cnnlab.reports.bench\n"
        "loaded = {'torch', 'tensorflow', 'keras', 'jax'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
