"""The scaling extras fail clearly when absent, and their options are validated (no server needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dedup.check import Index
from dedup.config import Config
from dedup.errors import ConfigError, IndexStoreError, MissingDependencyError, OutputError
from dedup.spark import SparkOptions, copy_tiers, spark_scan
from dedup.store.redis import _split_url, is_redis_url


def test_missing_pyspark_and_redis_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(MissingDependencyError, match=r"dedup\[spark\]"):
        spark_scan(str(tmp_path), str(tmp_path / "out"))
    with pytest.raises(MissingDependencyError, match=r"dedup\[redis\]"):
        Index.open("redis://127.0.0.1:6379/0?prefix=x")


def test_importing_the_core_does_not_import_the_extras():
    code = (
        "import dedup, dedup.cli, dedup.spark, dedup.store, sys; "
        "print('pyspark' in sys.modules, 'redis' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_spark_options_and_output_are_validated(tmp_path):
    with pytest.raises(ConfigError, match="input_format"):
        SparkOptions(input_format="csv")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="partitions"):
        SparkOptions(partitions=0)
    with pytest.raises(ConfigError, match="driver_cluster_edges"):
        SparkOptions(driver_cluster_edges=-1)
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError, match="exists"):
        spark_scan(str(tmp_path), str(tmp_path / "out"))
    with pytest.raises(OutputError, match="local output"):
        spark_scan(str(tmp_path), "s3a://bucket/out")
    # Boilerplate runs in Spark; the story tier and alignment do not yet.
    assert copy_tiers(Config()) == Config(story=False, align=False)


def test_redis_urls_are_recognised_and_prefixes_checked():
    assert is_redis_url("redis://h:6379/0?prefix=a") and is_redis_url("rediss://h/0") and is_redis_url("unix:///s")
    assert not is_redis_url("content.dedup") and not is_redis_url("/tmp/redis.db")
    assert _split_url("redis://h:6379/2?prefix=news&ssl_cert_reqs=none") == (
        "redis://h:6379/2?ssl_cert_reqs=none",
        "news",
    )
    assert _split_url("redis://h:6379/2")[1] == "dedup"
    with pytest.raises(IndexStoreError, match="prefix"):
        _split_url("redis://h/0?prefix=a:b")
