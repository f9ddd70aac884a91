"""The store layer logs structlog events with stable names, silent until the
application configures structlog (whose defaults would print to stdout)."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from actorgraph.store import SqliteSaver
from actorgraph.store._log import EventLog
from tests.store.test_savers import checkpoint, config

pytestmark = pytest.mark.anyio


async def _reuse_a_version(saver: SqliteSaver) -> None:
    first = await saver.aput(config("t"), checkpoint({"a": "old"}, {"a": 1}), {}, {"a": 1})
    # The same version again with another value: the saver warns.
    await saver.aput(first, checkpoint({"a": "new"}, {"a": 1}), {}, {"a": 1})


async def test_a_saver_is_silent_when_structlog_is_not_configured(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert not structlog.is_configured()
    async with SqliteSaver(tmp_path / "quiet.db") as saver:
        await _reuse_a_version(saver)
    out, err = capfd.readouterr()
    assert "version_reused" not in out + err


async def test_a_saver_logs_once_structlog_is_configured(tmp_path: Path) -> None:
    with capture_logs() as logs:
        async with SqliteSaver(tmp_path / "loud.db") as saver:
            await _reuse_a_version(saver)
    assert [(log["event"], log["log_level"], log["channel"]) for log in logs] == [
        ("checkpoint.version_reused", "warning", "a")
    ]


def test_every_level_is_dropped_off_and_kept_on(capfd: pytest.CaptureFixture[str]) -> None:
    log = EventLog("actorgraph.store.test")
    levels = [log.debug, log.info, log.warning, log.error]
    for emit in levels:
        emit("store.test_event", n=1)
    out, err = capfd.readouterr()
    assert "store.test_event" not in out + err
    with capture_logs() as logs:
        for emit in levels:
            emit("store.test_event", n=1)
    assert [(e["log_level"], e["n"]) for e in logs] == [
        ("debug", 1),
        ("info", 1),
        ("warning", 1),
        ("error", 1),
    ]
