"""The built site in a real browser: headless Chromium over the pages served on localhost, with the network cut off.

Every host but localhost fails to resolve (`--host-resolver-rules`), so a page that needs a CDN shows it as a
console error or as untypeset math. Screenshots of a chapter in light and dark theme go to _build/screenshots/.
"""

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import book
import pytest

ROOT = book.ROOT
CHAPTERS = book.chapter_sources()
SHOTS = ROOT / "_build" / "screenshots"
# A page load costs about two seconds: every chapter is loaded while the book is small, an even spread of 40 (every
# part included) once it is large, so that the browser phase of CI stays within a few minutes at 336 chapters.
# BROWSER_ALL=1 loads every chapter; every chapter also gets the browser-free checks below.
BROWSER_SAMPLE = 40


def browser_sample(chapters: list[Path], size: int = BROWSER_SAMPLE) -> list[Path]:
    import os

    if len(chapters) <= size or os.environ.get("BROWSER_ALL"):
        return chapters
    firsts = {md.parent: md for md in reversed(chapters)}  # the first chapter of each part
    step = len(chapters) / (size - len(firsts))
    spread = {chapters[int(i * step)] for i in range(size - len(firsts))}
    return sorted(set(firsts.values()) | spread)


IN_BROWSER = browser_sample(CHAPTERS)

pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def site(built_site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_site["html"]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.fail("Debian's chromium and chromium-driver are needed (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--window-size=1280,1600", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def page_url(site, md: Path) -> str:
    return f"{site}/{md.relative_to(ROOT).with_suffix('.html')}"


def wait_for(driver, script: str, timeout: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def console_errors(driver) -> list[str]:
    """Severe console messages, less the browser's own request for /favicon.ico (the book has no icon)."""
    entries = driver.get_log("browser")
    return [e["message"] for e in entries if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]


# Every typeset formula of the article must be readable: what shows it (the formula itself, or the outermost box
# that scrolls it sideways, such as the formula's own box or a table's scroll container) lies inside the viewport and
# is not cut off by a box around it that clips (overflow: hidden or clip). Formulas in folded blocks (display: none)
# have an empty rectangle and are skipped.
MATH_OVERFLOW = """
    const width = document.documentElement.clientWidth, bad = [];
    const article = document.querySelector('.bd-article');
    const overflowX = el => getComputedStyle(el).overflowX;
    for (const math of article.querySelectorAll('mjx-container')) {
        const r = math.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        let shown = math;
        for (let box = math; box && box !== article; box = box.parentElement)
            if (['auto', 'scroll'].includes(overflowX(box))) shown = box;
        const s = shown.getBoundingClientRect();
        let cut = s.left < -1 || s.right > width + 1;
        for (let box = shown.parentElement; box && box !== document.body; box = box.parentElement) {
            const c = box.getBoundingClientRect();
            if (['hidden', 'clip'].includes(overflowX(box)) && (s.left < c.left - 1 || s.right > c.right + 1))
                cut = true;
        }
        if (cut) bad.push([math.textContent.slice(0, 60), Math.round(s.left), Math.round(s.right)]);
    }
    return {bad, width, inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
            count: article.querySelectorAll('mjx-container').length};"""


def check_math_fits(browser, width: int) -> None:
    found = browser.execute_script(MATH_OVERFLOW)
    assert abs(found["inner"] - width) <= 20, f"the window is {found['inner']} px wide, not {width}"
    assert found["count"] > 0
    assert found["bad"] == [], f"at {width} px these formulas run off the page: {found['bad']}"
    assert found["scroll"] <= found["inner"] + 1, f"at {width} px the page scrolls sideways ({found['scroll']} px)"


def check_explore_slider(browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    slider = browser.find_element(By.CSS_SELECTOR, ".dlm-explore input[type=range]")
    visible = ("return Array.from(document.querySelectorAll('.dlm-explore img'))"
               ".findIndex(i => i.offsetParent !== null)")
    label = browser.find_element(By.CSS_SELECTOR, ".dlm-explore-value").text
    before = browser.execute_script(visible)
    browser.execute_script("arguments[0].scrollIntoView()", slider)
    slider.send_keys(Keys.HOME if before > 0 else Keys.END)
    after = browser.execute_script(visible)
    assert after != before and browser.find_element(By.CSS_SELECTOR, ".dlm-explore-value").text != label


def check_colab_links(browser, md: Path) -> None:
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href*=\"colab.research.google.com\"]')).map(a => a.href)")
    assert links, "no Colab launch button"
    for link in links:
        path = re.sub(r"^/github/[^/]+/[^/]+/blob/[^/]+/", "", urlparse(link).path)
        assert path == str(md.relative_to(ROOT).with_suffix(".ipynb")) and (ROOT / path).exists(), link
    assert book.repo_url().split("github.com/")[1] in links[0]


@pytest.mark.parametrize("md", IN_BROWSER, ids=lambda md: md.stem)
def test_chapter_page_in_a_browser(browser, site, md):
    """One load per chapter, offline: math typeset, figures drawn, no console error, the Colab button pointing at
    the committed notebook, the static explore slider changing the figure, and no formula running off the page at
    desktop (1280 px) or phone (390 px) width: a formula too wide for the column scrolls in its own box."""
    size = browser.get_window_size()
    try:
        browser.set_window_size(1280, 1600)
        browser.get_log("browser")  # drop messages from earlier pages
        browser.get(page_url(site, md))
        wait_for(browser, "return document.querySelectorAll('mjx-container').length > 0")  # MathJax typeset
        browser.execute_async_script("const done = arguments[arguments.length - 1]; "
                                     "MathJax.startup.promise.then(() => done(true));")
        images = browser.execute_script("return Array.from(document.querySelectorAll('.cell_output img'))"
                                        ".map(i => [i.naturalWidth, i.naturalHeight])")
        assert images and all(w > 50 and h > 50 for w, h in images), f"empty or missing figures: {images}"
        check_colab_links(browser, md)
        check_math_fits(browser, 1280)
        check_explore_slider(browser)
        browser.set_window_size(390, 900)
        browser.execute_script("window.scrollTo(0, 0)")
        check_math_fits(browser, 390)
        assert console_errors(browser) == []
    finally:
        browser.set_window_size(size["width"], size["height"])


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda md: md.stem)
def test_every_chapter_page_has_figures_slider_and_colab_link(built_site, md):
    """Without a browser, for every chapter (the browser test loads a sample once the book is large): the page
    carries figures, the static explore slider with a frame per value, and the Colab button."""
    page = (built_site["html"] / md.relative_to(ROOT).with_suffix(".html")).read_text()
    assert "cell_output" in page and "<img" in page, "no figure in the page"
    slider = re.search(r'<div class="dlm-explore".*?max="(\d+)"', page, re.S)
    assert slider, "no static explore slider"
    frames = page[slider.start():].count('data-value="')
    assert frames >= int(slider.group(1)) + 1, "the slider has fewer frames than values"
    assert str(md.relative_to(ROOT).with_suffix(".ipynb")) in page and "colab.research.google.com" in page


def test_search_finds_a_chapter_by_a_title_word(browser, site):
    md = CHAPTERS[0]
    word = max(re.findall(r"[A-Za-z]{6,}", re.search(r"^# (.+)$", md.read_text(), re.M).group(1)), key=len).lower()
    browser.get(f"{site}/search.html?q={word}")
    target = str(md.relative_to(ROOT).with_suffix(".html"))
    found = f"return Array.from(document.querySelectorAll('#search-results a')).some(a => a.href.includes('{target}'))"
    wait_for(browser, found, timeout=30)


def test_dark_theme_keeps_figures_legible_and_screenshots(browser, site):
    SHOTS.mkdir(parents=True, exist_ok=True)
    md = CHAPTERS[0]
    for theme in ("light", "dark"):
        browser.get(page_url(site, md))
        browser.execute_script(f"localStorage.setItem('theme', '{theme}'); localStorage.setItem('mode', '{theme}');")
        browser.refresh()
        wait_for(browser, f"return document.documentElement.dataset.theme === '{theme}'")
        wait_for(browser, "return document.querySelectorAll('mjx-container').length > 0")
        figure = browser.execute_script("const i = document.querySelector('.cell_output img'); i.scrollIntoView(); "
                                        "return i")
        browser.save_screenshot(str(SHOTS / f"{md.stem}-{theme}.png"))
        # Figures are opaque white cards with dark ink: the page's background never shows through the plot.
        corners = browser.execute_script("""
            const img = arguments[0], c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            const px = (x, y) => Array.from(g.getImageData(x, y, 1, 1).data);
            return [px(2, 2), px(c.width - 3, 2), px(2, c.height - 3), px(c.width - 3, c.height - 3)];""", figure)
        assert all(p[3] == 255 and min(p[:3]) >= 240 for p in corners), corners
    assert (SHOTS / f"{md.stem}-light.png").stat().st_size > 10_000


def test_ledger_is_grouped_by_part_with_a_legible_figure(browser, site):
    """The ledger: a heading per part, checks folded per chapter, and its overview figure drawn dark on white."""
    from selenium.webdriver.common.by import By

    browser.get(f"{site}/ledger.html")
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".bd-article h2")]
    for part, title in book.part_titles().items():
        assert any(h.startswith(title) for h in headings), f"no heading for {part}"
    folded = browser.find_elements(By.CSS_SELECTOR, ".bd-article details.sd-dropdown")
    assert folded and not any(d.get_attribute("open") for d in folded), "the checks should be folded"
    figure = browser.find_element(By.CSS_SELECTOR, ".bd-article figure img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", figure) > 300
    corners = browser.execute_script("""
        const img = arguments[0], c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0, c.width, c.height);
        const px = (x, y) => Array.from(g.getImageData(x, y, 1, 1).data);
        return [px(2, 2), px(c.width - 3, 2), px(2, c.height - 3), px(c.width - 3, c.height - 3)];""", figure)
    assert all(p[3] == 255 and min(p[:3]) >= 240 for p in corners), corners
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "ledger.png"))


