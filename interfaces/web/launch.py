"""Start the web chat: prepare Chainlit's files under the data dir, then run the Chainlit app.

Chainlit writes `.chainlit/`, `chainlit.md` and `.files/` into its app root (on import, too), so
`CHAINLIT_APP_ROOT` points at `DATA_DIR/chainlit` before Chainlit is imported; the repository
root and the working directory stay clean. Password login needs a JWT secret
(`CHAINLIT_AUTH_SECRET`): one is generated once and kept in that folder (mode 0600).

The chat looks like Leadpilot: its logo (`public/logo_light.svg`, `logo_dark.svg`), favicon
(`public/favicon.svg`) and accent colour (`public/theme.json`) come from `assets/`, and the welcome page is written for each language
Chainlit has a translation for (`chainlit_<lang>.md`), so a page load logs no missing-file warning.
"""

from __future__ import annotations

import hmac
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from leadpilot.settings import Settings

APP_FILE = Path(__file__).with_name("app.py")
ASSETS = Path(__file__).with_name("assets")
PUBLIC_FILES = ("logo_light.svg", "logo_dark.svg", "favicon.svg", "theme.json")  # theme.json: the logo's blue as the accent

CONFIG_TOML = """\
# Chainlit settings for the Leadpilot web chat, written once by `leadpilot ui`; edit freely.
[project]
session_timeout = 3600
cache = false

[features]
unsafe_allow_html = false
latex = false
edit_message = false

[features.spontaneous_file_upload]
enabled = false

[features.audio]
enabled = false

[UI]
name = "Leadpilot"
description = "Ask about your leads: tables, reasons and the tool calls behind every answer."
custom_meta_image_url = "/public/logo_light.svg"
cot = "full"
layout = "wide"
confirm_new_chat = false

[meta]
generated_by = "{version}"
"""

WELCOME_MD = """\
# Leadpilot

Ask about your leads in plain words — for example *show hot leads in fintech not contacted in 3
days*, *conversion rate by source* or *show lead 42* — and follow up in the same chat (*only the
ones in SF*). Every answer shows the tool calls and filters behind it.
"""


def app_root(settings: Settings) -> Path:
    return (settings.data_dir / "chainlit").resolve()


def auth_secret(root: Path) -> str:
    """The JWT secret for password login, generated on first use and kept (0600) in `root`."""
    path = root / ".auth-secret"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    secret = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secret)
    return secret


def _languages() -> list[str]:
    """The languages Chainlit has translations for (en-US first), plus plain English variants."""
    from importlib.util import find_spec

    spec = find_spec("chainlit")  # found, not imported: Chainlit reads CHAINLIT_APP_ROOT when imported
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    shipped = sorted(p.stem for folder in folders for p in (Path(folder) / "translations").glob("*.json"))
    return list(dict.fromkeys(["en-US", "en-GB", "en", *shipped]))


def prepare_app_root(settings: Settings) -> Path:
    """Create DATA_DIR/chainlit with Leadpilot's Chainlit config, welcome page, logo and favicon
    (each kept if edited)."""
    from importlib.metadata import version

    root = app_root(settings)
    (root / ".chainlit").mkdir(parents=True, exist_ok=True)
    config = root / ".chainlit" / "config.toml"
    if not config.exists():
        config.write_text(CONFIG_TOML.format(version=version("chainlit")), encoding="utf-8")
    welcome = root / "chainlit.md"
    if not welcome.exists():
        welcome.write_text(WELCOME_MD, encoding="utf-8")
    for language in _languages():  # Chainlit reads chainlit_<lang>.md, and warns on every page load without it
        translated = root / f"chainlit_{language}.md"
        if not translated.exists():
            translated.write_text(welcome.read_text(encoding="utf-8"), encoding="utf-8")
    public = root / "public"
    public.mkdir(exist_ok=True)
    for name in PUBLIC_FILES:
        if not (public / name).exists():
            shutil.copyfile(ASSETS / name, public / name)
    return root


def own_files_dir(root: Path, *, pid: int | None = None) -> Path:
    """This process's folder for the files a chat sends (charts, CSVs): `root/.files/<pid>`.

    Chainlit keeps them in `APP_ROOT/.files` and deletes that whole folder when it shuts down, so a
    second web chat on the same data dir (`leadpilot demo` beside `leadpilot ui`) that stops would
    take the running one's files with it: its charts and downloads would stop appearing. Each
    process gets its own folder; folders left by processes that no longer run are removed.
    """
    shared = root / ".files"
    shared.mkdir(parents=True, exist_ok=True)
    for child in shared.iterdir():
        if child.is_dir() and child.name.isdigit() and not _running(int(child.name)):
            shutil.rmtree(child, ignore_errors=True)
    own = shared / str(pid or os.getpid())
    own.mkdir(exist_ok=True)
    return own


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def check_password(settings: Settings, password: str) -> bool:
    expected = settings.ui_password.get_secret_value() if settings.ui_password else ""
    return bool(expected) and hmac.compare_digest(password.encode(), expected.encode())


def login(settings: Settings, db: Any, username: str, password: str) -> dict[str, Any] | None:
    """Who logs in: the admin name (sees everything) or a rep's email (sees what that rep may).
    The password is one shared gate; None refuses the login."""
    from leadpilot.interfaces.deps_factory import UnknownUserError, viewer_for

    if not check_password(settings, password):
        return None
    username = username.strip()
    if username == settings.ui_username:
        return {"email": None, "role": "admin", "name": username}
    try:
        viewer = viewer_for(db, email=username.lower())
    except UnknownUserError:
        return None
    return {"email": viewer.email, "role": viewer.role, "name": viewer.name}


def url_for(host: str, port: int) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def run_web_chat(settings: Settings, *, host: str | None = None, port: int | None = None) -> bool:
    """Run the Chainlit app in the foreground until Ctrl-C; False when its server did not start
    (it could not listen on host:port)."""
    host = host or settings.ui_host
    port = port or settings.ui_port
    root = prepare_app_root(settings)
    os.environ["CHAINLIT_APP_ROOT"] = str(root)
    os.environ["CHAINLIT_HOST"] = host
    os.environ["CHAINLIT_PORT"] = str(port)
    if settings.ui_password is not None and not os.environ.get("CHAINLIT_AUTH_SECRET"):
        os.environ["CHAINLIT_AUTH_SECRET"] = auth_secret(root)

    import chainlit.config
    from chainlit.cli import run_chainlit
    from chainlit.config import config

    # Sessions read FILES_DIRECTORY from chainlit.config when they store a file; chainlit.server,
    # imported by run_chainlit, copies it for its shutdown clean-up.
    chainlit.config.FILES_DIRECTORY = own_files_dir(root)

    # Chainlit's own CLI would read CI / HEADLESS / ... from the environment (its --ci flag even
    # sets OPENAI_API_KEY); Leadpilot sets the run options itself.
    config.run.headless = True
    config.run.debug = False
    config.run.ci = False
    config.run.watch = False
    config.run.no_cache = True
    login_note = f" (log in as {settings.ui_username} or a rep's email)" if settings.ui_password is not None else ""
    print(f"Leadpilot web chat: {url_for(host, port)}{login_note} — Ctrl-C to stop.", flush=True)
    try:
        run_chainlit(str(APP_FILE))
    except KeyboardInterrupt:
        pass
    except SystemExit as stop:  # uvicorn exits 1 when it cannot bind
        return not stop.code
    return True
