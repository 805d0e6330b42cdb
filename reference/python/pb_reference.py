#!/usr/bin/env python3
"""The cheat sheet's five patterns in Python 3 asyncio + aiohttp, as the sheet
wrote them, driven against a patternbench mock; prints one JSON object.

Written for patternbench (not copied): each pattern keeps the sheet's
structure and its quirks; where the sheet leaves something out (what a task
is, when a run ends) the choice is stated in reference/python/README.md.

    pb_reference.py --pattern queue --url http://127.0.0.1:PORT/ --tasks 1000 --concurrency 20
    pb_reference.py --check      # versions as JSON; exit 3 without aiohttp
"""
import argparse
import asyncio
import json
import resource
import sys
import time

try:
    import aiohttp
except ImportError:  # reported by --check and before any run
    aiohttp = None

EXIT_USAGE = 2
EXIT_NO_AIOHTTP = 3
OUTCOMES = ("http_error", "timeout", "connect_error", "reset", "protocol_error", "other_error")


class RequestFailed(Exception):
    """An HTTP answer of 5xx or 429: a failure for the breaker and the controller."""

    def __init__(self, status):
        super().__init__(f"HTTP {status}")
        self.status = status


class Tally:
    """What the client saw: one entry per request that reached the network."""

    def __init__(self):
        self.requests = 0
        self.ok = 0
        self.errors = {k: 0 for k in OUTCOMES}
        self.statuses = {}
        self.latencies = []  # seconds, of every request that reached the network
        self.rejected = 0  # refused by the open breaker: never sent
        self.dropped = 0  # dropped by backpressure: never sent
        self.lost = 0  # results that never reached the caller (gather without return_exceptions)
        self.cascaded = 0  # of those, the successes: the cascade

    def count(self, outcome, latency, status=None):
        self.requests += 1
        self.latencies.append(latency)
        if status is not None:
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if outcome == "ok":
            self.ok += 1
        else:
            self.errors[outcome] += 1


def classify(exc):
    """The outcome name patternbench gives an aiohttp exception."""
    if isinstance(exc, RequestFailed):
        return "http_error"
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "reset"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connect_error"
    if isinstance(exc, aiohttp.ClientOSError):
        return "reset"
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        return "protocol_error"
    return "other_error"


class Client:
    """One request per task: GET the target with the task's number, so that the
    mock draws the same fault for task N in C and in Python."""

    def __init__(self, session, url, timeout, tally):
        self.session = session
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.tally = tally

    async def fetch(self, task):
        """The sheet's fetch: the answer as a dict; raises on a failed request
        (an HTTP 4xx other than 429 is the caller's mistake, returned as is)."""
        start = time.monotonic()
        status = None
        try:
            async with self.session.get(
                self.url, timeout=self.timeout, headers={"X-PB-Seq": str(task), "X-PB-Attempt": "0"}
            ) as resp:
                status = resp.status
                # the sheet calls resp.json(); the mock's body is not JSON, so read it
                data = await resp.read()
                if status >= 500 or status == 429:
                    raise RequestFailed(status)
        except Exception as exc:
            self.tally.count(classify(exc), time.monotonic() - start, status)
            raise
        self.tally.count("ok" if status < 400 else "http_error", time.monotonic() - start, status)
        return {"task": task, "status": status, "data": len(data)}


# Pattern 1: queue. The sheet's queue_worker and run_with_queue, with the
# deadline check added so that a timed run ends.
async def queue_worker(queue, results, client, deadline):
    while True:
        task = await queue.get()
        if task is None:
            break
        try:
            if time.monotonic() >= deadline:
                continue  # past the run's end: take no new request, drain to the sentinel
            result = await client.fetch(task)
            results.append(result)
        except Exception as e:
            results.append({"error": str(e), "task": task})
        finally:
            queue.task_done()


async def run_queue(client, tasks, args, deadline):
    queue = asyncio.Queue()
    results = []
    worker_tasks = [
        asyncio.create_task(queue_worker(queue, results, client, deadline))
        for _ in range(args.concurrency)
    ]
    # the sheet feeds every task before a worker runs: an unbounded put never yields
    for task in tasks:
        await queue.put(task)
    for _ in range(args.concurrency):
        await queue.put(None)
    await asyncio.gather(*worker_tasks)
    return results


# Pattern 2: semaphore. fetch_with_semaphore as the sheet has it (only a
# timeout becomes a value), gathered one batch at a time.
async def fetch_with_semaphore(client, task, semaphore):
    async with semaphore:
        try:
            return await client.fetch(task)
        except asyncio.TimeoutError:
            return {"task": task, "error": "timeout"}


