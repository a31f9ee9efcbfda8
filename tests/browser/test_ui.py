"""The pages under /ui in headless Chromium (Selenium), each checked against the API's JSON.

Run by tests/browser/run.sh, which starts the demo server and passes BASE, ADMIN_TOKEN,
VIEWER_TOKEN, OUTSIDER_TOKEN and ARTIFACTS. The admin's journey runs with JavaScript switched
off, so it shows that reading, signing in and out, generating and downloading need none; the
checks that need a script of the test's own (forged forms, computed styles) run in a second
browser with JavaScript on. Exits non-zero on the first failed check.
"""

import hashlib
import json
import subprocess
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

BASE = os.environ["BASE"]
ADMIN = os.environ["ADMIN_TOKEN"]
VIEWER = os.environ["VIEWER_TOKEN"]
OUTSIDER = os.environ["OUTSIDER_TOKEN"]
ARTIFACTS = os.environ["ARTIFACTS"]
passed = []


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    passed.append(what)
    print(f"ok: {what}")


def api(path, token=ADMIN, raw=False):
    request = urllib.request.Request(BASE + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        body = response.read()
    return body if raw else json.loads(body)


def browser(javascript, downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,1000", f"--user-data-dir={tempfile.mkdtemp(prefix='ui-profile-')}",
    ]:
        options.add_argument(flag)
    # Several downloads from one page must not wait for a permission nobody answers.
    prefs = {"download.default_directory": downloads, "download.prompt_for_download": False,
             "profile.default_content_setting_values.automatic_downloads": 1}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # A page that never loads fails its check instead of hanging the suite.
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def screenshot(driver, name):
    """The whole page, however long, as target/browser-artifacts/<name>.png."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    })
    import base64
    with open(os.path.join(ARTIFACTS, f"{name}.png"), "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def accessible(driver, page):
    """Every form control labelled, headings in order (one h1 first, no level skipped)."""
    for control in driver.find_elements(By.CSS_SELECTOR, "input, select, textarea"):
        if control.get_attribute("type") == "hidden":
            continue
        ident = control.get_attribute("id")
        labelled = bool(control.get_attribute("aria-label")) or (
            ident and driver.find_elements(By.CSS_SELECTOR, f"label[for='{ident}']"))
        check(labelled, f"{page}: the control {control.get_attribute('name')!r} has a label")
    for button in driver.find_elements(By.TAG_NAME, "button"):
        check(button.text.strip() != "", f"{page}: every button says what it does")
    levels = [int(h.tag_name[1]) for h in driver.find_elements(By.CSS_SELECTOR, "h1, h2, h3, h4, h5, h6")]
    check(levels and levels[0] == 1 and levels.count(1) == 1, f"{page}: one h1, first")
    check(all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"{page}: no heading level skipped {levels}")
    check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", f"{page}: the page names its language")


CONTRAST = """
function rgb(c) { const m = c.match(/[\\d.]+/g).map(Number); return m.length > 3 ? m : m.concat([1]); }
function lum(c) {
  const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function background(el) {
  for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c[3] > 0) return c; }
  return [255, 255, 255, 1];
}
const worst = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const text = walker.currentNode; const el = text.parentElement;
  if (!text.textContent.trim() || !el || el.closest('svg')) continue;
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || style.display === 'none') continue;
  const a = lum(rgb(style.color)), b = lum(background(el));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && parseInt(style.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) worst.push(el.tagName + ' ' + ratio.toFixed(2) + ' ' + text.textContent.trim().slice(0, 40));
}
return worst;
"""


def contrast(driver, page):
    low = driver.execute_script(CONTRAST)
    check(low == [], f"{page}: all text meets WCAG AA contrast {low[:3]}")


def arrive(driver, prefix, away_from):
    """Waits (up to 30 s) for a click's navigation to reach a page under `prefix`."""
    for _ in range(300):
        if driver.current_url != away_from and driver.current_url.startswith(BASE + prefix):
            return True
        time.sleep(0.1)
    return False


def wait_for_file(directory, suffix):
    for _ in range(100):
        done = [f for f in os.listdir(directory) if f.endswith(suffix)]
        if done:
            return os.path.join(directory, done[0])
        time.sleep(0.1)
    return None


