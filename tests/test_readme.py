"""Every shell block in README.md, run as a new user would: in a fresh folder holding the demo data
(`leadpilot seed`, the real clock, the embedded store under ./.leadpilot), with nothing of this
machine's Leadpilot settings. An example that stops working fails here.

What a block is decides how it runs:
- the Quickstart's install lines: `pip install ...` is what CI itself does and `pytest` is this very
  suite, so they are not run; what the first implies is — `leadpilot demo` is started, waited for
  (HTTP 200, Leadpilot's logo and favicon) and stopped;
- a block that starts a server in the background (`leadpilot serve &`) runs whole, against a free
  port (README's 8080 is replaced), and must stop it;
- any other block runs as it is: it must exit 0, print something, and every JSON line it prints
  must parse.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
INSTALL = re.compile(r"^pip install [^&]*(?:&&\s*(?P<rest>.*))?$")


def bash_blocks() -> list[tuple[int, str]]:
    """(line number, text) of every ```bash block in README.md."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 1, match.group(1)) for match in BLOCK.finditer(text)]


def without_installs(block: str) -> str:
    """The block minus `pip install ...` (CI's own install): `pip install X && leadpilot demo` -> `leadpilot demo`."""
    lines = []
    for line in block.splitlines():
        match = INSTALL.match(line.strip())
        if match is None:
            lines.append(line)
        elif match.group("rest"):
            lines.append(match.group("rest"))
    return "\n".join(lines).strip()


def kind_of(block: str) -> str:
    script = without_installs(block)
    if script == "pytest":
        return "this suite"
    if re.fullmatch(r"leadpilot (demo|ui)( .*)?", script):
        return "web chat"
    if re.search(r"^leadpilot \w+ .*&\s*(#.*)?$", script, re.MULTILINE):
        return "background server"
    return "commands"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh folder with the demo data, and the environment of a new user's shell in it."""
    folder = tmp_path_factory.mktemp("readme")
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("LEADPILOT_", "OPENAI_", "CHAINLIT_")) and name not in ("PYTHONDONTWRITEBYTECODE",)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(folder)
    seeded = subprocess.run(["leadpilot", "seed"], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert seeded.returncode == 0, seeded.stderr
    assert (folder / ".leadpilot").is_dir()
    return folder, env


def test_every_block_is_one_this_test_knows_how_to_run():
    kinds = [kind_of(block) for _line, block in bash_blocks()]
    assert kinds.count("this suite") == 1 and kinds.count("web chat") == 1, kinds
    assert "background server" in kinds and "commands" in kinds


def _run(script: str, *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """`script` in its own process group (whatever it leaves running is stopped afterwards)."""
    process = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"timed out after {timeout} s\n--- stdout\n{out}\n--- stderr\n{err}")
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # a server the block left behind
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _get(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read(), response.headers.get("content-type", "")


@pytest.mark.parametrize("line, block", bash_blocks(), ids=[f"README.md:{line}" for line, _ in bash_blocks()])
def test_readme_block(workspace, line, block):
    folder, env = workspace
    kind = kind_of(block)
    script = without_installs(block)
    if kind == "this suite":
        pytest.skip("`pytest` is the suite this test is part of")
    if kind == "web chat":
        _web_chat(script, folder, env)
        return
    if kind == "background server":
        port = free_port()
        done = _run(script.replace("localhost:8080", f"localhost:{port}"), cwd=folder, timeout=240,
                    env={**env, "LEADPILOT_API_PORT": str(port)})
    else:
        done = _run(script, cwd=folder, env=env, timeout=240)
    assert done.returncode == 0, f"README.md:{line} exited {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.stdout.strip(), f"README.md:{line} printed nothing"
    for printed in done.stdout.splitlines():
        if printed.startswith("{"):
            json.loads(printed)
    if kind == "background server":  # the capture example: health, the 202 answer, then the summary
        assert '"status":"ok"' in done.stdout and '"lead_id"' in done.stdout
        assert "Who: Wile Coyote" in done.stdout and "Score: " in done.stdout
    if "leadpilot ask" in script:
        assert "Found " in done.stdout and "Points by category" in done.stdout


def _web_chat(script: str, folder: Path, env: dict[str, str]) -> None:
    """`leadpilot demo` (the store already holds the demo data: it goes straight to the chat) on a
    free port: it answers with Leadpilot's page, logo and favicon, and stops on Ctrl-C."""
    port = free_port()
    server = subprocess.Popen([*script.split(), "--port", str(port)], cwd=folder, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, f"`{script}` exited {server.returncode}: {server.stdout.read()}"
            try:
                status, page, _type = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                assert time.monotonic() < deadline, f"`{script}` did not answer on port {port}"
                time.sleep(0.5)
        assert status == 200 and b"<title>Leadpilot</title>" in page
        for path in ("/favicon", "/logo?theme=light", "/logo?theme=dark"):
            status, body, content_type = _get(f"http://127.0.0.1:{port}{path}")
            assert status == 200 and content_type.startswith("image/svg") and b'aria-label="Leadpilot"' in body, path
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    output = " ".join(server.stdout.read().split())
    assert "not reseeding" in output and f"http://127.0.0.1:{port}" in output, output
