"""The real workbench in headless Chromium: login, every page, one curation action.

Starts ``marketlounge serve workbench`` (``streamlit run``) on a free port against the test
database, signs in as a freshly created admin, visits each page, saves a screenshot per page
under ``tests/artifacts/`` and fails on any exception or traceback shown on a page. Uses
Debian's ``chromium`` and ``chromedriver`` (no browser download).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PASSWORD = "navigateur-2024"
PAGES = [
    ("curation_queue", "File de curation"),
    ("glossary", "Glossaire"),
    ("match_explorer", "Explorateur de correspondances"),
    ("query_log", "Journal des requêtes"),
    ("market_tension", "Tension de marché"),
    ("builds", "Builds"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_tenant(engine, embedder) -> tuple[str, str]:
    """A demo-like tenant (real CPV labels, DECP suppliers) and an admin login on it."""
    from core import curation
    from core.db import session_scope
    from core.users import create_user
    from tests.curation_seed import seed_tenant

    tenant = f"tenant_br_{uuid.uuid4().hex[:8]}"
    username = f"admin_{uuid.uuid4().hex[:6]}"
    with session_scope() as s:
        seed = seed_tenant(s, tenant, embedder)
        curation.accept(s, tenant, seed.concepts["centrifuges"], actor="setup")
        create_user(s, username, PASSWORD, role="admin", tenant_ids=[tenant])
    return tenant, username


@pytest.fixture(scope="module")
def server(demo_tenant, settings) -> Iterator[str]:
    """The workbench served by ``marketlounge serve workbench`` on a free port."""
    port = _free_port()
    env = dict(os.environ)  # the test settings (database, data dir) are in the environment
    env.update(
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    log = (
        (ARTIFACTS / "streamlit.log").open("w") if ARTIFACTS.mkdir(exist_ok=True) or True else None
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli.main", "serve", "workbench", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: streamlit runs as a child
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the workbench did not start; see {ARTIFACTS / 'streamlit.log'}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[object]:
    """Headless Debian Chromium driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.fail(
            "install Debian's chromium and chromium-driver (scripts/ensure_system_deps.sh)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1440,2400", "--lang=fr-FR",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _settled(driver, timeout: float = 90) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        status = driver.execute_script(
            "return Array.from(document.querySelectorAll('[data-testid=\"stStatusWidget\"]'))"
            ".map(e => e.innerText).join(' ')"
        )
        busy = "Running" in status or "Stop" in status
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 1.5:
            return
        time.sleep(0.25)
    raise AssertionError("the page kept running")


def _wait_for(driver, css: str, text: str | None = None, timeout: float = 90):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout)
    if text is None:
        return wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))
    return wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def _click(driver, xpath: str, attempts: int = 20) -> None:
    """Click an element, retrying while Streamlit re-renders it (stale references)."""
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        NoSuchElementException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.common.by import By

    for _ in range(attempts):
        try:
            driver.find_element(By.XPATH, xpath).click()
            return
        except (
            StaleElementReferenceException,
            NoSuchElementException,
            ElementClickInterceptedException,
        ):
            time.sleep(0.5)
    raise AssertionError(f"could not click {xpath}")


def _current_concept(driver) -> str:
    """The heading of the concept the curation queue shows (``label · code · #id``)."""
    from selenium.webdriver.common.by import By

    return next(h.text for h in driver.find_elements(By.CSS_SELECTOR, "h3") if " · #" in h.text)


def _check_clean(driver, name: str) -> None:
    """Screenshot the page and fail on anything that looks like an exception."""
    from selenium.webdriver.common.by import By

    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    exceptions = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    body = driver.find_element(By.TAG_NAME, "body").text
    assert not exceptions, f"{name}: exception element shown: {exceptions[0].text[:500]}"
    assert "Traceback" not in body, f"{name}: traceback on the page"
    assert "Error" not in body, f"{name}: 'Error' on the page: {body[:800]}"


def test_login_and_every_page_in_chromium(server, browser, demo_tenant) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    tenant, username = demo_tenant
    driver = browser
    driver.get(server)
    _wait_for(driver, "h3", "Connexion")
    _settled(driver)
    _check_clean(driver, "00-login")
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Identifiant"]').send_keys(username)
    password = driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Mot de passe"]')
    password.send_keys(PASSWORD)
    password.send_keys(Keys.ENTER)
    _wait_for(driver, '[data-testid="stSidebarNav"]')
    _settled(driver)
    driver.save_screenshot(str(ARTIFACTS / "00-signed-in.png"))
    chosen = driver.find_element(
        By.CSS_SELECTOR, '[data-testid="stSidebar"] [data-testid="stSelectbox"]'
    )
    assert tenant in chosen.get_attribute("textContent") + (
        chosen.find_element(By.TAG_NAME, "input").get_attribute("value") or ""
    )

    pages = [p for p in PAGES if (REPO / "workbench" / "app_pages" / f"{p[0]}.py").is_file()]
    for number, (page, title) in enumerate(pages, start=1):
        _click(driver, f'//*[@data-testid="stSidebarNav"]//a[contains(., "{title}")]')
        _wait_for(driver, '[data-testid="stMain"]', title if page != "market_tension" else None)
        _settled(driver)
        if page == "curation_queue":
            _check_clean(driver, f"{number:02d}-{page}")
            heading = _current_concept(driver)
            accept = next(
                b for b in driver.find_elements(By.CSS_SELECTOR, "button")
                if b.text.strip().startswith("Valider")
            )  # fmt: skip
            accept.click()
            _wait_for(driver, '[data-testid="stAlertContentSuccess"]')
            _settled(driver)
            assert _current_concept(driver) != heading
            _check_clean(driver, f"{number:02d}-{page}-after-accept")
            continue
        if page == "match_explorer":
            box = driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Requête"]')
            box.send_keys("pompes centrifuges")
            box.send_keys(Keys.ENTER)
            _wait_for(driver, '[data-testid="stPlotlyChart"]', timeout=120)
            _settled(driver)
            assert "Pompes centrifuges" in driver.find_element(By.TAG_NAME, "body").text
        _check_clean(driver, f"{number:02d}-{page}")

    english = driver.find_element(By.XPATH, '//label[.//p[text()="English"]]')
    english.click()
    _wait_for(driver, "h1", "Builds")
    _settled(driver)
    _wait_for(driver, '[data-testid="stSidebarNav"]', None)
    assert "Launch a build" in driver.find_element(By.TAG_NAME, "body").text
    _check_clean(driver, "99-builds-english")
