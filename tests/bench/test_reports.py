"""Renderers of bench records: tables, ratios, CSV, chart and the baseline comparison.

The records here are inputs written by hand; every expected number is arithmetic on them.
"""

import pytest

from cnnlab.reports import bench as report


def record(label, ips, *, arch="resnet18", batch=8, precision="fp32", mode="infer", **extra):
    base = {
        "arch": arch, "label": label, "framework": label.split("-")[0], "device": "cpu",
        "device_name": "cpu", "precision": precision, "mode": mode, "layout": "NCHW",
        "batch_size": batch, "batch_size_requested": batch, "images_per_s": ips,
        "images_per_s_iqr": ips / 50, "step_ms_p50": 1e3 * batch / ips, "step_ms_p90": None,
        "step_ms_p99": None, "gmacs": 1.814, "achieved_tflops": 2 * 1.814e-3 * ips,
        "utilisation": None, "utilisation_matmul": 0.25, "peak_memory_bytes": 3 * 2**20,
        "params": 11_689_512, "versions": {"torch": "2.x", "keras": "3.x"}, "oom_step_down": [],
    }
    return base | extra


RECORDS = [
    record("torch", 100.0),
    record("keras-jax", 50.0),
    record("keras-tensorflow", 125.0),
    record("torch", 40.0, batch=1),
    record("keras-jax", 60.0, batch=1),
]


def test_side_by_side_divides_by_pytorch_eager():
    rows, columns = report.side_by_side_rows(RECORDS)
    assert columns[5:8] == ["torch", "keras-tensorflow", "keras-jax"]
    by_batch = {row["batch"]: row for row in rows}
    assert by_batch[8]["keras-jax / torch"] == "0.50x"          # 50 / 100
    assert by_batch[8]["keras-tensorflow / torch"] == "1.25x"   # 125 / 100
    assert by_batch[1]["keras-jax / torch"] == "1.50x"          # 60 / 40
    assert by_batch[1]["keras-tensorflow / torch"] is None      # no such run
    text = report.side_by_side(RECORDS)
    assert "keras-jax / torch" in text and "0.50x" in text


def test_without_a_pytorch_run_there_is_no_ratio_column():
    rows, columns = report.side_by_side_rows([r for r in RECORDS if r["label"] != "torch"])
    assert not any(c.endswith("/ torch") for c in columns)


def test_terminal_table_shows_memory_in_mib_and_the_oom_step_down():
    stepped = record("torch", 10.0, batch=96, batch_size_requested=256, oom_step_down=[256, 192, 128])
    text = report.bench_table([RECORDS[0], stepped])
    assert "96 (OOM at 256)" in text
    assert "25.0%" in text  # utilisation_matmul 0.25
    header = text.splitlines()[0]
    for column in ("img/s", "IQR", "p50 ms", "p99 ms", "TFLOP/s", "util", "mem MiB", "params"):
        assert column in header


def test_csv_has_a_row_per_record_and_flattens_nested_fields(tmp_path):
    import pandas as pd

    path = report.write_csv(RECORDS, tmp_path / "bench.csv")
    frame = pd.read_csv(path)
    assert len(frame) == len(RECORDS)
    assert frame["images_per_s"].tolist() == [r["images_per_s"] for r in RECORDS]
    assert frame["versions"][0] == "torch=2.x;keras=3.x"


def test_markdown_is_a_github_table():
    text = report.to_markdown(RECORDS)
    tables = [block.splitlines() for block in text.split("\n\n") if block.startswith("|")]
    assert len(tables) == 2  # side by side, then every measurement
    for lines in tables:
        assert all(line.startswith("|") and line.endswith("|") for line in lines)
        assert set(lines[1]) <= set("|-: ")  # the header separator
    assert len(tables[1]) == 2 + len(RECORDS)


def test_bar_chart_is_a_png_with_a_bar_per_record(tmp_path):
    import matplotlib.image

    path = report.bar_chart(RECORDS, tmp_path / "bench.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = matplotlib.image.imread(path).shape[:2]
    assert width >= 600 and height >= 400


def test_bar_chart_of_nothing_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no records"):
        report.bar_chart([], tmp_path / "x.png")


@pytest.mark.parametrize(
    "current,fail_over,status,regressed",
    [(89.0, 10.0, "REGRESSION", True),   # -11% past 10%
     (91.0, 10.0, "ok", False),          # -9% within 10%
     (120.0, 0.0, "ok", False)],         # faster is never a regression
)
def test_compare_flags_only_drops_past_the_threshold(current, fail_over, status, regressed):
    result = report.compare([record("torch", current)], [record("torch", 100.0)], fail_over=fail_over)
    row = result.rows[0]
    assert row["status"] == status
    assert row["change"] == f"{current - 100.0:+.1f}%"
    assert bool(result.regressions) is regressed


def test_compare_matches_runs_by_what_was_asked_not_by_order():
    baseline = [record("keras-jax", 50.0), record("torch", 100.0, batch=1), record("torch", 100.0)]
    result = report.compare([record("torch", 100.0), record("torch", 40.0, batch=4)], baseline,
                            fail_over=5)
    assert [row["status"] for row in result.rows] == ["ok", "new (not in baseline)"]
    assert "REGRESSION" not in result.table()


@pytest.mark.parametrize("bad", [-1, 100, 250.0, "5", True])
def test_fail_over_must_be_a_percentage(bad):
    with pytest.raises(ValueError, match="--fail-over must be a percentage"):
        report.check_fail_over(bad)


def test_load_records_explains_a_wrong_file(tmp_path):
    missing = tmp_path / "none.json"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        report.load_records(missing)
    text = tmp_path / "text.json"
    text.write_text("not json")
    with pytest.raises(ValueError, match="is not JSON"):
        report.load_records(text)
    other = tmp_path / "other.json"
    other.write_text('{"records": [{"name": "x"}]}')
    with pytest.raises(ValueError, match="lack the fields arch, label, images_per_s"):
        report.load_records(other)


def test_side_by_side_compares_machines_when_a_sweep_ran_on_several():
    """Records of a Dask sweep carry their host: one row per machine, a machine column."""
    from cnnlab.reports import bench as report

    base = {"arch": "resnet18", "device_name": "cpu", "precision": "fp32", "mode": "infer",
            "batch_size_requested": 8}
    records = [{**base, "label": "torch", "images_per_s": 100.0, "host": {"hostname": "node-a"}},
               {**base, "label": "torch", "images_per_s": 50.0, "host": {"hostname": "node-b"}}]
    rows, columns = report.side_by_side_rows(records)
    assert "machine" in columns
    assert {(r["machine"], r["torch"]) for r in rows} == {("node-a", 100.0), ("node-b", 50.0)}
    one = [{**r, "host": {"hostname": "node-a"}} for r in records[:1]]
    assert "machine" not in report.side_by_side_rows(one)[1]
