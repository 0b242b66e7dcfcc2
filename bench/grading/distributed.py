"""Grading a class on a Dask cluster: ``cnnlab grade ... --scheduler ADDRESS`` or ``--cluster local:N``.

The ``cnnlab grade`` process stays the only writer of the gradebook. It prepares every
submission as it does for ``--jobs`` (unpacking, digest, resume), then sends each one to a Dask
worker as a zip with its digest. The worker checks the digest, runs exactly the grading that
runs locally (:func:`cnnlab.bench.grading.grader.grade_one`: a trusted grader child per
submission, student code only inside the sandbox) and returns the result record and the grader's
log; the client records each result as it arrives.

A Dask worker is trusted grader code. Before it is given a submission it is *admitted*: a worker
plugin checks, on every worker that joins (also one restarted after a crash), that it runs the
same cnnlab version as the client, that it has the sandbox asked for (bubblewrap unless
``isolation="rlimits"`` was given explicitly), that it has the same assignment (by name, where
its installed copy has the same :func:`~cnnlab.bench.grading.grader.grader_digest`, else from the
bytes the client sent) and that a sandboxed worker starts there. A grading task that lands on a
worker still being admitted waits for the verdict; on a refused worker it goes back to the
scheduler (``distributed.Reschedule``) without grading. Refused workers are named with their
reason.

A worker that dies while grading has its submission graded again elsewhere (the scheduler
reschedules the task); a submission whose grading kills ``distributed.scheduler.allowed-failures``
+ 1 workers is recorded as an ``error`` with that reason, and the rest of the class goes on.

Dask is an optional dependency (``pip install 'cnnlab[dask]'``); nothing here imports it before
it is needed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as futures
import io
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

import cnnlab
from cnnlab.errors import UsageError

from . import assignment as assignments
from . import sandbox, submissions
from .records import GradingJob

INSTALL_HINT = "pip install 'cnnlab[dask]'"
#: Tries of one submission on workers that died while grading it (local clusters; a remote
#: scheduler uses its own ``distributed.scheduler.allowed-failures`` + 1).
MAX_TRIES = 3
LOG_BYTES = 1 << 20  # the tail of a grader log that travels back to the client
ADMISSION_WAIT_S = 300  # a task that reaches a worker still being admitted waits this long
_SKIP = ("__pycache__", ".pytest_cache", ".ipynb_checkpoints")


class DaskMissing(UsageError):
    """The Dask options were given where Dask is not installed."""


def _dask():
    """Import ``distributed``; a :class:`DaskMissing` with the install line where it is missing."""
    try:
        import distributed
    except ImportError:
        raise DaskMissing(f"--scheduler and --cluster need Dask: {INSTALL_HINT}") from None
    return distributed


def parse_cluster(value: str) -> int:
    """The number of worker processes of a ``local:N`` cluster (0 for ``slurm:CONFIG``).

    Raises
    ------
    ValueError
        For anything but ``local:N`` with a positive ``N`` or ``slurm:CONFIG``.
    """
    kind, _, count = str(value).partition(":")
    if kind == "slurm" and count:
        return 0
    if kind != "local" or not count.isdigit() or int(count) < 1:
        raise UsageError(f"--cluster must be local:N with N worker processes (e.g. local:4) or "
                         f"slurm:CONFIG.toml, got {value!r}")
    return int(count)


#: Keys of the ``[slurm]`` table of a ``--cluster slurm:CONFIG`` file; all but ``jobs`` and
#: ``wait_s`` go to ``dask_jobqueue.SLURMCluster``.
SLURM_KEYS = ("queue", "account", "cores", "processes", "memory", "walltime", "job_extra_directives",
              "job_script_prologue", "interface", "local_directory", "python", "jobs", "wait_s",
              "scheduler_host")


def slurm_cluster(config: str | Path):
    """A ``dask_jobqueue.SLURMCluster`` configured from the ``[slurm]`` table of a TOML file.

    Example::

        [slurm]
        queue = "cpu"              # sbatch -p
        cores = 4                  # one job's cores
        processes = 4              # Dask worker processes per job (default: cores, 1 thread each)
        memory = "16GB"
        walltime = "02:00:00"
        jobs = 10                  # SLURM jobs to start (each one is a Dask worker)
        job_extra_directives = ["--constraint=avx2"]
        job_script_prologue = ["source /opt/cnnlab/venv/bin/activate"]

    Returns
    -------
    (SLURMCluster, int, float)
        The cluster (no job submitted yet), the jobs to scale to and how long to wait for the
        first worker.

    Raises
    ------
    ValueError
        For a missing or malformed file, unknown keys, or dask-jobqueue not installed.
    """
    import tomllib

    path = Path(config)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("slurm")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"--cluster slurm:{config}: cannot read it ({exc})") from None
    if not isinstance(table, dict):
        raise UsageError(f"--cluster slurm:{config}: needs a [slurm] table")
    unknown = sorted(set(table) - set(SLURM_KEYS))
    if unknown:
        raise UsageError(f"--cluster slurm:{config}: unknown key(s) {unknown}; valid: {', '.join(SLURM_KEYS)}")
    for key in ("cores", "memory"):
        if key not in table:
            raise UsageError(f"--cluster slurm:{config}: [slurm] needs {key}")
    try:
        import dask_jobqueue
    except ImportError:
        raise DaskMissing(f"--cluster slurm needs dask-jobqueue: pip install dask-jobqueue "
                          f"(and {INSTALL_HINT})") from None
    options = dict(table)
    options.setdefault("processes", options["cores"])  # one submission per worker process at a time
    jobs = int(options.pop("jobs", 1))
    wait_s = float(options.pop("wait_s", 600))
    host = options.pop("scheduler_host", None)
    if host:  # the scheduler (and its dashboard) listen there; else on Dask's default
        options["scheduler_options"] = {"host": host, "dashboard_address": f"{host}:0"}
    cluster = dask_jobqueue.SLURMCluster(**options)
    return cluster, jobs, wait_s


# ------------------------------------------------------------------------------ bytes on the wire

def pack(folder: Path, *, skip_top: tuple[str, ...] = ()) -> bytes:
    """A zip of the regular files below ``folder`` (links and cache folders left out).

    Parameters
    ----------
    folder : Path
    skip_top : tuple of str
        Names of top-level entries to leave out.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(folder).rglob("*")):
            rel = path.relative_to(folder)
            if (rel.parts[0] in skip_top or any(p in _SKIP for p in rel.parts)
                    or path.is_symlink() or not path.is_file()):
                continue
            archive.write(path, rel.as_posix())
    return buffer.getvalue()