def test_exercise_solutions_are_hidden_until_opened(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(page_url(site, CHAPTERS[0]))
    solutions = browser.find_elements(By.CSS_SELECTOR, ".solution.dropdown")
    exercises = browser.find_elements(By.CSS_SELECTOR, ".exercise")
    assert len(exercises) >= 3 and len(solutions) >= len(exercises)
    folded = ("return arguments[0].classList.contains('toggle-hidden') "
              "&& arguments[0].getBoundingClientRect().height < 80")
    assert all(browser.execute_script(folded, s) for s in solutions), "a solution is visible before it is opened"
    first = solutions[0]
    browser.execute_script("arguments[0].scrollIntoView()", first)
    first.find_element(By.CSS_SELECTOR, "button.toggle-button").click()
    wait_for(browser, "const s = document.querySelector('.solution.dropdown'); "
                      "return !s.classList.contains('toggle-hidden') && s.getBoundingClientRect().height > 80")


def test_teaching_page_offers_every_notebook_as_one_archive(built_site):
    """Two downloads: the notebooks with solutions, and the student version with every solution removed."""
    import zipfile

    html = built_site["html"]
    page = (html / "teaching.html").read_text()
    for name in ("notebooks.zip", "notebooks-student.zip"):
        link = re.search(rf'href="(_downloads/[^"]+/{re.escape(name)})"', page)
        assert link, f"no download link to {name}"
        archive = zipfile.ZipFile(html / link.group(1))
        names = archive.namelist()
        for md in CHAPTERS:
            assert f"dl-in-miniature/{md.relative_to(ROOT).with_suffix('.ipynb')}" in names, f"{md.name} not in {name}"
        solutions = sum(archive.read(n).decode().count("{solution") for n in names)
        assert (solutions == 0) == (name == "notebooks-student.zip"), f"{name}: {solutions} solution blocks"


def test_browser_sample_covers_every_part_and_stays_small():
    fake = [ROOT / "chapters" / f"{p:02d}-part" / f"c{i:03d}.md" for p in range(1, 13) for i in range(28)]
    sample = browser_sample(fake)
    assert len(sample) <= BROWSER_SAMPLE and {md.parent for md in sample} == {md.parent for md in fake}
    assert browser_sample(fake[:30]) == fake[:30]
