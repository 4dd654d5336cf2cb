"""Start the web chat: prepare Chainlit's files under the data dir, then run the Chainlit app.

Chainlit writes `.chainlit/`, `chainlit.md` and `.files/` into its app root (on import, too), so
`CHAINLIT_APP_ROOT` points at `DATA_DIR/chainlit` before Chainlit is imported; the repository
root and the working directory stay clean. Logins need a JWT secret (`CHAINLIT_AUTH_SECRET`): one
is generated once and kept in that folder (mode 0600).

Who gets in (`login_mode`): once anyone has a web login (`leadpilot user add`), everyone logs in
with their own email and password, checked against the store with a lockout after failures;
with `LEADPILOT_UI_TRUSTED_HEADER` set, a reverse proxy's header names the person (SSO); with
nobody added yet, the chat is open as the local admin, on a loopback address only.

The chat looks like Leadpilot: its logo (`public/logo_light.svg`, `logo_dark.svg`; in the header of
every page through `public/leadpilot.css`), favicon (`public/favicon.svg`) and accent colour
(`public/theme.json`) come from `assets/`, and the welcome page is written for each language
Chainlit has a translation for (`chainlit_<lang>.md`), so a page load logs no missing-file warning.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any, Literal

from leadpilot.settings import Settings

APP_FILE = Path(__file__).with_name("app.py")
LOGIN_MODE: str | None = None  # set by run_web_chat before Chainlit loads app.py (same process)
ASSETS = Path(__file__).with_name("assets")
# theme.json: the logo's blue as the accent; leadpilot.css: the name and logo in the header of every page
PUBLIC_FILES = ("logo_light.svg", "logo_dark.svg", "favicon.svg", "theme.json", "leadpilot.css")

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
custom_css = "/public/leadpilot.css"
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


class WebLoginError(RuntimeError):
    """The web chat's login setup is unsafe or retired; the message says what to change."""


LoginMode = Literal["users", "header", "open"]


def login_mode(settings: Settings, db: Any) -> LoginMode:
    """How people get in: a trusted proxy header (SSO), per-person logins (anyone has one), or
    open (nobody has a login yet: the local, single-user chat, whose user is the admin)."""
    from leadpilot.memory.users import has_users

    if settings.ui_trusted_header:
        return "header"
    with db.session() as session:
        return "users" if has_users(session) else "open"


def check_login_setup(settings: Settings, db: Any, host: str) -> LoginMode:
    """The login mode, or WebLoginError when starting would let in people it should not."""
    if settings.ui_password is not None:
        raise WebLoginError(
            "LEADPILOT_UI_PASSWORD (one password shared by everyone, who could then log in as anyone) is retired. "
            "Give each person a login instead — `leadpilot user add EMAIL --role rep|manager|admin` — then unset "
            "LEADPILOT_UI_PASSWORD."
        )
    mode = login_mode(settings, db)
    if mode == "open" and not is_loopback(host):
        raise WebLoginError(
            f"nobody has a web login yet, so the chat would be open to anyone who reaches {host} as the admin. "
            "Add one first (`leadpilot user add you@example.com --role admin`), or listen on 127.0.0.1."
        )
    return mode


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def login(settings: Settings, db: Any, username: str, password: str, *, address: str) -> dict[str, Any] | None:
    """Check one person's login from `address` (their own password, stored hashed); the identity
    the chat keeps (email, role, rep), or None. Failures lock the email + address, then the
    address, for longer each time (memory/users.py); a lock survives restarts."""
    from leadpilot.clock import clock_from_settings
    from leadpilot.memory.users import Throttle, authenticate

    throttle = Throttle(threshold=settings.ui_login_max_failures, base_s=settings.ui_login_lockout_s,
                        max_s=settings.ui_login_lockout_max_s)
    now = clock_from_settings(settings).now()
    if len(username) > 254 or len(password) > 1024:  # nobody's email or password; no hash spent on it
        return None
    from sqlalchemy.exc import IntegrityError

    try:
        with db.transaction() as session:
            result = authenticate(session, email=username, password=password, address=address, now=now, throttle=throttle)
    except IntegrityError:  # two failures at once created the same count: count again on the row that won
        with db.transaction() as session:
            result = authenticate(session, email=username, password=password, address=address, now=now, throttle=throttle)
    if result.locked_until is not None:
        print(f"web login refused: {username.strip().lower()!r} from {address} is locked until "
              f"{result.locked_until:%H:%M:%S} UTC after repeated failures", flush=True)
    return _identity_dict(result.identity) if result.identity is not None else None


def trusted_login(db: Any, email: str | None) -> dict[str, Any] | None:
    """The identity for an email vouched for by a trusted proxy header or an OAuth provider: it
    must be an active login here (its role and rep come from the store); None otherwise."""
    from leadpilot.memory.users import sso_identity

    if not email or len(email) > 254:
        return None
    with db.session() as session:
        identity = sso_identity(session, email)
    return _identity_dict(identity) if identity is not None else None


def _identity_dict(identity) -> dict[str, Any]:
    return {"email": identity.email, "role": identity.role, "rep_id": identity.rep_id, "rep_email": identity.rep_email,
            "name": identity.name}


def url_for(host: str, port: int) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def run_web_chat(settings: Settings, *, mode: LoginMode, host: str | None = None, port: int | None = None) -> bool:
    """Run the Chainlit app in the foreground until Ctrl-C, with the login `mode` that
    check_login_setup chose; False when its server did not start (it could not listen on host:port)."""
    host = host or settings.ui_host
    port = port or settings.ui_port
    root = prepare_app_root(settings)
    global LOGIN_MODE
    LOGIN_MODE = mode
    os.environ["CHAINLIT_APP_ROOT"] = str(root)
    os.environ["CHAINLIT_HOST"] = host
    os.environ["CHAINLIT_PORT"] = str(port)
    if mode != "open" and not os.environ.get("CHAINLIT_AUTH_SECRET"):
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
    login_note = {
        "users": " (each person logs in with their email and password; `leadpilot user list` shows who can)",
        "header": f" (signed in by your proxy: header {settings.ui_trusted_header})",
        "open": " (no login: local single-user chat, you are the admin; `leadpilot user add` makes everyone log in)",
    }[mode]
    print(f"Leadpilot web chat: {url_for(host, port)}{login_note} — Ctrl-C to stop.", flush=True)
    try:
        run_chainlit(str(APP_FILE))
    except KeyboardInterrupt:
        pass
    except SystemExit as stop:  # uvicorn exits 1 when it cannot bind
        return not stop.code
    return True