def unpack(data: bytes, dest: Path) -> None:
    """Write the files of a :func:`pack` zip below ``dest``.

    Raises
    ------
    ValueError
        For an entry that would land outside ``dest``.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            parts = Path(info.filename).parts
            if info.filename.startswith("/") or ".." in parts or not parts:
                raise UsageError(f"unsafe name in a grading archive: {info.filename!r}")
            target = dest.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


# ------------------------------------------------------------------------------ on a Dask worker

_STATE: dict[str, dict] = {}  # admission token -> the worker's report (and the assignment root)
_LOCK = threading.Lock()
_POOL = None  # the grader servers of this worker process
_SPAWNER = futures.ThreadPoolExecutor(1, thread_name_prefix="cnnlab-grader-spawner")
_SCRATCH: Path | None = None


def _scratch() -> Path:
    """This worker process's scratch folder (stale ones of dead workers are removed first)."""
    global _SCRATCH
    with _LOCK:
        if _SCRATCH is None:
            for folder in Path(tempfile.gettempdir()).glob("cnnlab-dask-*-*"):
                pid = folder.name.split("-")[2]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    submissions.remove_tree(folder)
            _SCRATCH = Path(tempfile.mkdtemp(prefix=f"cnnlab-dask-{os.getpid()}-"))
            os.chmod(_SCRATCH, 0o700)
        return _SCRATCH


