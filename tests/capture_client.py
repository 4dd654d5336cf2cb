"""What a lead sender does, for the pipeline tests and bench: sign and post leads over real HTTP,
and run `leadpilot serve` as a real process that can be killed."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from leadpilot.interfaces.api.signature import sign

SECRET = "test-webhook-secret-0123456789"
TOKEN = "test-api-token-0123456789"  # LEADPILOT_API_TOKEN of the servers started here
AUTH = {"Authorization": f"Bearer {TOKEN}"}  # what a reader of /leads and /metrics sends
INDUSTRIES = ("fintech", "healthcare", "saas", "retail", "manufacturing", "education")
SOURCES = ("referral", "organic", "paid", "event", "partner", "webinar")
PLACES = (("US", "CA", "San Francisco"), ("US", "NY", "New York"), ("GB", None, "London"), ("DE", None, "Berlin"),
          ("US", "TX", "Austin"), ("FR", None, "Paris"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port in a thread (lifespan included); yields its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass(frozen=True)
class Post:
    body: bytes
    idempotency_key: str | None
    unique_index: int  # which unique lead this is (repeats share it)


def load_posts(*, total: int, repeat_share: float = 0.3, seed: int = 1, domain: str = "load.example") -> list[Post]:
    """`total` posts of which `repeat_share` repeat an earlier one byte for byte (same key too);
    half the unique leads carry an Idempotency-Key, the rest are matched on source + external_id
    or on email."""
    rng = random.Random(seed)
    unique = round(total * (1 - repeat_share))
    firsts: list[Post] = []
    for i in range(unique):
        country, state, city = PLACES[i % len(PLACES)]
        payload: dict[str, Any] = {
            "company": f"Loadtest {i} Systems", "contact_name": f"Casey Load{i}", "email": f"casey{i}@{domain}",
            "job_title": rng.choice(["CEO", "VP Sales", "Head of Operations", "Engineer", "CFO"]),
            "industry": INDUSTRIES[i % len(INDUSTRIES)], "company_size": rng.choice([5, 40, 250, 1200, 8000]),
            "source": SOURCES[i % len(SOURCES)], "country": country, "state": state, "city": city,
            "notes": "interested in a demo" if i % 3 == 0 else None,
        }
        if i % 2 == 0:
            payload["external_id"] = f"web-{i}"
        firsts.append(Post(json.dumps(payload).encode(), f"key-{i}" if i % 4 == 0 else None, i))
    posts = list(firsts)
    for _ in range(total - unique):
        posts.append(rng.choice(firsts))
    rng.shuffle(posts)
    # A repeat must come after its first post for "repeat" to mean something; order by first sight.
    return posts


@dataclass
class SendReport:
    answers: dict[int, set[int]] = field(default_factory=dict)  # unique index -> lead ids answered
    statuses: dict[int, int] = field(default_factory=dict)
    failed: list[Post] = field(default_factory=list)  # connection errors: the sender retries these
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, post: Post, status: int, lead_id: int | None) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if lead_id is not None:
                self.answers.setdefault(post.unique_index, set()).add(lead_id)


def send_all(base_url: str, posts: Sequence[Post], *, clients: int = 8, report: SendReport | None = None,
             stop_after: threading.Event | None = None) -> SendReport:
    """Post everything from `clients` concurrent clients; posts that hit a dead server go to `failed`."""
    report = report or SendReport()
    queue = list(enumerate(posts))
    queue_lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            while True:
                with queue_lock:
                    if not queue:
                        return
                    _, post = queue.pop(0)
                headers = {"X-Leadpilot-Signature": sign(post.body, SECRET), "Content-Type": "application/json"}
                if post.idempotency_key:
                    headers["Idempotency-Key"] = post.idempotency_key
                try:
                    answer = http.post("/webhooks/lead", content=post.body, headers=headers)
                except httpx.TransportError:
                    with report.lock:
                        report.failed.append(post)
                    continue
                report.record(post, answer.status_code, answer.json().get("lead_id") if answer.status_code == 202 else None)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return report


def _die_with_parent() -> None:
    """Linux: the server gets SIGKILL when the test process dies, so no server outlives its test."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class ServerProcess:
    """`leadpilot serve` in its own process group, so kill -9 takes it down at once. Its API token is
    TOKEN unless `env` sets LEADPILOT_API_TOKEN (blank: the server generates one into its data dir)."""

    def __init__(self, *, env: dict[str, str], cwd: Path, workers: int = 2):
        self.port = free_port()
        self.env, self.cwd, self.workers = env, cwd, workers
        self.process: subprocess.Popen | None = None
        self.log = cwd / f"serve-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout_s: float = 60) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "leadpilot.interfaces.cli", "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env={**os.environ, "LEADPILOT_API_TOKEN": TOKEN, **self.env}, cwd=self.cwd, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"serve did not answer /health:\n{self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill9()


def every_a_fit_lead_is_hot(tmp_path: Path) -> Path:
    """A team scoring policy (written under `tmp_path`) whose hot cells are A1-A4, B1, B2: a captured
    lead with a perfect fit is hot before it has engaged (the shipped grid makes it A4, warm)."""
    policy = tmp_path / "scoring.yaml"
    shipped = (Path(__file__).resolve().parents[1] / "config" / "scoring.yaml").read_text()
    changed = shipped.replace("hot: [A1, A2, B1, B2]", "hot: [A1, A2, A3, A4, B1, B2]").replace("warm: [A3, B3, C1, C2, A4]", "warm: [B3, C1, C2]")
    assert changed != shipped, "the shipped grid changed: update this team policy"
    policy.write_text(changed)
    return policy
