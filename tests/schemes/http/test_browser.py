"""The example shop in a real browser: Debian's headless Chromium driven by Selenium
against ``roc serve``. Skipped (one line) without the browser, unless ROC_TEST_BROWSER=1
(as .ci/run sets), where a missing browser fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import Server

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "web"
REQUIRED = os.environ.get("ROC_TEST_BROWSER", "") not in ("", "0")


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = _missing()
    if missing:
        if REQUIRED:
            pytest.fail(f"ROC_TEST_BROWSER is set but {missing}")
        pytest.skip(missing)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("shop") / "web"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("*.db*"))
    with Server(root / "roc.toml") as server:
        yield server


def test_cart_login_logout_in_chromium(browser, shop):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    wait = WebDriverWait(driver, 20)

    def page(action=None):
        """Run ``action`` (a click that navigates) and wait for the new page to load."""
        old = driver.find_element(By.TAG_NAME, "body") if action else None
        if action:
            action()
            wait.until(ec.staleness_of(old))
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded"))

    def text(element_id):
        return driver.find_element(By.ID, element_id).text

    def session_cookie():
        return driver.get_cookie("roc_session")

    driver.get(shop.url + "/")
    page()
    assert driver.title == "roc shop"
    assert driver.find_element(By.ID, "empty").is_displayed()
    assert session_cookie() is None  # looking at the shop made no session

    apples = driver.find_element(By.ID, "apple")
    apples.clear()
    apples.send_keys("3")
    page(lambda: driver.find_element(By.ID, "update").click())
    assert text("cart-apple") == "Apples: 3"
    anonymous = session_cookie()
    assert anonymous and anonymous["httpOnly"] and anonymous["sameSite"] == "Lax"

    driver.refresh()
    page()
    assert text("cart-apple") == "Apples: 3"  # kept in the session across a reload

    driver.find_element(By.ID, "name").send_keys("Ada")
    page(lambda: driver.find_element(By.ID, "signin").click())
    assert text("user") == "Ada"
    assert text("cart-apple") == "Apples: 3"  # the cart came along through the login
    assert session_cookie()["value"] != anonymous["value"]  # a new id after login

    page(lambda: driver.find_element(By.ID, "signout").click())
    assert session_cookie() is None  # the cookie is cleared
    assert driver.find_element(By.ID, "login").is_displayed()
    assert driver.find_element(By.ID, "empty").is_displayed()  # and the session is gone

    driver.get(shop.url + "/no/such/page")
    assert driver.find_element(By.ID, "error").text.startswith("We looked everywhere")
    driver.get(shop.url + "/static/style.css")
    assert "font" in driver.find_element(By.TAG_NAME, "body").text
