"""The console's Streamlit script (``dashboard/app.py`` serves it).

Builds the navigation and opens the database once (one clear line when it
cannot). The embedded worker is started by the app process (dashboard/app.py);
it is started here too, once per process, for runs of this script on its own
(AppTest, ``streamlit run dashboard/console.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import components as ui  # noqa: E402
from dashboard import services  # noqa: E402

PAGES = ROOT / "dashboard" / "app_pages"
HEALTH_REFRESH_SECONDS = 3  # the sidebar counts stay current (one cached read per 3 s)

# The icon is a file of the app (served by the app itself): a material-symbol or emoji icon
# would be fetched from a CDN, and the console works offline.
st.set_page_config(
    page_title="LangGraph operator console",
    page_icon=ROOT / "dashboard" / "static" / "icon.png",
    layout="wide",
)


# The default page is served at "/" and only there: Streamlit routes no pathname to it (its
# url_path is ""), so "/home" showed "Page not found". Old and obvious names of the runs page
# are hidden pages that forward to it with the link's query parameters (filters survive the hop):
# "/runs" (its url_path before it became the default) and "/home".
RUNS = st.Page(PAGES / "runs.py", title="Runs", icon=":material/list:", url_path="", default=True)
RUNS_ALIASES = ("runs", "home")


def _runs_alias() -> None:
    """``/runs``, ``/home``: the runs page, with the filters the link carries."""
    st.switch_page(RUNS, query_params=st.query_params.to_dict())


def _aliases() -> list:
    return [st.Page(_runs_alias, title="Runs", url_path=name, visibility="hidden") for name in RUNS_ALIASES]


def _pages(admin: bool) -> dict[str, list]:
    pages = {
        "Operate": [
            RUNS,
            st.Page(PAGES / "launch.py", title="Launch", icon=":material/rocket_launch:", url_path="launch"),
            st.Page(PAGES / "inbox.py", title="Approvals inbox", icon=":material/inbox:", url_path="inbox"),
        ],
        "Inspect": [
            st.Page(
                PAGES / "run_detail.py", title="Run (live)", icon=":material/monitoring:", url_path="run"
            ),
            st.Page(
                PAGES / "routing.py",
                title="Routing inspector",
                icon=":material/alt_route:",
                url_path="routing",
            ),
            st.Page(
                PAGES / "checkpoints.py",
                title="Checkpoints",
                icon=":material/history:",
                url_path="checkpoints",
            ),
            st.Page(
                PAGES / "threads.py", title="Threads", icon=":material/account_tree:", url_path="threads"
            ),
            st.Page(PAGES / "audit.py", title="Audit log", icon=":material/fact_check:", url_path="audit"),
            *_aliases(),
        ],
    }
    if admin:
        pages["Admin"] = [
            st.Page(PAGES / "settings.py", title="Settings", icon=":material/settings:", url_path="settings")
        ]
    return pages


exposed = services.exposure_problem()
if exposed:  # before anything else: no page, no database, no worker for this visitor
    st.error(exposed, icon=":material/lock:")
    st.stop()

if services.sign_in_required():  # sign-in configured: nothing of the console before it, no data
    st.navigation(_pages(admin=False), position="hidden")  # keeps the URL routing; no page runs
    st.title("LangGraph operator console")
    st.write("Sign in with your identity provider to continue.")
    st.button("Sign in", on_click=st.login, icon=":material/login:", type="primary")
    st.stop()

try:
    services.ensure_database()
    services.start_embedded_worker()
    role = services.role()
except services.LgopsError as exc:
    st.navigation(_pages(admin=False))  # keeps the URL routing; the page itself is not run
    st.error(
        f"Database unavailable: {ui.md_escape(services.short(str(exc), 300))}", icon=":material/database:"
    )
    st.caption(
        "Set DATABASE_URL (or database_url in .streamlit/secrets.toml), or unset it to use the embedded PostgreSQL."
    )
    st.stop()

page = st.navigation(_pages(admin=role == "admin"))


@st.fragment(run_every=HEALTH_REFRESH_SECONDS)
def _health() -> None:
    try:
        ui.render_health_strip(services.queue_health())
    except Exception as exc:  # noqa: BLE001 - a lost database is one line here too
        line = str(exc) if isinstance(exc, services.LgopsError) else services.unavailable_line(exc)
        if line is None:
            raise
        st.caption(f":red[Queue unreadable: {ui.md_escape(services.short(line, 80))}]")


with st.sidebar:
    st.caption(f"Acting as {ui.md_code(services.actor())} · role **{role}**")
    if services.read_only():
        st.badge("read-only mode", color="orange", icon=":material/lock:")
    if services.logged_in():
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")
    if services.is_embedded():
        st.caption("Embedded PostgreSQL · worker in this process")
    _health()

try:
    page.run()
except Exception as exc:  # noqa: BLE001 - only a lost database is caught; st.rerun/st.stop pass on
    line = services.unavailable_line(exc)
    if line is None:
        raise
    st.error(f"Database unavailable: {ui.md_escape(services.short(line, 300))}", icon=":material/database:")