def _pool():
    """The grader servers of this process, shared by its task threads.

    A server is started from one long-lived thread: it dies with the thread that started it
    (``PR_SET_PDEATHSIG``), and Dask's task threads may come and go.
    """
    global _POOL
    from . import grader

    class Pool(grader.ServerPool):
        def take(self):
            with self.lock:
                if self.idle:
                    return self.idle.pop()
            server = _SPAWNER.submit(grader.Server, self.cwd).result()
            with self.lock:
                self.all.append(server)
            return server

    cwd = _scratch()
    with _LOCK:
        if _POOL is None:
            _POOL = Pool(cwd)
        return _POOL


def _admit(check: dict, address: str = "") -> dict:
    """Whether this worker may grade (see the module's docstring); a report, never an exception."""
    from . import grader

    report = {"ok": False, "reason": "", "host": socket.gethostname(), "address": address,
              "version": cnnlab.__version__, "via": "", "isolation": check["isolation"]}
    try:
        if cnnlab.__version__ != check["version"]:
            report["reason"] = (f"cnnlab {cnnlab.__version__} is installed there, the client runs "
                                f"{check['version']}: install the same version on every worker")
            return report
        if check["isolation"] == "bwrap":
            problem = sandbox.bwrap_problem()
            if problem:
                how = ("--isolation bwrap was asked for" if check["explicit"] else
                       "give --isolation rlimits to grade with the weaker sandbox")
                report["reason"] = f"no bubblewrap sandbox there ({problem}); {how}"
                return report
        scratch = _scratch()
        root = None
        found = assignments._by_name(check["assignment"])
        if found is not None and grader.grader_digest(assignments.load(found)) == check["digest"]:
            root, report["via"] = found, "name"
        else:
            root = scratch / "assignments" / check["digest"][:16] / check["assignment"]
            if not (root / "assignment.toml").is_file():
                shutil.rmtree(root, ignore_errors=True)
                unpack(check["archive"], root)
            report["via"] = "bytes"
            if grader.grader_digest(assignments.load(root)) != check["digest"]:
                report["reason"] = "the assignment's files arrived different from the client's"
                return report
        spec = assignments.load(root)
        grader.check_workers(spec, isolation=check["isolation"],
                             limits=spec.limits.replace(**check["limits"]), layers=check["layers"],
                             folder=scratch / f"canary-{check['token']}")
        report.update(ok=True, root=str(root))
    except Exception as exc:  # noqa: BLE001 - the reason goes back to the client as a line
        report["reason"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        if _SCRATCH is not None:
            shutil.rmtree(_SCRATCH / f"canary-{check['token']}", ignore_errors=True)
        with _LOCK:
            _STATE[check["token"]] = report
    return report


def _report(token: str) -> dict | None:
    """This worker's admission report for a run (``Client.run`` asks every worker)."""
    return _STATE.get(token)


def _grade_remote(payload: dict) -> dict:
    """Grade one submission on this worker, as :func:`grader.grade_one` does locally.

    Returns
    -------
    dict
        ``result`` (what ``_grade_one`` returns), ``log`` (the grader's log, its last
        :data:`LOG_BYTES`), ``host`` and ``worker``.
    """
    from . import grader

    deadline = time.monotonic() + ADMISSION_WAIT_S
    while payload["token"] not in _STATE and time.monotonic() < deadline:
        time.sleep(0.1)  # a worker that has just joined: its admission is still running
    state = _STATE.get(payload["token"])
    if not state or not state.get("ok"):
        import distributed

        time.sleep(1.0)  # not here: back to the scheduler, for another worker
        raise distributed.Reschedule()
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        address = ""
    work = Path(tempfile.mkdtemp(prefix="job-", dir=_scratch()))
    try:
        source = work / "src"
        unpack(payload["submission"], source)
        log = work / payload["log_name"]
        if submissions.digest(source) != payload["digest"]:
            result = {"status": "error", "records": [], "wall_s": 0.0,
                      "message": "the submission arrived damaged on the grading worker (digest differs)"}
        else:
            job = GradingJob.from_json(payload["job"]).replace(
                assignment=state["root"], source=str(source), work=str(work),
                scratch=str(work / "sandbox"), results=str(work / "results.json"))
            result = grader.grade_one(job, children=_pool(), timeout_s=payload["timeout_s"],
                                       log_path=log)
        text = ""
        if log.is_file():
            with open(log, "rb") as fh:
                fh.seek(max(log.stat().st_size - LOG_BYTES, 0))
                text = fh.read().decode("utf-8", errors="replace")
        return {"result": result, "log": text, "host": socket.gethostname(), "worker": address}
    finally:
        submissions.remove_tree(work)


def _make_plugin(check: dict):
    distributed = _dask()

    class Admission(distributed.WorkerPlugin):
        """Admits each worker that joins, also one restarted after a crash (see :func:`_admit`)."""

        def __init__(self):
            self.name = f"cnnlab-admission-{check['token']}"

        async def setup(self, worker):
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, _admit, check, worker.address)

    return Admission()


