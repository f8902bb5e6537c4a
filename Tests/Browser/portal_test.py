"""The portal in a real browser: Chromium from Debian's packages, headless, driven by selenium.

Run by Tests/Browser/run against `promptc serve --mock` with the example specs. Each check
raises on failure; screenshots of the catalog, an endpoint page and the usage page go to OUT.
Usage: python portal_test.py BASE_URL ADMIN_KEY OUT
"""

import json
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

EXAMPLES = ["extract_entities", "sentiment", "summarize", "translate"]


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)


def screenshot(driver: webdriver.Chrome, path: str) -> None:
    """The whole page, not only the window."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 4000))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(path)
    driver.set_window_size(1280, 1000)


def check_catalog(driver, base):
    driver.get(base + "/")
    assert driver.current_url.endswith("/portal"), driver.current_url
    links = [a.text for a in driver.find_elements(By.CSS_SELECTOR, ".catalog h2 a")]
    assert sorted(links) == EXAMPLES, links
    assert driver.find_elements(By.CSS_SELECTOR, ".model.closed"), "the chain's health is shown"


def check_endpoint_pages(driver, base):
    with urllib.request.urlopen(base + "/openapi.json") as answer:
        document = json.load(answer)
    for name in EXAMPLES:
        driver.get(f"{base}/portal/endpoints/{name}")
        operation = next(op["post"] for op in document["paths"].values() if op.get("post", {}).get("operationId") == name)
        schema_name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        fields = sorted(document["components"]["schemas"][schema_name]["properties"])
        shown = sorted(cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=input-title] tbody td:first-child"))
        assert shown == fields, (name, shown, fields)
        for field in fields:
            label = driver.find_element(By.CSS_SELECTOR, f"label[for=field-{field}]")
            assert label.text.startswith(field), (name, field, label.text)


def send_and_wait(driver, status):
    driver.find_element(By.CSS_SELECTOR, "#try-form button[type=submit]").click()
    WebDriverWait(driver, 15).until(EC.text_to_be_present_in_element((By.ID, "try-status"), status))


def check_try_it(driver, base, out):
    driver.get(base + "/portal/endpoints/sentiment")
    send_and_wait(driver, "200")
    model = driver.find_element(By.ID, "try-model").text
    assert model.startswith("mock/"), model
    assert driver.find_element(By.ID, "try-attempts").text == "1"
    assert json.loads(driver.find_element(By.ID, "try-body").text)["label"] == "positive"
    screenshot(driver, f"{out}/portal-endpoint.png")

    # Streamed: the same answer, as the result event says.
    driver.find_element(By.ID, "try-stream").click()
    driver.find_element(By.ID, "try-body").get_attribute("textContent")
    send_and_wait(driver, "200")
    WebDriverWait(driver, 15).until(lambda d: "streaming" not in d.find_element(By.ID, "try-body").text)
    assert json.loads(driver.find_element(By.ID, "try-body").text)["label"] == "positive"
    driver.find_element(By.ID, "try-stream").click()

    # An invalid input: the 400's details next to the field.
    text = driver.find_element(By.ID, "field-text")
    text.clear()
    send_and_wait(driver, "400")
    error = driver.find_element(By.CSS_SELECTOR, '.field[data-field="text"] .field-error')
    assert error.is_displayed() and "required" in error.text, error.text
    assert "invalid" in driver.find_element(By.CSS_SELECTOR, '.field[data-field="text"]').get_attribute("class")


def check_usage(driver, base, key, out):
    driver.get(base + "/portal/usage")
    assert driver.find_elements(By.ID, "admin-key"), "the usage page asks for the admin key"
    driver.find_element(By.ID, "admin-key").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    # Records are written in batches every 0.5 s: the page is reloaded until they are in.
    def charted(d):
        d.get(base + "/portal/usage?window=hour")
        bars = d.find_elements(By.CSS_SELECTOR, "figure.chart svg rect.bar")
        return bars if bars else False
    bars = WebDriverWait(driver, 15, poll_frequency=0.5).until(charted)
    assert len(bars) > 3, len(bars)
    labels = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "figure.chart svg text")]
    assert "sentiment" in labels, labels
    screenshot(driver, f"{out}/portal-usage.png")


def main() -> None:
    base, key, out = sys.argv[1], sys.argv[2], sys.argv[3]
    driver = browser()
    try:
        check_catalog(driver, base)
        screenshot(driver, f"{out}/portal-catalog.png")
        check_endpoint_pages(driver, base)
        check_try_it(driver, base, out)
        check_usage(driver, base, key, out)
    finally:
        driver.quit()
    print("portal browser tests passed")


main()