def cells(driver, caption):
    """The rows of the table with this caption, as lists of cell texts."""
    for table in driver.find_elements(By.TAG_NAME, "table"):
        found = table.find_elements(By.TAG_NAME, "caption")
        if found and found[0].text.strip() == caption:
            return [[c.text.strip() for c in row.find_elements(By.CSS_SELECTOR, "th, td")]
                    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    return None


def sign_in(driver, token):
    driver.get(BASE + "/ui")
    check(driver.current_url == BASE + "/ui/login", "a page without a session goes to the sign-in page")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    # A refused token stays on the sign-in page; a good one leaves it.
    for _ in range(100):
        if driver.current_url != BASE + "/ui/login" or driver.find_elements(By.CLASS_NAME, "problem"):
            return
        time.sleep(0.1)


def sign_out(driver):
    here = driver.current_url
    driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
    check(arrive(driver, "/ui/login", here), "signing out leads to the sign-in page")


def admins_journey():
    downloads = tempfile.mkdtemp(prefix="ui-downloads-")
    driver = browser(javascript=False, downloads=downloads)
    try:
        sign_in(driver, "not-a-token")
        problems = driver.find_elements(By.CLASS_NAME, "problem")
        check(problems and "not valid" in problems[0].text,
              f"a wrong token is refused on the sign-in page {driver.current_url} {driver.title}")
        screenshot(driver, "01-sign-in-refused")
        sign_in(driver, ADMIN)
        check(driver.current_url.rstrip("/") == BASE + "/ui", f"signing in leads to the agents {driver.current_url} {[p.text for p in driver.find_elements(By.CLASS_NAME, 'problem')]}")
        screenshot(driver, "02-agents")

        agents = api("/v1/agents")["agents"]
        demo = next(a for a in agents if a["name"] == "triage-agent")
        latest = api(f"/v1/compliance?agent_id={demo['id']}&limit=1")["packages"][0]
        rows = cells(driver, "Each agent with its latest compliance package")
        row = next(r for r in rows if r[0] == "triage-agent")
        check(row[2] == f"version {latest['version']}", "the agents page shows the latest version")
        check(row[3] == latest["generated_at"].replace("+00:00", "Z"), "… and its date")
        package = api(f"/v1/compliance/{latest['id']}")
        covered = package["control_mappings"]["controls_covered"] + [
            c for w in package.get("crosswalks", []) for c in w["controls_covered"]]
        check(row[4] == ", ".join(covered), "… and the controls it covers, every framework's")

        driver.find_element(By.LINK_TEXT, "triage-agent").click()
        screenshot(driver, "03-agent")
        connectors = api(f"/v1/connectors?agent_id={demo['id']}")["connectors"]
        shown = cells(driver, "Configured connectors")
        check(sorted(r[0] for r in shown) == sorted(c["connector_type"] for c in connectors),
              "the agent page lists the agent's connectors")
        trail = api(f"/v1/audit?agent_id={demo['id']}&limit=50")
        entries = cells(driver, "Audit entries")
        check(len(entries) == len(trail["entries"]), "the agent page shows a page of its audit entries")
        check([r[1] for r in entries] == [e["action_type"] for e in trail["entries"]],
              "… newest first, as the API lists them")
        check(f"{trail['total']} entries" in driver.page_source, "… and how many the trail holds")
        check(driver.find_elements(By.CSS_SELECTOR, "a[rel=next]") != [] or trail["total"] <= 50,
              "… with a link to the next page")

        driver.find_element(By.LINK_TEXT, f"version {latest['version']}").click()
        screenshot(driver, "04-package")
        facts = dict(r for r in cells(driver, "The package"))
        check(facts["Content SHA-256"] == package["content_sha256"], "the package page shows its seal")
        check(facts["Version"] == str(package["version"]), "… its version")
        graph = dict(r for r in cells(driver, "What the agent did"))
        check(graph["Total actions"] == str(package["execution_graph"]["total_actions"]),
              "… the execution graph's total, as the JSON has it")
        answers = {r[0]: r[2] for r in cells(driver, "Answers")}
        check(answers == {q["id"]: q["answer"] for q in package["vsq_responses"]["responses"]},
              "… every questionnaire answer, as the JSON has it")
        soc2 = {r[0]: r[2] for r in cells(driver, package["control_mappings"]["framework"])}
        spelled = {"covered": "covered", "partial": "partial", "not_evidenced": "not evidenced"}
        check(soc2 == {c["control"]: spelled[c["status"]] for c in package["control_mappings"]["controls"]},
              "… every SOC 2 control's status")
        for crosswalk in package.get("crosswalks", []):
            shown = {r[0]: r[2] for r in cells(driver, crosswalk["framework"])}
            check(shown == {c["control"]: spelled[c["status"]] for c in crosswalk["controls"]},
                  f"… every {crosswalk['framework_id']} control's status")
        subs = cells(driver, "Third parties behind the connectors")
        check(sorted(r[0] for r in subs) == sorted(s["name"] for s in package["sub_processors"]),
              "… every sub-processor")
        policies = cells(driver, "Each policy's statement about the agent") or []
        check(len(policies) == len(package["compliance_policies"]), "… every compliance policy's statement")
        svg = driver.find_element(By.CSS_SELECTOR, "figure svg[aria-labelledby=flow-title]")
        labels = svg.get_attribute("innerHTML")
        check(all(c["name"] in labels for c in package["data_flow_diagram"]["connectors"]),
              "… the data-flow diagram as inline SVG, naming every connector")
        days = package.get("activity", [])
        check(sum(d["permit"] + d["escalate"] + d["deny"] + d["unjudged"] for d in days)
              == package["execution_graph"]["total_actions"] and days,
              "the package's activity by day sums to its total actions")
        shown = cells(driver, "Entries per day with entries (UTC)") or []
        check(shown == [[d["day"], str(d["permit"] + d["escalate"] + d["deny"] + d["unjudged"]),
                         str(d["permit"]), str(d["unjudged"]), str(d["escalate"]), str(d["deny"]),
                         str(d["drift_detected"])] for d in days],
              "… the page shows every day of it, as the JSON has it")
        chart = driver.find_element(By.CSS_SELECTOR, "figure svg[aria-labelledby=activity-title]")
        bands = sum(1 for d in days for k in ("permit", "unjudged", "escalate", "deny") if d[k] > 0)
        check(len(chart.find_elements(By.CSS_SELECTOR, "rect[fill] > title")) == bands,
              "… drawn as an SVG chart, one band per day and verdict with entries")
        marks = chart.get_attribute("innerHTML").count('stroke="#6a1b9a"') - 1  # less the legend's
        check(marks == sum(1 for d in days if d["drift_detected"] > 0),
              "… each day with drift detected marked")
        summary = driver.find_element(By.CSS_SELECTOR, "#activity + figure figcaption").text
        integrity = dict(r for r in cells(driver, "Seal, chain and signature"))
        check(integrity["Chain of versions"].startswith("verified"), "… the chain verified")
        check(integrity["Signature"].startswith("verified"), "… the signature verified")
        log = dict(r for r in cells(driver, "Where the figures sit in the org's log"))
        check(log["Tree size"] == str(package["log"]["tree_size"]), "… its place in the transparency log")

        driver.find_element(By.LINK_TEXT, "PDF").click()
        pdf = wait_for_file(downloads, ".pdf")
        check(pdf is not None, "the PDF downloads")
        with open(pdf, "rb") as f:
            downloaded = f.read()
        check(downloaded == api(f"/v1/compliance/{latest['id']}/pdf", raw=True),
              "… the very bytes the API serves")
        printed = " ".join(subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True,
                                          check=True).stdout.split())
        check("Activity by day" in printed and " ".join(summary.split()) in printed,
              "… and it shows the activity chart with the page's summary of it")
        brand = api("/v1/settings/branding")
        check(f"{brand['display_name']} · triage-agent · compliance package v{latest['version']}" in printed,
              "… and the org's display name in its running header")
        driver.find_element(By.LINK_TEXT, "JSON").click()
        saved = wait_for_file(downloads, ".json")
        check(saved is not None and json.load(open(saved)) == package, "the JSON downloads as the API answers it")

        # A second version, generated from the agent page's form, then the diff between them.
        driver.find_element(By.CSS_SELECTOR, "p.crumbs a[href^='/ui/agents/']").click()
        here = driver.current_url
        driver.find_element(By.XPATH, "//button[normalize-space()='Generate a new package']").click()
        check(arrive(driver, "/ui/packages/", here), "the generate button leads to a package")
        newer = api(f"/v1/compliance?agent_id={demo['id']}&limit=1")["packages"][0]
        check(newer["version"] == latest["version"] + 1, "the page's button generates the next version")
        check(driver.current_url == f"{BASE}/ui/packages/{newer['id']}", "… and shows it")
        Select(driver.find_element(By.ID, "against")).select_by_visible_text(f"version {latest['version']}")
        here = driver.current_url
        driver.find_element(By.XPATH, "//button[normalize-space()='Show the changes']").click()
        check(arrive(driver, f"/ui/packages/{newer['id']}/diff", here), "the compare form leads to the diff")
        screenshot(driver, "05-diff")
        changes = api(f"/v1/compliance/{newer['id']}/diff?against={latest['id']}")["changes"]
        figures = cells(driver, f"Figures that changed: version {latest['version']}, then version {newer['version']}") or []
        check({r[0]: (r[1], r[2]) for r in figures} == {
            f["figure"]: (str(f["from"]) if f["from"] is not None else "absent",
                          str(f["to"]) if f["to"] is not None else "absent") for f in changes["figures"]},
            "the diff page shows every figure that changed, as the diff API has it")
        check(any(r[0] == "total_actions" for r in figures), "… the generation entry among them")

        here = driver.current_url
        driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
        check(arrive(driver, "/ui/login", here), "signing out leads to the sign-in page")
        driver.get(f"{BASE}/ui/packages/{latest['id']}")
        check(driver.current_url == BASE + "/ui/login", "… and the pages are closed again")
        cookies = {c["name"]: c for c in driver.get_cookies()}
        check("compliance_session" not in cookies, "… the session cookie is gone")
        return latest, demo
    finally:
        driver.quit()