async def run_semaphore(client, tasks, args, deadline):
    semaphore = asyncio.Semaphore(args.concurrency)
    results = []
    for first in range(0, len(tasks), args.batch):
        if time.monotonic() >= deadline:
            break
        batch = tasks[first : first + args.batch]
        coros = [fetch_with_semaphore(client, t, semaphore) for t in batch]
        if args.on_error == "isolate":
            # the sheet's "right" way: every result, exceptions as values
            results.extend(await asyncio.gather(*coros, return_exceptions=True))
            continue
        # the sheet's "wrong" way: the first exception raises here and the
        # batch's other results never arrive; their tasks still run (asyncio
        # does not cancel them), so wait for them before the next batch
        futures = [asyncio.ensure_future(c) for c in coros]
        try:
            results.extend(await asyncio.gather(*futures))
        except Exception:
            client.tally.lost += len(batch) - 1
            await asyncio.wait(futures)
            for f in futures:
                if not f.cancelled() and f.exception() is None and "error" not in f.result():
                    client.tally.cascaded += 1  # a success the caller never saw
    return results


# Pattern 3: backpressure. The sheet's BackpressureQueue, quirks kept:
# consume() counts and calls task_done() before the item is processed.
class BackpressureQueue:
    def __init__(self, max_size=100):
        self.queue = asyncio.Queue(maxsize=max_size)
        self.stats = {"produced": 0, "consumed": 0, "dropped": 0}

    async def produce(self, item, timeout=1.0):
        try:
            await asyncio.wait_for(self.queue.put(item), timeout=timeout)
            self.stats["produced"] += 1
        except asyncio.TimeoutError:
            self.stats["dropped"] += 1  # Graceful drop instead of crash

    async def consume(self):
        item = await self.queue.get()
        self.stats["consumed"] += 1
        self.queue.task_done()
        return item


async def run_backpressure(client, tasks, args, deadline):
    bq = BackpressureQueue(max_size=args.queue_size)
    in_flight = [0]

    async def consumer():
        while True:
            item = await bq.consume()
            in_flight[0] += 1
            try:
                await client.fetch(item)
            except Exception:
                pass
            finally:
                in_flight[0] -= 1

    consumers = [asyncio.create_task(consumer()) for _ in range(args.concurrency)]
    for task in tasks:
        if time.monotonic() >= deadline:
            break
        await bq.produce(task, timeout=args.put_timeout)
    # the sheet's consumers never stop and join() returns before the last
    # items are processed: wait for the queue to empty and in-flight to reach 0
    while bq.queue.qsize() > 0 or in_flight[0] > 0:
        await asyncio.sleep(0.001)
    for c in consumers:
        c.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    client.tally.dropped = bq.stats["dropped"]
    return bq.stats


# Pattern 4: circuit breaker, as the sheet has it (wall clock, every call
# let through while half-open, a late success closes it).
class CircuitState:
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(Exception):
    pass


class AsyncCircuitBreaker:
    def __init__(self, failure_threshold=5, recovery_timeout=30):
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.failures = 0
        self.last_failure_time = None
        self.state = CircuitState.CLOSED

    async def call(self, coro):
        if self.state == CircuitState.OPEN:
            if time.time() - self.last_failure_time > self.recovery_timeout:
                self.state = CircuitState.HALF_OPEN
            else:
                coro.close()  # the sheet leaves it never awaited (a RuntimeWarning)
                raise CircuitOpen("Circuit OPEN — skipping call")
        try:
            result = await coro
            self._on_success()
            return result
        except Exception as e:
            self._on_failure()
            raise e

    def _on_success(self):
        self.failures = 0
        self.state = CircuitState.CLOSED

    def _on_failure(self):
        self.failures += 1
        self.last_failure_time = time.time()
        if self.failures >= self.failure_threshold:
            self.state = CircuitState.OPEN


async def run_breaker(client, tasks, args, deadline):
    breaker = AsyncCircuitBreaker(args.failure_threshold, args.recovery_timeout)
    source = iter(tasks)

    async def worker():
        for task in source:
            if time.monotonic() >= deadline:
                return
            try:
                await breaker.call(client.fetch(task))
            except CircuitOpen:
                client.tally.rejected += 1
                # a refusal does not yield: without a pause the worker would
                # spin and starve the loop (patternbench's reject-pause)
                await asyncio.sleep(args.reject_pause)
            except Exception:
                pass

    await asyncio.gather(*[worker() for _ in range(args.concurrency)])
    return {"state": breaker.state}


# Pattern 5: adaptive. The sheet's controller, faithfully (wall clock, lists
# rebuilt on every result, int() truncation). The sheet never reads
# current_workers; here it bounds the requests in flight, as patternbench's
# `seed` policy does, or the pattern would be a queue of max_workers.
class AdaptiveConcurrencyController:
    def __init__(self, min_workers=2, max_workers=50):
        self.min_workers = min_workers
        self.max_workers = max_workers
        self.current_workers = 10
        self.success_window = []
        self.error_window = []

    def record(self, success, latency_ms):
        ts = time.time()
        if success:
            self.success_window.append((ts, latency_ms))
        else:
            self.error_window.append(ts)
        cutoff = ts - 60
        self.success_window = [(t, l) for t, l in self.success_window if t > cutoff]
        self.error_window = [t for t in self.error_window if t > cutoff]
        self._adjust()

    def _adjust(self):
        total = len(self.success_window) + len(self.error_window)
        if total < 10:
            return
        error_rate = len(self.error_window) / total
        avg_latency = sum(l for _, l in self.success_window) / max(1, len(self.success_window))
        if error_rate > 0.1 or avg_latency > 2000:
            self.current_workers = max(self.min_workers, int(self.current_workers * 0.8))
        elif error_rate < 0.02 and avg_latency < 500:
            self.current_workers = min(self.max_workers, int(self.current_workers * 1.2))


