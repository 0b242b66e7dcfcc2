"""Grading on a real Dask LocalCluster (2 worker processes on loopback): the same totals as local
grading, a worker killed in the middle of a class, a client killed with SIGKILL and rerun."""

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

distributed = pytest.importorskip("distributed")

import dask

from cnnlab import __version__
from cnnlab.bench.grading import distributed as dgrade
from cnnlab.bench.grading import engine, grade, sandbox

from .conftest import EXAMPLES

# quick and different: full marks, partial marks, a missing function, a syntax error
STUDENTS = ("correct", "partial_macro", "missing_function", "broken_syntax")


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for name in STUDENTS:
        shutil.copytree(EXAMPLES / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def local_totals(klass, tmp_path_factory):
    summary = grade("metrics", klass, tmp_path_factory.mktemp("local"), jobs=2, write_reports=False)
    return _totals(summary.records)


@pytest.fixture(scope="module")
def cluster():
    with dask.config.set({"distributed.scheduler.allowed-failures": 2}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address="127.0.0.1:0", memory_limit=0) as c:
            yield c


def _totals(records):
    return {r["student"]: (r["status"], round(r["score"], 6), r["max_score"]) for r in records}


def _rows(out):
    db = sqlite3.connect(out / "gradebook.db")
    try:
        return db.execute("SELECT run_id, student, status FROM submissions ORDER BY run_id, student").fetchall()
    finally:
        db.close()


def _pid(cluster, worker):
    """The process id of a Dask worker, as the (in-process) scheduler knows it: no call into
    the worker, which may be dying."""
    return cluster.scheduler.workers[worker].pid


def _grade_while(watch, klass, out, cluster, *, stop=None):
    """``grade`` on the cluster while ``watch`` runs in a thread, joined (after ``stop`` is set)
    before this returns."""
    spy = threading.Thread(target=watch)
    spy.start()
    try:
        return grade("metrics", klass, out, scheduler=cluster.scheduler_address)
    finally:
        if stop is not None:
            stop.set()
        spy.join()


def test_local_cluster_grades_like_local(klass, local_totals, cluster, tmp_path):
    summary = grade("metrics", klass, tmp_path, scheduler=cluster.scheduler_address)
    assert sorted(summary.graded) == sorted(STUDENTS)
    assert _totals(summary.records) == local_totals
    assert local_totals["correct"][1] == 100  # the comparison compares something
    if sandbox.bwrap_problem() is None:  # "auto" on a cluster: bubblewrap on every worker
        assert summary.isolation.startswith("bwrap+")
    for student in STUDENTS:  # each grader log came back, saying where it ran
        assert (tmp_path / "logs" / f"{student}.log").read_text().startswith("# graded on ")
    again = grade("metrics", klass, tmp_path, scheduler=cluster.scheduler_address)
    assert sorted(again.skipped) == sorted(STUDENTS) and not again.graded  # resume: nothing to do


def test_worker_killed_mid_class_loses_nothing(klass, local_totals, cluster, tmp_path):
    killed = {}

    def kill_a_busy_worker():
        with distributed.Client(cluster.scheduler_address, timeout=30) as spy:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                busy = {w: keys for w, keys in spy.processing().items()
                        if any(str(k).startswith("cnnlab-grade-") for k in keys)}
                if busy:
                    worker, keys = next(iter(busy.items()))
                    time.sleep(1.0)  # inside the grading of that submission
                    os.kill(_pid(cluster, worker), signal.SIGKILL)
                    killed.update(worker=worker, keys=keys)
                time.sleep(0.1)

    summary = _grade_while(kill_a_busy_worker, klass, tmp_path, cluster)
    assert killed, "no worker was seen grading"
    assert _totals(summary.records) == local_totals
    rows = _rows(tmp_path)
    assert sorted(s for _, s, _ in rows) == sorted(STUDENTS)  # each once, none lost
    # the nanny restarts the killed worker; the plugin admits the new one before it grades
    distributed.Client(cluster.scheduler_address, timeout=30).close()


def _graded_students(out):
    try:
        with sqlite3.connect(out / "gradebook.db") as db:
            return {s for (s,) in db.execute("SELECT student FROM submissions WHERE status = 'graded'")}
    except sqlite3.OperationalError:  # the file exists a moment before its tables
        return set()


def _scheduler_keys(cluster):
    while True:
        try:
            return [str(k) for k in list(cluster.scheduler.tasks)]
        except RuntimeError:  # changed while read (the scheduler runs in this process)
            continue


def test_a_graded_submission_is_released_from_the_cluster(cluster, tmp_path):
    """Once its result is read, a submission's task is forgotten by the scheduler: a result
    left on a worker would be graded again when that worker dies later in the run (CI saw
    correct regraded after the worker holding its result was killed)."""
    klass, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(EXAMPLES / "correct", klass / "correct")
    shutil.copytree(EXAMPLES / "correct", klass / "slow")
    source = klass / "slow" / "metrics.py"
    source.write_text("import time\n\ntime.sleep(8)  # each worker's import of it\n" + source.read_text())
    seen = {}

    def watch():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "correct" not in _graded_students(out):
            time.sleep(0.1)
        time.sleep(1.0)
        seen.update(keys=_scheduler_keys(cluster), graded=_graded_students(out))

    summary = _grade_while(watch, klass, out, cluster)
    assert sorted(summary.graded) == ["correct", "slow"]
    assert seen["graded"] == {"correct"}, "slow was still being graded when the scheduler was read"
    assert not any(k.startswith("cnnlab-grade-correct-") for k in seen["keys"]), seen["keys"]
    assert any(k.startswith("cnnlab-grade-slow-") for k in seen["keys"])


def test_submission_that_keeps_killing_workers_ends_as_error(cluster, tmp_path):
    klass = tmp_path / "class"
    for name in ("correct", "crasher"):  # crasher: the same files, but its worker always dies
        shutil.copytree(EXAMPLES / "correct", klass / name)
    kills, stop = [], threading.Event()

    def kill_whoever_grades_crasher():
        with distributed.Client(cluster.scheduler_address, timeout=30) as spy:
            while not stop.is_set():
                for worker, keys in spy.processing().items():
                    keys = [str(k) for k in keys]
                    # a killed worker stays listed until the scheduler notices it is gone; one
                    # that also holds correct's task (queued behind, or running) is left until
                    # correct is done, or correct would die with it
                    if (worker not in kills and any(k.startswith("cnnlab-grade-crasher-") for k in keys)
                            and not any(k.startswith("cnnlab-grade-correct-") for k in keys)):
                        try:
                            os.kill(_pid(cluster, worker), signal.SIGKILL)
                        except (KeyError, ProcessLookupError):
                            continue  # gone already
                        kills.append(worker)
                time.sleep(0.1)

    summary = _grade_while(kill_whoever_grades_crasher, klass, tmp_path / "out", cluster, stop=stop)
    records = {r["student"]: r for r in summary.records}
    assert records["correct"]["status"] == "graded" and records["correct"]["score"] == 100
    assert records["crasher"]["status"] == "error"
    assert "stopped 3 Dask workers" in records["crasher"]["message"]  # allowed-failures 2, + 1
    assert len(set(kills)) == 3
    assert summary.errors == ["crasher"]


def test_killed_client_resumes(klass, local_totals, cluster, tmp_path):
    command = [sys.executable, "-m", "cnnlab.bench", "grade", "metrics", str(klass), "--out",
               str(tmp_path), "--scheduler", cluster.scheduler_address, "--quiet"]
    client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:  # the file exists a moment before its tables
                if (tmp_path / "gradebook.db").exists() and any(s == "graded" for _, _, s in _rows(tmp_path)):
                    break
            except sqlite3.OperationalError:
                pass
            assert client.poll() is None, client.stdout.read().decode()
            time.sleep(0.2)
        os.kill(client.pid, signal.SIGKILL)
    finally:
        try:
            os.killpg(client.pid, signal.SIGKILL)  # anything the killed client had started
        except ProcessLookupError:
            pass
        client.wait()
    first = _rows(tmp_path)
    assert 1 <= len(first) < len(STUDENTS) + 1
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"already graded {len(first)}," in done.stdout
    rows = _rows(tmp_path)
    second = [s for run, s, _ in rows if run != first[0][0]]
    assert sorted([s for _, s, _ in first] + second) == sorted(STUDENTS)  # only what was missing
    with engine.Gradebook(tmp_path / "gradebook.db") as book:
        assert _totals(book.latest("metrics")) == local_totals
        statuses = [r[0] for r in book.db.execute("SELECT status FROM runs ORDER BY run_id")]
    assert statuses == ["interrupted", "finished"]


def test_worker_of_another_version_is_refused(tmp_path):
    spec = engine.assignments.load("metrics")
    check = {"token": "t" * 12, "version": __version__ + ".other", "assignment": "metrics",
             "digest": engine.grader_digest(spec), "archive": b"", "isolation": "rlimits",
             "explicit": True, "limits": {}, "layers": None}
    report = dgrade._admit(check)
    assert not report["ok"] and "install the same version on every worker" in report["reason"]


def test_assignment_travels_as_bytes_when_the_worker_lacks_it(tmp_path):
    spec = engine.assignments.load("metrics")
    copy = tmp_path / "metrics_variant"
    shutil.copytree(spec.root, copy)
    variant = engine.assignments.load(copy)
    check = {"token": "u" * 12, "version": __version__, "assignment": variant.name,
             "digest": engine.grader_digest(variant), "archive": dgrade.pack(copy),
             "isolation": "rlimits", "explicit": True, "limits": {}, "layers": None}
    report = dgrade._admit(check)
    assert report["ok"], report["reason"]
    assert report["via"] == "bytes"


@pytest.mark.parametrize("args, message", [
    (["--cluster", "local:0"], "--cluster must be local:N"),
    (["--cluster", "slurm"], "--cluster must be local:N"),
    (["--cluster", "local:1", "--scheduler", "tcp://127.0.0.1:8786"], "either --scheduler"),
])
def test_bad_cluster_options_are_one_line(args, message, tmp_path):
    done = subprocess.run([sys.executable, "-m", "cnnlab.bench", "grade", "metrics", str(EXAMPLES / "correct"),
                           "--out", str(tmp_path), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


BENCH = ["--arch", "lenet5", "--framework", "torch", "--device", "cpu", "--warmup", "1", "--steps", "2",
         "--min-time", "0", "--repeats", "1", "--threads", "1", "--quiet"]


def test_bench_sweep_sends_each_run_to_a_worker(tmp_path):
    pytest.importorskip("torch")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0", memory_limit=0,
                                  resources={dgrade.BENCH_RESOURCE: 1}) as cluster:
        done = subprocess.run([sys.executable, "-m", "cnnlab.bench", "bench", *BENCH, "--batch-size", "2", "4",
                               "--scheduler", cluster.scheduler_address, "--json", str(tmp_path / "b.json"),
                               "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
        workers = set(cluster.scheduler.workers)
    assert done.returncode == 0, done.stdout + done.stderr
    records = json.loads((tmp_path / "b.json").read_text())["records"]
    assert sorted(r["batch_size"] for r in records) == [2, 4]
    assert all(r["dask_worker"] in workers and r["host"] for r in records)


def test_bench_sweep_without_a_bench_worker_is_one_line(cluster, tmp_path):
    done = subprocess.run([sys.executable, "-m", "cnnlab.bench", "bench", *BENCH, "--scheduler",
                           cluster.scheduler_address, "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "--resources \"cnnlab-bench=1\"" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_slurm_job_script_from_a_config_file(tmp_path):
    pytest.importorskip("dask_jobqueue")
    config = tmp_path / "slurm.toml"
    config.write_text('[slurm]\nqueue = "cpu"\naccount = "course42"\ncores = 4\nmemory = "16GB"\n'
                      'walltime = "02:00:00"\njobs = 3\nscheduler_host = "127.0.0.1"\n'
                      'job_extra_directives = ["--constraint=avx2"]\n'
                      'job_script_prologue = ["source /opt/cnnlab/bin/activate"]\n')
    cluster, jobs, wait_s = dgrade.slurm_cluster(config)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert jobs == 3 and wait_s == 600
    for line in ("#SBATCH -p cpu", "#SBATCH -A course42", "#SBATCH --cpus-per-task=4",
                 "#SBATCH -t 02:00:00", "#SBATCH --constraint=avx2", "source /opt/cnnlab/bin/activate"):
        assert line in script, script
    assert "#SBATCH --mem=" in script and "distributed.cli.dask_worker tcp://127.0.0.1:" in script
    # one grading per Dask worker process: as many 1-thread processes as the job has cores
    assert "--nthreads 1" in script and "--nworkers 4" in script


@pytest.mark.parametrize("text, message", [
    ("[slurm]\ncores = 4\n", "needs memory"),
    ("[slurm]\ncores = 4\nmemory = '1GB'\nqueeu = 'x'\n", "unknown key(s) ['queeu']"),
    ("cores = 4\n", "needs a [slurm] table"),
])
def test_slurm_config_mistakes_are_named(text, message, tmp_path):
    config = tmp_path / "slurm.toml"
    config.write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)):
        dgrade.slurm_cluster(config)


def test_without_dask_the_options_say_how_to_install_it(tmp_path):
    blocker = tmp_path / "no-dask" / "distributed"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = dict(os.environ, PYTHONPATH=str(blocker.parent))
    done = subprocess.run([sys.executable, "-m", "cnnlab.bench", "grade", "metrics", str(EXAMPLES / "correct"),
                           "--out", str(tmp_path / "out"), "--cluster", "local:2"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == "cnnlab grade: error: --scheduler and --cluster need Dask: pip install 'cnnlab[dask]'"