def scripted_checks(package, demo):
    downloads = tempfile.mkdtemp(prefix="ui-downloads-")
    driver = browser(javascript=True, downloads=downloads)
    try:
        driver.get(BASE + "/ui/login")
        accessible(driver, "sign-in")
        contrast(driver, "sign-in")
        sign_in(driver, ADMIN)
        session = next(c for c in driver.get_cookies() if c["name"] == "compliance_session")
        check(session["httpOnly"] and session.get("sameSite") == "Strict", "the session cookie is HttpOnly and SameSite=Strict")
        check(driver.execute_script("return document.cookie") == "", "… and no script of the page can read it")
        for path, name in [("/ui", "agents"), (f"/ui/agents/{demo['id']}", "agent"),
                           (f"/ui/packages/{package['id']}", "package")]:
            driver.get(BASE + path)
            accessible(driver, name)
            contrast(driver, name)
        # The demo org's branding, as the API has it, in the frame of every page.
        brand = api("/v1/settings/branding")
        shown = driver.find_element(By.CSS_SELECTOR, "header.top a.brand")
        check(brand["display_name"] and shown.text.startswith(brand["display_name"]),
              "the frame shows the org's display name")
        logo = shown.find_element(By.TAG_NAME, "img")
        check(driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", logo) > 0,
              "… and its logo, loaded as an image")
        accent = brand["accent_colour"].lstrip("#")
        rgb = "rgb({}, {}, {})".format(*(int(accent[i:i + 2], 16) for i in (0, 2, 4)))
        border = driver.execute_script(
            "return getComputedStyle(document.querySelector('header.top')).borderBottomColor")
        check(border == rgb, f"… and its accent colour ({border})")
        newer = api(f"/v1/compliance?agent_id={demo['id']}&limit=1")["packages"][0]
        driver.get(f"{BASE}/ui/packages/{newer['id']}/diff?against={package['id']}")
        accessible(driver, "diff")
        contrast(driver, "diff")

        # A form posted with another token than the session's is refused, and generates nothing.
        forge = """
          const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];
          const i = document.createElement('input'); i.name = 'csrf'; i.value = arguments[1]; f.appendChild(i);
          document.body.appendChild(f); f.submit();"""
        driver.execute_script(forge, f"/ui/agents/{demo['id']}/generate", "0" * 64)
        time.sleep(0.5)
        check("did not come from this site" in driver.page_source, "a form without the session's CSRF token is refused")
        after = api(f"/v1/compliance?agent_id={demo['id']}&limit=1")["packages"][0]
        check(after["version"] == newer["version"], "… and generates nothing")
        driver.find_element(By.LINK_TEXT, "Back to the agents").click()
        sign_out(driver)

        # A viewer reads everything but has no button to generate, and a forged form is a 403.
        sign_in(driver, VIEWER)
        driver.get(f"{BASE}/ui/agents/{demo['id']}")
        check(driver.find_elements(By.XPATH, "//button[normalize-space()='Generate a new package']") == [],
              "a viewer is offered no button to generate")
        csrf = driver.find_element(By.CSS_SELECTOR, "header form input[name=csrf]").get_attribute("value")
        driver.execute_script(forge, f"/ui/agents/{demo['id']}/generate", csrf)
        time.sleep(0.5)
        check("viewer role may not" in driver.page_source, "a viewer's generate form answers 403")
        screenshot(driver, "06-viewer-refused")
        after = api(f"/v1/compliance?agent_id={demo['id']}&limit=1")["packages"][0]
        check(after["version"] == newer["version"], "… and generates nothing")
        driver.get(f"{BASE}/ui/packages/{package['id']}")
        check(driver.find_element(By.TAG_NAME, "h1").text.startswith("triage-agent"), "a viewer reads the package")
        sign_out(driver)

        # Another org's admin sees none of it: its ids are 404 pages.
        sign_in(driver, OUTSIDER)
        for path in [f"/ui/agents/{demo['id']}", f"/ui/packages/{package['id']}",
                     f"/ui/packages/{package['id']}/pdf"]:
            driver.get(BASE + path)
            check(driver.find_element(By.TAG_NAME, "h1").text.startswith("404"),
                  f"another org's {path.split('/')[2]} is a 404 page")
        screenshot(driver, "07-other-org-404")
    finally:
        driver.quit()


def main():
    package, demo = admins_journey()
    scripted_checks(package, demo)
    print(f"{len(passed)} checks passed; screenshots in {ARTIFACTS}")


if __name__ == "__main__":
    main()