async def run_adaptive(client, tasks, args, deadline):
    ctl = AdaptiveConcurrencyController(args.min_limit, args.max_limit)
    ctl.current_workers = args.concurrency  # the sheet starts at 10; patternbench at --concurrency
    source = iter(tasks)
    active = [0]
    changed = asyncio.Condition()

    async def worker():
        for task in source:
            if time.monotonic() >= deadline:
                return
            async with changed:
                await changed.wait_for(lambda: active[0] < ctl.current_workers)
                active[0] += 1
            start = time.monotonic()
            ok = True
            try:
                await client.fetch(task)
            except Exception:
                ok = False
            ctl.record(ok, (time.monotonic() - start) * 1000.0)
            async with changed:
                active[0] -= 1
                changed.notify_all()

    await asyncio.gather(*[worker() for _ in range(args.max_limit)])
    return {"limit": ctl.current_workers}


PATTERNS = {
    "queue": run_queue,
    "semaphore": run_semaphore,
    "backpressure": run_backpressure,
    "breaker": run_breaker,
    "adaptive": run_adaptive,
}


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, int(round(p * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


async def main_async(args):
    tally = Tally()
    tasks = list(range(args.tasks))
    connector = aiohttp.TCPConnector(limit=0)  # the pattern bounds concurrency, not the pool
    async with aiohttp.ClientSession(connector=connector) as session:
        client = Client(session, args.url, args.timeout, tally)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        deadline = t0 + args.duration if args.duration > 0 else float("inf")
        state = await PATTERNS[args.pattern](client, tasks, args, deadline)
        elapsed = time.monotonic() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    lat = sorted(tally.latencies)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {
        "implementation": "python",
        "python": sys.version.split()[0],
        "aiohttp": aiohttp.__version__,
        "pattern": args.pattern,
        "concurrency": args.concurrency,
        "requests": tally.requests,
        "ok": tally.ok,
        "errors": tally.errors,
        "statuses": tally.statuses,
        "rejected": tally.rejected,
        "dropped": tally.dropped,
        "lost": tally.lost,
        "cascaded": tally.cascaded,
        "failed": tally.requests - tally.ok,
        "elapsed_s": elapsed,
        "rps": tally.requests / elapsed if elapsed > 0 else 0.0,
        "goodput": tally.ok / elapsed if elapsed > 0 else 0.0,
        "cpu_s": cpu,
        "latency_ms": {
            "mean": 1000.0 * sum(lat) / len(lat) if lat else 0.0,
            "p50": 1000.0 * percentile(lat, 0.50),
            "p99": 1000.0 * percentile(lat, 0.99),
        },
        "state": state if isinstance(state, dict) else {},
    }


def positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
        return value

    return parse


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--check", action="store_true", help="print versions as JSON and exit")
    p.add_argument("--pattern", choices=sorted(PATTERNS))
    p.add_argument("--url", help="the target, e.g. the mock's http://127.0.0.1:PORT/")
    p.add_argument("--tasks", type=positive(int), default=1000, help="tasks in the task list")
    p.add_argument("--duration", type=positive(float), default=0.0,
                   help="seconds; no request starts after this (the task list must last)")
    p.add_argument("--concurrency", type=positive(int), default=10,
                   help="workers, permits, consumers or the initial limit")
    p.add_argument("--timeout", type=positive(float), default=10.0, help="seconds per request")
    p.add_argument("--batch", type=positive(int), default=100, help="semaphore: tasks per gather")
    p.add_argument("--on-error", choices=("isolate", "propagate"), default="isolate",
                   help="semaphore: gather(return_exceptions=True) or plain gather")
    p.add_argument("--queue-size", type=positive(int), default=50)
    p.add_argument("--put-timeout", type=positive(float), default=1.0)
    p.add_argument("--failure-threshold", type=positive(int), default=5)
    p.add_argument("--recovery-timeout", type=positive(float), default=30.0)
    p.add_argument("--reject-pause", type=positive(float), default=0.01)
    p.add_argument("--min-limit", type=positive(int), default=2)
    p.add_argument("--max-limit", type=positive(int), default=50)
    args = p.parse_args(argv)
    if not args.check and (args.pattern is None or args.url is None):
        p.error("--pattern and --url are required (or --check)")
    if args.pattern == "adaptive" and not args.min_limit <= args.concurrency <= args.max_limit:
        p.error("--concurrency must lie within --min-limit..--max-limit for adaptive")
    return args


def main(argv):
    args = parse_args(argv)
    if aiohttp is None:
        print(json.dumps({"python": sys.version.split()[0], "aiohttp": None,
                          "error": "the aiohttp module is missing (Debian: apt-get install python3-aiohttp)"}))
        return EXIT_NO_AIOHTTP
    if args.check:
        print(json.dumps({"python": sys.version.split()[0], "aiohttp": aiohttp.__version__}))
        return 0
    print(json.dumps(asyncio.run(main_async(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