# ------------------------------------------------------------------------------ on the client

class Backend:
    """The Dask side of one :func:`~cnnlab.bench.grading.engine.grade` call.

    Parameters
    ----------
    scheduler : str, optional
        A Dask scheduler's address (``tcp://HOST:8786``, ``tls://...`` with Dask's security
        configuration).
    cluster : str, optional
        ``local:N``: a ``LocalCluster`` of N worker processes started for this run;
        ``slurm:CONFIG``: SLURM jobs through dask-jobqueue (see :func:`slurm_cluster`).
    isolation : {"auto", "bwrap", "rlimits"}
        ``"auto"`` and ``"bwrap"`` require bubblewrap on every worker; ``"rlimits"``, given
        explicitly, accepts workers with the fallback sandbox.

    Raises
    ------
    ValueError
        For both or neither of ``scheduler`` and ``cluster``, a malformed ``cluster``, an unknown
        isolation, or Dask not installed (:class:`DaskMissing`).
    """

    def __init__(self, *, scheduler: str | None = None, cluster: str | None = None,
                 isolation: str = "auto", connect_timeout_s: float = 30.0):
        if (scheduler is None) == (cluster is None):
            raise UsageError("give either --scheduler ADDRESS or --cluster local:N")
        if isolation not in sandbox.ISOLATIONS:
            raise UsageError(f"isolation must be one of {', '.join(sandbox.ISOLATIONS)}, got {isolation!r}")
        if scheduler is not None and not str(scheduler).strip():
            raise UsageError("--scheduler must be a Dask scheduler address, e.g. tcp://HOST:8786")
        self.workers = parse_cluster(cluster) if cluster is not None else 0
        _dask()
        self.scheduler, self.cluster_spec = scheduler, cluster
        self.isolation = "rlimits" if isolation == "rlimits" else "bwrap"
        self.explicit = isolation != "auto"
        self.connect_timeout_s = connect_timeout_s
        self.token = uuid.uuid4().hex[:12]
        self.client = self.cluster = None
        self.reports: dict[str, dict] = {}
        self.warnings: list[str] = []
        self._plugin = None

    def describe(self) -> str:
        """How this run reaches its workers, for the run's options."""
        return self.scheduler or self.cluster_spec

    def start(self, spec, *, limits: dict, layers, grader: str, warnings: list[str]) -> None:
        """Connect, admit the workers, and append a line per refused worker to ``warnings``.

        Raises
        ------
        GradingError
            If the scheduler cannot be reached or no worker is admitted (each refusal's reason
            is in the message); nothing has been graded then.
        """
        import dask

        from .grader import GradingError

        distributed = _dask()
        try:
            if self.cluster_spec and self.cluster_spec.startswith("slurm:"):
                self.cluster, jobs, wait_s = slurm_cluster(self.cluster_spec.partition(":")[2])
                self.cluster.scale(jobs=jobs)
                self.client = distributed.Client(self.cluster, timeout=self.connect_timeout_s)
                self.client.wait_for_workers(1, timeout=wait_s)
            elif self.workers:
                import logging

                with dask.config.set({"distributed.scheduler.allowed-failures": MAX_TRIES - 1}):
                    self.cluster = distributed.LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address="127.0.0.1:0", memory_limit=0,
                        silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster, timeout=self.connect_timeout_s)
                self.client.wait_for_workers(self.workers, timeout=120)
            else:
                self.client = distributed.Client(self.scheduler, timeout=self.connect_timeout_s)
                self.client.wait_for_workers(1, timeout=self.connect_timeout_s)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = f"the Dask scheduler at {self.scheduler}" if self.scheduler else "a local Dask cluster"
            raise GradingError(f"cannot reach {where} ({type(exc).__name__}: {exc}); nothing was graded") from None
        check = {"token": self.token, "version": cnnlab.__version__, "assignment": spec.name,
                 "digest": grader, "archive": pack(Path(spec.root)), "isolation": self.isolation,
                 "explicit": self.explicit, "limits": dict(limits),
                 "layers": list(layers) if layers is not None else None}
        self._plugin = _make_plugin(check)
        self.client.register_plugin(self._plugin)
        self.reports = {k: v for k, v in self.client.run(_report, self.token).items() if v}
        refused = {a: r for a, r in self.reports.items() if not r["ok"]}
        for address, report in sorted(refused.items()):
            warnings.append(f"Dask worker {address} ({report['host']}) refused: {report['reason']}")
        if len(refused) == len(self.reports):
            reasons = "; ".join(f"{a}: {r['reason']}" for a, r in sorted(refused.items())) or "none joined"
            self.close()
            raise GradingError(f"no Dask worker can grade ({reasons}); nothing was graded")

    def executor(self) -> _DaskPool:
        """What :func:`cnnlab.bench.grading.engine._run_jobs` submits its jobs to instead of a thread pool."""
        return _DaskPool(self)

    def close(self) -> None:
        """Disconnect (and stop a local cluster); safe to call twice."""
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        if client is not None:
            try:
                if self._plugin is not None:
                    client.unregister_worker_plugin(self._plugin.name)
            except Exception:  # noqa: BLE001 - a lost scheduler: nothing to unregister
                pass
            try:
                client.close(timeout=10)
            except Exception:  # noqa: BLE001
                pass
        if cluster is not None:
            try:
                cluster.close(timeout=20)
            except Exception:  # noqa: BLE001
                pass


