#!/usr/bin/env python3
"""Runs threadleak's overhead benchmarks (called by scripts/bench.sh, which
builds the programs first). Writes the table to stdout, build/bench/results.md
and build/bench/results.json; a full run also puts it in docs/cost.md, between
the "make bench writes" and "bench:end" marks.

Every micro workload runs bare and with LD_PRELOAD=libthreadleak.so in
rounds (a warm-up round, then --pairs rounds, the order inside a round
rotating); the table shows medians and preloaded / bare as the median of the
per-round ratios. The same
workloads also run, with fewer operations, under helgrind, drd and a
ThreadSanitizer build, as per-operation ratios to bare.

--smoke: every workload once at tiny sizes; checks that each ran and
printed its row, asserts nothing about time."""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
BENCH = os.path.join(BUILD, "bench")
# scripts/bench.sh copies the library aside before a run (the tree may be rebuilt
# meanwhile) and names the copy in BENCH_LIB; the one in BUILD otherwise.
LIB = os.environ.get("BENCH_LIB") or os.path.join(BUILD, "libthreadleak.so")

# name, description, default ops (as in bench/micro.c), ops under the
# valgrind tools, target ratio (preloaded / bare, at most)
MICRO = [
    ("mutex_uncontended", "uncontended mutex lock/unlock, one thread", 10000000, 100000, 1.30),
    ("mutex_contended", "contended mutex, two threads (per lock/unlock)", 3000000, 40000, 1.10),
    ("cond_pingpong", "condition-variable ping-pong, two threads (per round trip)", 10000, 3000,
     1.10),
    ("thread_churn", "thread create + join", 4000, 500, 1.25),
    ("thread_per_request", "thread per request: create, cond wait, wake, join", 3000, 500, 1.25),
    ("pipe_rw", "1-byte pipe write + read, one thread (wrapped I/O)", 200000, 60000, 1.10),
    ("futex_wake", "syscall(SYS_futex, FUTEX_WAKE), no waiter (pass-through)", 1000000, 300000,
     1.05),
]
# How each micro workload is run, in rotating order within a round:
#   bare        as built
#   idle        bare plus one idle thread (MICRO_IDLE_THREAD=1): what merely having a
#               second thread costs, which the preload's sampler thread imposes
#   threadleak  LD_PRELOAD=libthreadleak.so
#   bare_1cpu, threadleak_1cpu   both pinned to one CPU: no cross-CPU wake-ups, whose
#               latency on a VM varies far more than anything measured here
VARIANTS = ["bare", "idle", "threadleak", "bare_1cpu", "threadleak_1cpu"]
PIN_CPU = max(os.sched_getaffinity(0))
# redis-server and redis-benchmark each get a CPU of their own (when there are two).
SERVER_CPU = min(os.sched_getaffinity(0))
CLIENT_CPU = PIN_CPU
TOOLS = ["helgrind", "drd", "tsan"]
SECTIONS = ["micro", "tools", "redis", "dump", "attach", "memory"]


def git_describe():
    try:
        return subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              timeout=10).stdout.strip() or None
    except OSError:
        return None


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def pinned(cpu):
    return lambda: os.sched_setaffinity(0, {cpu})


def run(cmd, env=None, timeout=300, check=True, cpu=None):
    e = dict(os.environ)
    e.pop("LD_PRELOAD", None)
    e.pop("MICRO_IDLE_THREAD", None)
    if env:
        e.update(env)
    for attempt in range(3):
        p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, preexec_fn=pinned(cpu) if cpu is not None else None)
        # On a shared machine another job's `kill -USR1` can reach a bare run (no
        # handler: it dies). Run it again, and say so; a crash of our own (SIGSEGV,
        # SIGABRT, ...) is never retried.
        if p.returncode not in (-signal.SIGUSR1, -signal.SIGUSR2):
            break
        log("bench: %s was killed by signal %d from outside; running it again" %
            (" ".join(cmd), -p.returncode))
    if check and p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), p.returncode,
                                                 p.stderr.strip()[-2000:]))
    return p


