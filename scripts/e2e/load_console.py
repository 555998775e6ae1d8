"""Load test of bantam serve (run through scripts/load-console).

`--clients` clients (asyncio, one keep-alive HTTP/1.1 connection each) share `--jobs` submissions. Each
client submits a job (with an Idempotency-Key; every 10th submission is sent twice, as a client retrying
after a lost answer would), then polls until the job is final, reading the queue, the system panel, the
gallery and the model list along the way. Latencies of these non-generating requests are recorded.

At the end the history is read back: every submitted job must be there exactly once, succeeded, with
exactly its image, and that image must be served; nothing else may be in the history.
"""
import argparse
import asyncio
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bantam_server import BantamServer  # noqa: E402


class Connection:
    """One keep-alive HTTP/1.1 connection (requests with Content-Length bodies; responses with
    Content-Length, which is what the server sends for every non-streaming route)."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                data = json.dumps(body).encode() if body is not None else b""
                lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(data)}"]
                if body is not None:
                    lines.append("Content-Type: application/json")
                for key, value in (headers or {}).items():
                    lines.append(f"{key}: {value}")
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                length, content_type = 0, ""
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    key, _, value = line.decode().partition(":")
                    if key.lower() == "content-length":
                        length = int(value)
                    elif key.lower() == "content-type":
                        content_type = value.strip()
                raw = await self.reader.readexactly(length) if length else b""
                return status, (json.loads(raw) if content_type.startswith("application/json") and raw else raw)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                self.close()
                if attempt == 1:
                    raise
        raise ConnectionError("unreachable")

    def close(self):
        if self.writer:
            self.writer.close()
        self.reader = self.writer = None


async def client(number, host, port, tickets, latencies, submitted, errors, job_body):
    connection = Connection(host, port)

    async def timed(kind, method, path, body=None, headers=None):
        start = time.perf_counter()
        status, data = await connection.request(method, path, body, headers)
        latencies.setdefault(kind, []).append(time.perf_counter() - start)
        if status >= 500:
            errors.append(f"{method} {path}: {status} {data}")
        return status, data

    while True:
        try:
            ticket = tickets.get_nowait()
        except asyncio.QueueEmpty:
            break
        key = f"load-{ticket}"
        body = dict(job_body, prompt=f"load test {ticket}", seed=ticket)
        status, job = await timed("submit", "POST", "/api/v1/jobs", body, {"Idempotency-Key": key})
        if status not in (200, 202):
            errors.append(f"submit {ticket}: {status} {job}")
            continue
        if ticket % 10 == 0:   # a retry of the same submission must not queue a second job
            status, again = await timed("submit", "POST", "/api/v1/jobs", body, {"Idempotency-Key": key})
            if again.get("id") != job["id"]:
                errors.append(f"retry of {key} made job {again.get('id')} besides {job['id']}")
        submitted[ticket] = job["id"]
        polls = 0
        while True:
            status, current = await timed("status", "GET", f"/api/v1/jobs/{job['id']}")
            if status == 200 and current["status"] not in ("queued", "running"):
                break
            polls += 1
            kind, path = [("queue", "/api/v1/queue"), ("system", "/api/v1/system"), ("gallery", "/api/v1/images?limit=24"),
                          ("models", "/api/v1/models"), ("progress", "/sdapi/v1/progress?skip_current_image=true")][polls % 5]
            await timed(kind, "GET", path)
            await asyncio.sleep(0.05)
    connection.close()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def run(host, port, clients, jobs, job_body):
    tickets = asyncio.Queue()
    for ticket in range(jobs):
        tickets.put_nowait(ticket)
    latencies, submitted, errors = {}, {}, []
    started = time.perf_counter()
    await asyncio.gather(*(client(n, host, port, tickets, latencies, submitted, errors, job_body) for n in range(clients)))
    elapsed = time.perf_counter() - started

    # Read the whole history back.
    connection = Connection(host, port)
    history, before = [], None
    while True:
        status, page = await connection.request("GET", "/api/v1/jobs?limit=500" + (f"&before={before}" if before else ""))
        history += page["jobs"]
        before = page["next_before"]
        if before is None:
            break
    by_id = {}
    for job in history:
        by_id.setdefault(job["id"], []).append(job)
    expected = set(submitted.values())
    completed = sum(1 for i in expected if len(by_id.get(i, [])) == 1 and by_id[i][0]["status"] == "succeeded"
                    and len(by_id[i][0]["images"]) == job_body["batch_count"])
    lost = sum(1 for t in range(jobs) if t not in submitted or submitted[t] not in by_id)
    duplicated = sum(len(v) - 1 for v in by_id.values()) + len(set(by_id) - expected)
    failed = [j for j in history if j["id"] in expected and j["status"] != "succeeded"]
    images_missing = 0
    for job_id in expected:
        for image in (by_id.get(job_id) or [{}])[0].get("images", []):
            status, data = await connection.request("GET", image["url"])
            if status != 200 or not data.startswith(b"\x89PNG"):
                images_missing += 1
    connection.close()
    return elapsed, latencies, completed, lost, duplicated, failed, images_missing, errors, len(history)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bantam", default="")
    parser.add_argument("--url", help="a running server instead of starting one")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--fake", action="store_true", help="test pictures instead of the tiny model")
    args = parser.parse_args()
    server = None
    if args.url:
        host, port = args.url.split("//")[1].rstrip("/").split(":")
        port = int(port)
    else:
        server = BantamServer(args.bantam, fake=args.fake).start()
        host, port = "127.0.0.1", server.port
    job_body = {"steps": args.steps, "width": args.size, "height": args.size, "batch_count": 1}
    try:
        elapsed, latencies, completed, lost, duplicated, failed, images_missing, errors, total = asyncio.run(
            run(host, port, args.clients, args.jobs, job_body))
    finally:
        if server:
            server.stop()
    print(f"\n== load-console: {args.clients} clients, {args.jobs} jobs ({args.steps} steps, {args.size}×{args.size}, "
          f"{'test pictures' if args.fake else 'tiny FLUX model on the CPU'}) in {elapsed:.1f} s "
          f"({args.jobs / elapsed:.1f} jobs/s)")
    print(f"jobs: {completed} completed exactly once, {lost} lost, {duplicated} duplicated, {len(failed)} not succeeded, "
          f"{images_missing} images missing; {total} jobs in the history")
    everything = [v for values in latencies.values() for v in values]
    print(f"{'route':<10} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in ["submit", "status", "queue", "system", "gallery", "models", "progress"]:
        values = latencies.get(kind, [])
        if values:
            print(f"{kind:<10} {len(values):>8} {percentile(values, 50) * 1000:>8.1f} {percentile(values, 99) * 1000:>8.1f} {max(values) * 1000:>8.1f}")
    p99 = percentile(everything, 99) * 1000
    print(f"{'all':<10} {len(everything):>8} {percentile(everything, 50) * 1000:>8.1f} {p99:>8.1f} {max(everything) * 1000:>8.1f}")
    for error in errors[:10]:
        print(f"error: {error}")
    ok = completed == args.jobs and lost == 0 and duplicated == 0 and not failed and images_missing == 0 and not errors
    print(f"result: {'PASS' if ok and p99 <= 50 else 'FAIL'} (every job exactly once: {'yes' if ok else 'NO'}; "
          f"p99 {p99:.1f} ms {'≤' if p99 <= 50 else '>'} 50 ms)")
    sys.exit(0 if ok and p99 <= 50 else 1)


if __name__ == "__main__":
    main()
