"""Every job's record: a frozen class with a versioned schema, made in its job module, with every
field documented once (the class's ``Attributes``) and the docs' field tables generated from it."""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path

import pytest

from cnnlab.bench.cli import main
from cnnlab.bench.jobs import fields as docs_fields
from cnnlab.bench.jobs.record import JobRecord

ROOT = Path(__file__).resolve().parents[1]
#: job module -> (record classes, schema name)
JOBS = {
    "models": (("ModelRecord",), "cnnlab.models"),
    "compare": (("CompareRecord",), "cnnlab.compare"),
    "evaluate": (("EvaluationRecord",), "cnnlab.evaluate"),
    "transfer_demo": (("TransferDemoRecord", "LectureRecipeRecord"), None),
    "bench": (("BenchRecord",), "cnnlab.bench"),
}
RECORDS = [(job, name) for job, (names, _) in JOBS.items() for name in names]


def _class(job, name):
    return getattr(importlib.import_module(f"cnnlab.bench.jobs.{job}"), name)


@pytest.mark.parametrize("job, name", RECORDS)
def test_each_job_module_holds_a_frozen_versioned_record_and_one_producer(job, name):
    module = importlib.import_module(f"cnnlab.bench.jobs.{job}")
    cls = _class(job, name)
    assert dataclasses.is_dataclass(cls) and issubclass(cls, JobRecord)
    assert cls.__dataclass_params__.frozen
    assert cls.SCHEMA.endswith(f"/{module.SCHEMA_VERSION}")
    schema = JOBS[job][1]
    assert schema is None or cls.SCHEMA == f"{schema}/{module.SCHEMA_VERSION}"
    assert callable(module.run)


@pytest.mark.parametrize("job, name", RECORDS)
def test_every_field_is_documented_once_in_the_class(job, name):
    missing, unknown = docs_fields.undocumented(_class(job, name))
    assert (missing, unknown) == ([], [])


def test_the_grade_job_is_the_grading_engines_records_and_producer():
    from cnnlab.bench import grading
    from cnnlab.bench.grading import records
    from cnnlab.bench.jobs import grade

    assert grade.run is grading.grade and grade.SCHEMA_VERSION == records.SCHEMA_VERSION
    for cls in (grade.SubmissionResult, grade.TestResult):
        assert cls.__dataclass_params__.frozen
        assert cls.schema().endswith(f"/{records.SCHEMA_VERSION}")


def test_every_record_has_a_generated_table_and_the_tables_are_current():
    pages = docs_fields.pages(ROOT / "docs")
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    for dotted in docs_fields.RECORDS:
        assert f"<!-- fields: {dotted} -->" in text, dotted
    assert {f"cnnlab.bench.jobs.{job}.{name}" for job, name in RECORDS} == set(docs_fields.RECORDS)
    stale = [p.name for p in pages if docs_fields.render_page(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]
    assert stale == [], "run: python -m cnnlab.bench.jobs.fields --write"


def _doc_table_fields(page: str, dotted: str) -> list[str]:
    """The field names the table of ``dotted`` in ``page`` lists, in its order."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    body = text.split(f"<!-- fields: {dotted} -->", 1)[1].split("<!-- end fields -->", 1)[0]
    rows = [line.split("|")[1] for line in body.splitlines() if line.startswith("|")][2:]
    return [name.strip().strip("`") for row in rows for name in row.split(",")]


@pytest.mark.parametrize("page, job, name", [
    ("architectures.md", "models", "ModelRecord"),
    ("porting.md", "compare", "CompareRecord"),
    ("metrics.md", "evaluate", "EvaluationRecord"),
    ("transfer.md", "transfer_demo", "TransferDemoRecord"),
    ("transfer.md", "transfer_demo", "LectureRecipeRecord"),
    ("benchmark.md", "bench", "BenchRecord"),
])
def test_the_docs_tables_list_exactly_the_fields(page, job, name):
    cls = _class(job, name)
    expected = ([] if cls.ENVELOPED else ["schema"]) + [f.name for f in dataclasses.fields(cls)]
    assert sorted(_doc_table_fields(page, f"cnnlab.bench.jobs.{job}.{name}")) == sorted(expected)


def test_a_record_is_frozen_and_its_json_is_its_fields_with_the_schema():
    from cnnlab.bench.jobs.models import ModelRecord

    record = ModelRecord(arch="lenet5", framework="torch", variant="default", params=1,
                         trainable_params=1, expected_params=1, expected_source="arithmetic",
                         input_shape=(1, 32, 32), output_shape=(10,), gmacs=0.1,
                         expected_gmacs=None, matches=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.params = 2
    data = record.to_json()
    assert data == {"schema": "cnnlab.models/1", **dataclasses.asdict(record),
                    "input_shape": [1, 32, 32], "output_shape": [10]}
    assert json.loads(json.dumps(data)) == data


def test_the_bench_record_is_built_in_one_place_and_travels_in_a_versioned_document():
    from cnnlab.bench.jobs.bench import BenchRecord, make_record
    from cnnlab.bench.throughput.options import RunSpec, TimingPlan
    from cnnlab.bench.throughput.prepared import Prepared
    from cnnlab.bench.throughput.runner import BenchResult
    from cnnlab.bench.throughput.timing import Timing

    spec = RunSpec(arch="course_cifar", label="torch", batch_size=4,
                   timing=TimingPlan(warmup=0, steps=1, min_time=0.0, repeats=2))
    prepared = Prepared(step=lambda: None, sync=lambda _: None, params=10, gmacs=0.5,
                        gmacs_source="counted", input_size=(32, 32), layout="NCHW",
                        precision_mode="fp32")
    summary = Timing(4, 0.2, [0.1, 0.1, 0.1], [0.1, 0.2], [1, 2]).summary()
    record = make_record(spec, prepared, summary, device="cpu", device_name="cpu", batch_size=4,
                         oom_failed=[], memory=(123, "rss"), matmul_tflops=1.0, threads=2)
    data = record.to_json()
    assert list(data) == [f.name for f in dataclasses.fields(BenchRecord)]  # no schema per record
    assert data["label"] == "torch" and data["achieved_tflops"] == pytest.approx(2 * 0.5e9 * 40 / 1e12)
    assert BenchResult(records=[data]).as_dict()["schema"] == BenchRecord.SCHEMA == "cnnlab.bench/1"


def test_evaluate_json_is_the_record_with_its_schema(tmp_path, capsys):
    from cnnlab.bench.jobs.evaluate import EvaluationRecord

    csv = tmp_path / "p.csv"
    csv.write_text("y_true,0,1,2\n0,0.7,0.2,0.1\n1,0.1,0.8,0.1\n2,0.2,0.2,0.6\n1,0.5,0.4,0.1\n")
    assert main(["evaluate", str(csv), "--out", str(tmp_path / "e"), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert list(record) == ["schema", *(f.name for f in dataclasses.fields(EvaluationRecord))]
    assert record["schema"] == "cnnlab.evaluate/1"


def test_models_json_is_the_record_with_its_schema(capsys):
    pytest.importorskip("torch")
    from cnnlab.bench.jobs.models import ModelRecord

    assert main(["models", "--arch", "lenet5", "--framework", "torch", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records and all(r["arch"] == "lenet5" for r in records)
    for record in records:
        assert list(record) == ["schema", *(f.name for f in dataclasses.fields(ModelRecord))]
        assert record["schema"] == "cnnlab.models/1"