def preload_env():
    # Default settings, except that a dump (only if a stray SIGUSR1 arrives) lands
    # under build/bench/, not in the current directory.
    return {"LD_PRELOAD": LIB,
            "THREADLEAK_OUTPUT": os.path.join(BENCH, "stray-dumps", "threadleak.%p.%n")}


def parse_micro(out, name):
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == name:
            return float(f[1])
    raise RuntimeError("no result line for %s in: %r" % (name, out))


def micro(prog, name, ops, preload=False, wrapper=None, env=None, cpu=None):
    cmd = (wrapper or []) + [prog, name, str(ops)]
    e = dict(env or {})
    if preload:
        e.update(preload_env())
    return parse_micro(run(cmd, env=e, cpu=cpu).stdout, name)


def micro_variant(prog, name, ops, variant):
    return micro(prog, name, ops, preload=variant.startswith("threadleak"),
                 env={"MICRO_IDLE_THREAD": "1"} if variant == "idle" else None,
                 cpu=PIN_CPU if variant.endswith("_1cpu") else None)


def median(xs):
    return statistics.median(xs) if xs else None


# ---- micro workloads, bare and preloaded ----

def bench_micro(args):
    prog = os.path.join(BENCH, "micro")
    rows = []
    for name, desc, ops, _tool_ops, target in MICRO:
        if args.smoke:
            ops = max(2, ops // 10000)
        samples = {v: [] for v in VARIANTS}
        rounds = 1 if args.smoke else args.pairs
        warm = 0 if args.smoke else 1
        for i in range(warm + rounds):
            k = i % len(VARIANTS)
            for v in VARIANTS[k:] + VARIANTS[:k]:
                t = micro_variant(prog, name, ops, v)
                if i >= warm:
                    samples[v].append(t)
        m = {v: median(samples[v]) for v in VARIANTS}
        b, p = m["bare"], m["threadleak"]

        def paired(num, den):
            # Median over rounds of the ratio within a round: the runs of a round are
            # back to back, so a slow stretch of the machine (on this VM, cross-CPU
            # wake-ups vary twentyfold over minutes) cancels out.
            return median([x / y for x, y in zip(samples[num], samples[den])])

        row = {"name": name, "what": desc, "ops": ops, "unit": "ns/op", "bare": b,
               "threadleak": p, "ratio": paired("threadleak", "bare"),
               "ratio_of_medians": p / b, "target": "<= %.2f" % target,
               "target_max": target, "idle": m["idle"],
               "ratio_to_idle": paired("threadleak", "idle"),
               "bare_1cpu": m["bare_1cpu"], "threadleak_1cpu": m["threadleak_1cpu"],
               "ratio_1cpu": paired("threadleak_1cpu", "bare_1cpu"), "samples": samples}
        row["met"] = None if args.smoke else row["ratio"] <= target
        log("  %-20s bare %9.1f  idle %9.1f  threadleak %9.1f ns/op  ratio %.3f  (to idle %.3f,"
            " 1 cpu %.3f)" % (name, b, m["idle"], p, row["ratio"], row["ratio_to_idle"],
                              row["ratio_1cpu"]))
        rows.append(row)
    return rows


# ---- the same under helgrind, drd and ThreadSanitizer ----

def bench_tools(args, rows):
    micro_prog = os.path.join(BENCH, "micro")
    tsan = os.path.join(BENCH, "micro_tsan")
    clang_plain = os.path.join(BENCH, "micro_clang")
    have_valgrind = shutil.which("valgrind") is not None
    have_tsan = os.access(tsan, os.X_OK) and os.access(clang_plain, os.X_OK)
    reps = 1 if args.smoke else args.tool_reps
    for row, (name, _d, ops, tool_ops, _t) in zip(rows, MICRO):
        if args.smoke:
            tool_ops = max(2, tool_ops // 1000)
        row["tools"] = {}
        for tool in ("helgrind", "drd"):
            if not have_valgrind:
                row["tools"][tool] = None
                continue
            w = ["valgrind", "--tool=" + tool, "-q"]
            t = median([micro(micro_prog, name, tool_ops, wrapper=w) for _ in range(reps)])
            row["tools"][tool] = {"ns_per_op": t, "ratio": t / row["bare"], "ops": tool_ops}
        if have_tsan:
            n = max(2, ops // 10 if not args.smoke else ops // 10000)
            ts, pl = [], []
            for _ in range(reps):
                pl.append(micro(clang_plain, name, n))
                ts.append(micro(tsan, name, n))
            t, b = median(ts), median(pl)
            row["tools"]["tsan"] = {"ns_per_op": t, "ratio": t / b, "ops": n,
                                    "clang_bare_ns_per_op": b}
        else:
            row["tools"]["tsan"] = None
        log("  %-22s %s" % (name, "  ".join(
            "%s %.1fx" % (k, v["ratio"]) for k, v in row["tools"].items() if v)))


# ---- a real server: redis-server under redis-benchmark ----

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_once(args, preload, requests):
    port = free_port()
    d = tempfile.mkdtemp(prefix="tl-bench-redis.")
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if preload:
        env.update(preload_env())
    srv = subprocess.Popen([args.redis_server, "--port", str(port), "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no", "--daemonize", "no",
                            "--protected-mode", "yes", "--loglevel", "warning", "--dir", d],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           preexec_fn=pinned(SERVER_CPU))
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if srv.poll() is not None or time.time() > deadline:
                    raise RuntimeError("redis-server did not start: %s" %
                                       srv.stderr.read().decode(errors="replace")[-500:])
                time.sleep(0.02)
        p = run([args.redis_benchmark, "-h", "127.0.0.1", "-p", str(port), "-t", "set,get",
                 "-n", str(requests), "-c", "20", "-r", "10000", "-q", "--csv"], timeout=120,
                cpu=CLIENT_CPU)
        rps = {}
        for line in p.stdout.splitlines():
            f = [x.strip('"') for x in line.split(",")]
            if len(f) >= 2 and f[0] in ("SET", "GET"):
                rps[f[0]] = float(f[1])
        if set(rps) != {"SET", "GET"}:
            raise RuntimeError("redis-benchmark printed no SET/GET rates: %r" % p.stdout)
        # Requests per second over both tests together.
        return 2 * requests / (requests / rps["SET"] + requests / rps["GET"])
    finally:
        srv.terminate()
        try:
            srv.wait(10)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
        shutil.rmtree(d, ignore_errors=True)


def bench_redis(args):
    row = {"name": "redis", "what": "redis-server under redis-benchmark (SET+GET, 20 clients, "
           "loopback), throughput", "unit": "requests/s", "target": ">= 0.95",
           "target_min": 0.95}
    if not (args.redis_server and args.redis_benchmark):
        row.update(skipped="redis-server / redis-benchmark not installed", met=None)
        log("  redis: skipped (not installed)")
        return row
    requests = 500 if args.smoke else args.redis_requests
    pairs = 1 if args.smoke else args.redis_pairs
    warm = 0 if args.smoke else 1
    bare, pre = [], []
    for i in range(warm + pairs):
        order = [False, True] if i % 2 == 0 else [True, False]
        got = {p: redis_once(args, p, requests) for p in order}
        if i >= warm:
            bare.append(got[False])
            pre.append(got[True])
    b, p = median(bare), median(pre)
    ratio = median([y / x for x, y in zip(bare, pre)])
    row.update(requests=requests, bare=b, threadleak=p, ratio=ratio, ratio_of_medians=p / b,
               bare_samples=bare, threadleak_samples=pre,
               met=None if args.smoke else ratio >= 0.95)
    log("  redis: bare %.0f  threadleak %.0f requests/s  ratio %.3f" % (b, p, ratio))
    return row


# ---- a dump of many blocked threads ----

def bench_dump(args):
    prog = os.path.join(BENCH, "dump_many")
    threads, groups = (200, 50) if args.smoke else (args.dump_threads, 50)
    limit = min(int(open("/proc/sys/kernel/threads-max").read()),
                int(subprocess.run(["bash", "-c", "ulimit -u"], stdout=subprocess.PIPE,
                                   text=True).stdout.strip().replace("unlimited", "1000000")))
    note = None
    if threads + 100 > limit:
        threads = max(groups, limit - 100)
        note = "thread limit %d: ran with %d threads" % (limit, threads)
    runs = 1 if args.smoke else args.dump_runs
    firsts, repeats = [], []
    d = tempfile.mkdtemp(prefix="tl-bench-dump.")
    try:
        for i in range(runs):
            stem = os.path.join(d, "dump%d" % i)
            out = run([prog, str(threads), str(groups), "5", stem, "text,json"],
                      env=preload_env(), timeout=240).stdout
            vals = dict(re.findall(r"^(\w+) ([\d.]+)$", out, re.M))
            firsts.append(float(vals["dump_first_ms"]))
            repeats.append(float(vals["dump_repeat_ms"]))
            if int(float(vals["dump_groups"])) != groups:
                raise RuntimeError("dump_many: %s groups, expected %d" % (vals["dump_groups"],
                                                                          groups))
        bare = run([prog, str(min(threads, 200)), str(groups), "1", os.path.join(d, "bare")])
        if "dump unavailable" not in bare.stdout:
            raise RuntimeError("dump_many found threadleak_dump without the preload")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    f, r = median(firsts), median(repeats)
    row = {"name": "dump", "what": "dump of %d blocked threads in %d groups (text+json)"
           % (threads, groups), "unit": "ms", "threads": threads, "groups": groups,
           "first_ms": f, "repeat_ms": r, "first_samples": firsts, "repeat_samples": repeats,
           "target": "first <= 500 ms, repeated <= 100 ms",
           "met": None if args.smoke else (f <= 500 and r <= 100)}
    if note:
        row["note"] = note
    log("  dump: first %.1f ms, repeated %.1f ms" % (f, r))
    return row


# ---- threadleak dump PID of a process without the library (ptrace) ----

def bench_attach(args):
    prog = os.path.join(BENCH, "attach_many")
    cli = os.path.join(BUILD, "threadleak")
    threads, groups = (100, 10) if args.smoke else (args.attach_threads, 50)
    runs = 1 if args.smoke else args.attach_runs
    target = subprocess.Popen([prog, str(threads), str(groups)], stdout=subprocess.PIPE, text=True)
    walls, pauses = [], []
    try:
        if target.stdout.readline().strip() != "ready":
            raise RuntimeError("attach_many did not start")
        for _ in range(runs):
            t0 = time.monotonic()
            out = run([cli, "dump", "--json", str(target.pid)], timeout=120).stdout
            walls.append((time.monotonic() - t0) * 1000)
            d = json.loads(out)
            pauses.append(d["pause"]["ns"] / 1e6)
            blocked = sum(g["count"] for g in d["groups"] if g["wait"] == "cond")
            if d["source"] != "ptrace" or blocked != threads or d["pause"]["threads"] < threads:
                raise RuntimeError("attach dump: %d of %d threads in cond, source %s"
                                   % (blocked, threads, d["source"]))
            if len(d["groups"]) != groups + 1:
                raise RuntimeError("attach dump: %d groups, expected %d and main"
                                   % (len(d["groups"]), groups))
    finally:
        target.kill()
        target.wait()
    w, p = median(walls), median(pauses)
    row = {"name": "attach", "what": "threadleak dump PID (ptrace, no library) of %d threads "
           "in %d groups" % (threads, groups), "unit": "ms", "threads": threads,
           "groups": groups, "wall_ms": w, "pause_ms": p, "wall_samples": walls,
           "pause_samples": pauses, "target": "wall < 2000 ms",
           "met": None if args.smoke else w < 2000}
    log("  attach: %.1f ms wall, threads paused %.1f ms" % (w, p))
    return row


# ---- memory per tracked thread ----

def bench_memory(args):
    prog = os.path.join(BENCH, "mem_threads")
    n1, n2 = (50, 100) if args.smoke else (1000, 5000)
    reps = 1 if args.smoke else args.mem_reps

    def rss(n, preload):
        out = run([prog, str(n)], env=preload_env() if preload else None).stdout
        v = dict(re.findall(r"^(\w+) (-?\d+)$", out, re.M))
        return int(v["rss_kib"]), int(v["slot_bytes"])

    res = {}
    slot = None
    for n in (n1, n2):
        for p in (False, True):
            vals = []
            for _ in range(reps):
                kib, slot = rss(n, p)
                vals.append(kib)
            res[(n, p)] = median(vals)
    grow_bare = (res[(n2, False)] - res[(n1, False)]) * 1024 / (n2 - n1)
    grow_pre = (res[(n2, True)] - res[(n1, True)]) * 1024 / (n2 - n1)
    per = grow_pre - grow_bare
    row = {"name": "memory", "what": "resident memory per tracked thread (%d vs %d blocked "
           "threads, one creation stack interned for all)" % (n1, n2), "unit": "bytes/thread",
           "bytes_per_thread": per, "slot_bytes": slot, "bare_bytes_per_thread": grow_bare,
           "threadleak_bytes_per_thread": grow_pre,
           "rss_kib": {"%s_%d" % ("threadleak" if p else "bare", n): v
                       for (n, p), v in res.items()},
           "target": "<= 1024 bytes", "met": None if args.smoke else per <= 1024}
    log("  memory: %.0f bytes/thread beyond bare (struct tl_slot: %d bytes)" % (per, slot))
    return row


# ---- output ----

def fmt(v, digits=1):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    return "%.*f" % (digits, v)


def verdict(row):
    m = row.get("met")
    return "–" if m is None else ("yes" if m else "**MISS**")


def table(results):
    L = []
    L.append("| workload | bare | threadleak | ratio | target | met | bare + idle thread | "
             "ratio to that | ratio, 1 CPU | helgrind | drd | tsan |")
    L.append("|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results["micro"]:
        tools = []
        for t in TOOLS:
            v = r.get("tools", {}).get(t)
            tools.append("%.1f×" % v["ratio"] if v else "–")
        L.append("| %s (`%s`) | %s ns | %s ns | **%.3f** | %s | %s | %s ns | %.3f | %.3f | %s |" % (
            r["what"], r["name"], fmt(r["bare"]), fmt(r["threadleak"]), r["ratio"],
            r["target"], verdict(r), fmt(r["idle"]), r["ratio_to_idle"], r["ratio_1cpu"],
            " | ".join(tools)))
    blank = " | | | | | |"
    r = results.get("redis", {"what": "redis", "target": "", "skipped": "not run"})
    if "skipped" in r:
        L.append("| %s (`redis`) | – | – | – | %s | – (%s)%s" % (r["what"], r["target"],
                                                              r["skipped"], blank))
    else:
        L.append("| %s (`redis`) | %s req/s | %s req/s | **%.3f** | %s | %s%s" % (
            r["what"], fmt(r["bare"]), fmt(r["threadleak"]), r["ratio"], r["target"],
            verdict(r), blank))
    r = results.get("dump")
    if r:
        L.append("| %s (`dump`) | – | first **%s ms**, repeated **%s ms** | | %s | %s%s" % (
            r["what"], fmt(r["first_ms"]), fmt(r["repeat_ms"]), r["target"], verdict(r),
            blank))
    r = results.get("attach")
    if r:
        L.append("| %s (`attach`) | – | **%s ms** wall, threads paused %s ms | | %s | %s%s" % (
            r["what"], fmt(r["wall_ms"]), fmt(r["pause_ms"]), r["target"], verdict(r), blank))
    r = results.get("memory")
    if r:
        L.append("| %s (`memory`) | – | **%s bytes**/thread (struct tl_slot: %d) | | %s | %s%s"
                 % (r["what"], fmt(r["bytes_per_thread"], 0), r["slot_bytes"], r["target"],
                    verdict(r), blank))
    return "\n".join(L)


COST_DOC = os.path.join(ROOT, "docs", "cost.md")
COST_BEGIN = "<!-- make bench writes from here to bench:end (scripts/bench.py) -->\n"
COST_END = "<!-- bench:end -->\n"


def write_cost_doc(head, body):
    """Replaces the results in docs/cost.md, so the published figures are always
    those of the last full run; the prose around them is left alone."""
    with open(COST_DOC) as f:
        doc = f.read()
    start, end = doc.find(COST_BEGIN), doc.find(COST_END)
    if start < 0 or end < start:
        raise RuntimeError("%s has no %s ... %s marks: results not written there"
                           % (COST_DOC, COST_BEGIN.strip(), COST_END.strip()))
    doc = doc[:start + len(COST_BEGIN)] + "`%s`\n\n%s" % (head, body) + doc[end:]
    tmp = COST_DOC + ".tmp"
    with open(tmp, "w") as f:
        f.write(doc)
    os.replace(tmp, COST_DOC)
    log("bench: results written to %s" % os.path.relpath(COST_DOC, ROOT))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--pairs", type=int, default=15, help="measured rounds after the warm-up")
    ap.add_argument("--tool-reps", type=int, default=3)
    ap.add_argument("--redis-requests", type=int, default=100000)
    ap.add_argument("--redis-pairs", type=int, default=9)
    ap.add_argument("--dump-threads", type=int, default=10000)
    ap.add_argument("--dump-runs", type=int, default=3)
    ap.add_argument("--attach-threads", type=int, default=1000)
    ap.add_argument("--attach-runs", type=int, default=5)
    ap.add_argument("--mem-reps", type=int, default=3)
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="sections to run; a partial run writes results-partial.*")
    ap.add_argument("--command", default="make bench")
    args = ap.parse_args()
    args.redis_server = shutil.which("redis-server")
    args.redis_benchmark = shutil.which("redis-benchmark")
    only = set(args.only.split(","))
    os.makedirs(os.path.join(BENCH, "stray-dumps"), exist_ok=True)

    t0 = time.time()
    load = os.getloadavg()
    results = {"format": "threadleak-bench", "version": 1, "smoke": args.smoke,
               "command": args.command, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                 time.gmtime()),
               "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                        "loadavg_start": load},
               "library": {"path": os.path.relpath(LIB, ROOT), "source": git_describe()},
               "pairs": 1 if args.smoke else args.pairs}
    results["micro"] = []
    if "micro" in only:
        log("bench: micro workloads, bare vs LD_PRELOAD=%s" % os.path.relpath(LIB, ROOT))
        results["micro"] = bench_micro(args)
        if "tools" in only:
            log("bench: the same under helgrind, drd, ThreadSanitizer")
            bench_tools(args, results["micro"])
    others = (("redis", bench_redis), ("dump", bench_dump), ("attach", bench_attach),
              ("memory", bench_memory))
    for name, fn in others:
        if name in only:
            log("bench: " + name)
            results[name] = fn(args)
    results["host"]["loadavg_end"] = os.getloadavg()
    results["seconds"] = round(time.time() - t0, 1)

    rows = results["micro"] + [results[k] for k, _ in others if k in results]
    missed = [r["name"] for r in rows if r.get("met") is False]
    results["missed"] = missed
    head = ("threadleak bench%s · %s · tree %s · %d CPUs · load %.2f→%.2f · %d rounds · %.0f s"
            % (" (smoke: tiny sizes, no verdicts)" if args.smoke else "", results["started"],
               results["library"]["source"], os.cpu_count(), load[0],
               results["host"]["loadavg_end"][0], results["pairs"], results["seconds"]))
    body = "%s\n\n%s\n" % (table(results), "targets missed: " + ", ".join(missed) if missed
                            else ("all targets met" if not args.smoke else ""))
    md = "%s\n\n%s" % (head, body)
    print(md)
    suffix = "-smoke" if args.smoke else ("" if only >= set(SECTIONS) else "-partial")
    if suffix == "":
        write_cost_doc(head, body)
    with open(os.path.join(BENCH, "results%s.md" % suffix), "w") as f:
        f.write(md)
    with open(os.path.join(BENCH, "results%s.json" % suffix), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        print("bench: %s" % e, file=sys.stderr)
        sys.exit(1)
