"""The shared launch store: single-use state and nonces, across workers (database or Redis)."""

import os
import threading
import time
import uuid

import pytest

from lti_tool.extensions import db
from lti_tool.launch.store import DatabaseStore, RedisStore

# The Redis store runs in CI's second pass, where REDIS_URL points at the local Redis.
STORES = ["database"] + (["redis"] if os.environ.get("REDIS_URL") else [])


@pytest.fixture(params=STORES)
def store(request, app):
    if request.param == "redis":
        import redis

        return RedisStore(redis.Redis.from_url(os.environ["REDIS_URL"]), prefix="test-store:")
    with app.app_context():
        return DatabaseStore(db.engine)


def test_set_get_consume(store):
    """A value can be read until consumed, and consumed once."""
    store.set("k1", {"a": 1}, 60)
    assert store.get("k1") == {"a": 1}
    assert store.consume("k1") == {"a": 1}
    assert store.consume("k1") is None
    assert store.get("k1") is None


def test_add_only_once(store):
    """add succeeds for a new key and fails for an existing one (used nonces)."""
    key = "nonce-" + uuid.uuid4().hex
    assert store.add(key, 1, 60) is True
    assert store.add(key, 1, 60) is False


def test_expired_values_are_gone(store):
    """A value past its TTL is neither read nor consumed, and does not block add."""
    if isinstance(store, DatabaseStore):
        store.set("gone", 1, -1)
    else:
        store.set("gone", 1, 1)
        time.sleep(1.1)
    assert store.get("gone") is None
    assert store.consume("gone") is None
    assert store.add("gone", 2, 60) is True


def test_concurrent_consume_has_one_winner(store):
    """Ten threads consuming the same state: exactly one gets it."""
    store.set("race", "value", 60)
    results = []
    barrier = threading.Barrier(10)

    def worker():
        barrier.wait()
        results.append(store.consume("race"))

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("value") == 1


def test_sweep_removes_only_expired_rows(app):
    """The database store's sweep deletes expired values and keeps live ones."""
    with app.app_context():
        store = DatabaseStore(db.engine)
        live_key, dead_key = "live-" + uuid.uuid4().hex, "dead-" + uuid.uuid4().hex
        store.set(live_key, 1, 60)
        store.set(dead_key, 1, -1)
        assert store.sweep() >= 1
        assert store.get(live_key) == 1
        assert store.add(dead_key, 2, 60) is True
