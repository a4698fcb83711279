"""Drives Skiff's Consul-compatible API with Debian's python3-consul, unchanged (ConsulClientsIT).

Usage: python3 python_consul_check.py HOST PORT. Prints one line per check and "ALL OK" at the
end; any failed check raises (exit 1) with what was expected and what came back.
"""
import sys
import threading
import time

import consul

host, port = sys.argv[1], int(sys.argv[2])
c = consul.Consul(host=host, port=port)


def check(name, got, want):
    if got != want:
        raise AssertionError("%s: expected %r, got %r" % (name, want, got))
    print("ok  " + name)


c.kv.delete("py/", recurse=True)  # a clean start, whatever an earlier run left

# KV put / get / recurse / cas
check("put", c.kv.put("py/a", "1"), True)
check("put flags", c.kv.put("py/b", "2", flags=42), True)
index, item = c.kv.get("py/a")
check("get value", item["Value"], b"1")
_, b = c.kv.get("py/b")
check("get flags", b["Flags"], 42)
_, items = c.kv.get("py/", recurse=True)
check("recurse keys", [i["Key"] for i in items], ["py/a", "py/b"])
_, keys = c.kv.get("py/", keys=True)
check("keys", keys, ["py/a", "py/b"])
check("cas stale index refused", c.kv.put("py/a", "x", cas=item["ModifyIndex"] + 1000), False)
check("cas current index", c.kv.put("py/a", "2", cas=item["ModifyIndex"]), True)
check("cas 0 on existing key refused", c.kv.put("py/a", "3", cas=0), False)
check("absent key", c.kv.get("py/none")[1], None)

# txn: python3-consul 0.7.1 (Debian's) predates Consul's /v1/txn wrapper, so the check sends
# it through the library's own HTTP layer and response decoding.
import json
from consul.base import CB


class Txn(object):
    def put(self, ops):
        return c.http.put(CB.json(), "/v1/txn", data=json.dumps(ops))


c.txn = Txn()
ok = c.txn.put([
    {"KV": {"Verb": "set", "Key": "py/t1", "Value": "dDE="}},
    {"KV": {"Verb": "get", "Key": "py/a"}},
])
check("txn results", [r["KV"]["Key"] for r in ok["Results"]], ["py/t1", "py/a"])
refused = c.txn.put([
    {"KV": {"Verb": "set", "Key": "py/t2", "Value": "dDI="}},
    {"KV": {"Verb": "check-not-exists", "Key": "py/a"}},
])
check("txn refused (409) names the failed op", (refused["Results"], refused["Errors"][0]["OpIndex"]), (None, 1))
check("txn all-or-nothing", c.kv.get("py/t2")[1], None)

# sessions: create / info / renew / list / destroy
sid = c.session.create(name="py", ttl=10, lock_delay=0, behavior="release")
_, info = c.session.info(sid)
check("session info name", info["Name"], "py")
renewed = c.session.renew(sid)
check("session renew", renewed["ID"], sid)
_, sessions = c.session.list()
check("session listed", sid in [s["ID"] for s in sessions], True)

# locks: acquire / contention / release
other = c.session.create(name="other", lock_delay=0)
check("acquire", c.kv.put("py/lock", "me", acquire=sid), True)
check("second session refused", c.kv.put("py/lock", "you", acquire=other), False)
_, lock = c.kv.get("py/lock")
check("lock holder", lock["Session"], sid)
check("lockIndex", lock["LockIndex"], 1)
check("release by other refused", c.kv.put("py/lock", "x", release=other), False)
check("release", c.kv.put("py/lock", "free", release=sid), True)
check("acquire after release", c.kv.put("py/lock", "you", acquire=other), True)
check("destroy", c.session.destroy(other), True)
_, lock = c.kv.get("py/lock")
check("destroyed session's lock released", lock.get("Session"), None)

# a blocking query wakes on a change
index, _ = c.kv.get("py/a")
woke = {}


def writer():
    time.sleep(0.5)
    c.kv.put("py/a", "changed")


threading.Thread(target=writer).start()
started = time.time()
new_index, item = c.kv.get("py/a", index=index, wait="10s")
elapsed = time.time() - started
check("blocking query value", item["Value"], b"changed")
if not (new_index > index and 0.3 < elapsed < 5):
    raise AssertionError("blocking query: index %s -> %s after %.2f s" % (index, new_index, elapsed))
print("ok  blocking query woke after %.0f ms" % (elapsed * 1000))
started = time.time()
same_index, _ = c.kv.get("py/a", index=new_index, wait="1s")
elapsed = time.time() - started
if not (same_index == new_index and elapsed >= 0.9):
    raise AssertionError("blocking query timeout: index %s after %.2f s" % (same_index, elapsed))
print("ok  blocking query timed out after %.0f ms" % (elapsed * 1000))

check("session destroy", c.session.destroy(sid), True)
check("recursive delete", c.kv.delete("py/", recurse=True), True)
check("all gone", c.kv.get("py/", recurse=True)[1], None)
print("ALL OK")