class _DaskPool:
    """A stand-in for the engine's thread pool: ``submit`` sends a job to a Dask worker and
    returns a :class:`concurrent.futures.Future` of ``_grade_one``'s result."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.client = backend.client
        self.tasks: set = set()  # sent and not yet read back
        self.lock = threading.Lock()
        self.cancelled = False

    def submit(self, fn, job: GradingJob, *, children=None, timeout_s: float, log_path: Path):
        del fn, children  # the worker runs grader.grade_one with its own grader servers
        distributed = _dask()
        done: futures.Future = futures.Future()
        student = log_path.stem
        # the job travels as its JSON: the worker reads it back and refuses another schema
        payload = {"token": self.backend.token, "submission": pack(Path(job.source)),
                   "digest": job.digest, "job": job.to_json(), "timeout_s": timeout_s,
                   "log_name": log_path.name}
        task = self.client.submit(_grade_remote, payload, pure=False,
                                  key=f"cnnlab-grade-{student}-{uuid.uuid4().hex[:8]}")
        with self.lock:
            self.tasks.add(task)

        def finished(task):
            try:
                if task.status == "finished":
                    reply = task.result()
                    # released once read: a result kept on a worker would be computed again
                    # (the submission graded twice) when that worker dies later in the run
                    with self.lock:
                        self.tasks.discard(task)
                    task.release()
                    header = f"# graded on {reply['host']} (Dask worker {reply['worker']})\n"
                    log_path.write_text(header + reply["log"], encoding="utf-8")
                    done.set_result(reply["result"])
                elif task.status == "cancelled" or self.cancelled:
                    if self.cancelled:
                        done.set_result({"status": "interrupted"})
                    else:
                        from .grader import GradingError

                        done.set_exception(GradingError(
                            "the Dask scheduler was lost while grading; rerun the same command to "
                            "grade what is missing"))
                else:
                    exc = task.exception()
                    if isinstance(exc, distributed.KilledWorker):
                        message = (f"grading this submission stopped {exc.allowed_failures + 1} Dask "
                                   "workers (each died while grading it); not tried again")
                    else:
                        message = f"the Dask worker failed to grade it ({type(exc).__name__}: {exc})"
                    done.set_result({"status": "error", "records": [], "wall_s": 0.0,
                                     "message": message.splitlines()[0]})
            except BaseException as exc:  # noqa: BLE001 - never leave the engine waiting
                if not done.done():
                    done.set_exception(exc)

        task.add_done_callback(finished)
        return done

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        with self.lock:
            tasks = list(self.tasks)
        if cancel_futures and tasks:
            self.cancelled = True
            try:
                self.client.cancel(tasks)
            except Exception:  # noqa: BLE001 - the client may be gone already
                pass


# ------------------------------------------------------------------------------ benchmark sweeps

#: The Dask resource a worker must offer to take benchmark runs (one run per unit at a time):
#: start one worker per machine with ``--nthreads 1 --resources "cnnlab-bench=1"`` (plus
#: ``GPU=1`` where it has a CUDA device).
BENCH_RESOURCE = "cnnlab-bench"


def _bench_remote(spec: dict, threads: int | None) -> dict:
    """One benchmark run on this worker, in a fresh worker process as ``cnnlab bench`` runs it."""
    from cnnlab.bench.throughput.options import RunSpec
    from cnnlab.bench.throughput.runner import run_benchmarks

    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        address = ""
    result = run_benchmarks([RunSpec.from_dict(spec)], threads=threads)
    for record in result.records:  # BenchRecord.dask_worker (None where a run is local)
        record["dask_worker"] = address
    return result.as_dict()


def run_benchmarks(specs, *, scheduler: str, threads: int | None = None, on_event=None,
                   connect_timeout_s: float = 30.0):
    """Run benchmark ``specs`` on the workers of a Dask scheduler, one run per worker at a time.

    Each run needs :data:`BENCH_RESOURCE` ``=1`` on its worker, and ``GPU=1`` too for a CUDA
    run, so that runs never share a machine's cores or its GPU. Records carry the worker's
    ``host`` (as every record does) and ``dask_worker``.

    Parameters
    ----------
    specs : list of RunSpec
    scheduler : str
        The scheduler's address.
    threads : int, optional
        CPU threads of each run (see :func:`cnnlab.bench.throughput.runner.run_benchmarks`).
    on_event : callable, optional
        Called with ``record``, ``error`` and ``skip`` events as runs finish.

    Returns
    -------
    BenchResult

    Raises
    ------
    ValueError
        If Dask is missing, the scheduler cannot be reached, or no worker offers the
        resources a run needs (the message says how to start one).
    """
    from cnnlab.bench.throughput.runner import BenchResult

    distributed = _dask()
    on_event = on_event or (lambda event: None)
    try:
        client = distributed.Client(scheduler, timeout=connect_timeout_s)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc})") from None
    result = BenchResult()
    try:
        offered = [w.get("resources", {}) for w in client.scheduler_info(n_workers=-1)["workers"].values()]
        tasks = {}
        for spec in specs:
            need = {BENCH_RESOURCE: 1}
            if str(spec.device).startswith("cuda"):
                need["GPU"] = 1
            if not any(all(have.get(k, 0) >= v for k, v in need.items()) for have in offered):
                flags = " ".join(f"{k}={v}" for k, v in need.items())
                raise UsageError(f"no worker of {scheduler} offers {flags}: start one worker per machine "
                                 f"with dask worker {scheduler} --nthreads 1 --resources \"{flags}\"")
            task = client.submit(_bench_remote, spec.as_dict(), threads, pure=False, resources=need,
                                 key=f"cnnlab-bench-{spec.arch}-{spec.label}-{uuid.uuid4().hex[:8]}")
            tasks[task] = spec
        for task in distributed.as_completed(list(tasks)):
            spec = tasks[task]
            try:
                part = task.result()
            except Exception as exc:  # noqa: BLE001 - one run's failure, reported with it
                note = {"run": spec.as_dict(), "reason": f"on Dask: {type(exc).__name__}: {exc}".splitlines()[0]}
                result.failed.append(note)
                on_event({"event": "error", **note})
                continue
            for kind, event in (("records", "record"), ("skipped", "skip"), ("failed", "error")):
                for item in part[kind]:
                    getattr(result, kind).append(item)
                    on_event({"event": event, **({"record": item} if kind == "records" else item)})
    finally:
        client.close()
    return result
