"""End to end in a real browser: Debian's chromium (headless) driven by Playwright against
``syncready serve`` started in a subprocess on a free port.

Upload a rendered 3-minute song, wait for the findings, click a fix, render and play the :30,
fill the rights form (live validation), build the delivery, download the zip and check its
manifest.json. Logs "upload to first findings: X s" and the track page's server time while
the package job runs (measured, never asserted); screenshots of the main pages go to
``build/studio-screenshots/`` (git-ignored). Skips when chromium or Playwright is missing;
the browser is never downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "build" / "studio-screenshots"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium; `make install` as root)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (extra 'studio')")


def _rendered_song(path: Path, bars: int = 90) -> Path:
    """A 3-minute rendered pop song (120 BPM) with a raw export's faults: late start, over-loud
    saturated master, hard stop; 44.1 kHz 16-bit."""
    from syncready.audio import Audio, save
    from syncready.demo import SAMPLE_RATE, synthesize

    mix = np.tanh(synthesize(bars=bars, seed=11) * 4.0)
    mix *= 0.999 / np.abs(mix).max()
    head = np.zeros((2, round(1.2 * SAMPLE_RATE)))
    save(Audio(np.concatenate([head, mix], axis=1).astype(np.float32), SAMPLE_RATE), path, bit_depth=16, overwrite=True)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    exe = shutil.which("syncready", path=str(Path(sys.executable).parent)) or "syncready"
    log = open(root / "server.log", "w")
    proc = subprocess.Popen([exe, "serve", "--port", str(port), "--data", str(root / "data"), "--db", str(root / "catalog.sqlite")],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/limits", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (root / "server.log").read_text()
        time.sleep(0.3)
    time.sleep(3)  # let the workers finish warming up, as on a server that has been running
    yield base, root
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_upload_fix_listen_document_deliver(server, tmp_path):
    import httpx

    base, root = server
    song = _rendered_song(tmp_path / "Night Drive.wav")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--autoplay-policy=no-user-gesture-required", "--no-sandbox"])
        page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)

        page.goto(base + "/")
        _shot(page, "1-upload")
        page.set_input_files("#files", str(song))
        started = time.perf_counter()
        page.click("#upload button[type=submit]")
        page.wait_for_url("**/tracks/*")
        page.wait_for_selector("#findings tbody tr")
        seconds = time.perf_counter() - started
        print(f"\nupload to first findings: {seconds:.2f} s (3-min track, 44.1 kHz 16-bit, {song.stat().st_size / 1e6:.1f} MB)")
        track_url = page.url
        track_id = track_url.rstrip("/").rsplit("/", 1)[1]
        assert page.locator("#findings").inner_text().count("fail") >= 1
        page.wait_for_selector("#overlay .section")
        page.wait_for_selector("#loudness svg polyline")
        _shot(page, "2-track-findings")

        # a fix: the finding's own button (master the loudness)
        page.click("#findings button[data-step=master]")
        page.wait_for_selector('#players tr[data-name="master"]', timeout=180_000)

        # render the edits and play the :30, level-matched
        page.click('form.job[data-kind="edits"] button')
        page.wait_for_selector('#players audio[data-name="cut30"]', timeout=300_000)
        cut = page.locator('#players audio[data-name="cut30"]')
        assert float(cut.evaluate("a => a.volume")) == pytest.approx(float(cut.get_attribute("data-volume")), abs=1e-3)
        page.locator('#players tr[data-name="cut30"] button.ab').click()  # A/B: jumps from the original to the :30
        cut.evaluate("a => a.play()")
        page.wait_for_function("() => document.querySelector('#players audio[data-name=\"cut30\"]').currentTime > 0.3")
        assert cut.evaluate("a => Math.abs(a.duration - 30) < 0.05")
        _shot(page, "3-track-outputs")

        # the rights form, validated live
        page.goto(f"{track_url}/rights")
        page.fill("input[name=title]", "Night Drive")
        page.fill("input[name=writers-0-name]", "Ada Writer")
        page.fill("input[name=writers-0-share]", "60")
        page.wait_for_function("() => document.querySelector('#rights-issues') && document.querySelector('#rights-issues').textContent.includes('60%')")
        page.fill("input[name=writers-0-share]", "100")
        page.fill("input[name=service]", "Suno")
        page.fill("input[name=plan]", "Pro")
        page.select_option("select[name=origin-melody]", "ai")
        page.select_option("select[name=origin-lyrics]", "human")
        page.fill("textarea[name=lyrics]", "Night drive, city light")
        page.wait_for_function("() => document.querySelector('#rights-verdict') && document.querySelector('#rights-verdict').textContent === 'VALID'")
        assert "Ready for" in page.locator("#assessment").inner_text()
        _shot(page, "4-rights")
        page.click("#rights button[type=submit]")
        page.wait_for_selector("#rights-saved")

        # build the delivery; the track page stays responsive meanwhile
        page.goto(track_url)
        page.click('form.job[data-kind="package"] button')
        page.wait_for_selector('.job-state[data-kind="package"] progress')
        timings = []
        while page.locator("#delivery-zip").count() == 0:
            start = time.perf_counter()
            assert httpx.get(track_url, timeout=30).status_code == 200
            timings.append(time.perf_counter() - start)
            page.wait_for_timeout(700)
            assert page.locator('.job-state[data-kind="package"] .state.failed').count() == 0, (root / "server.log").read_text()
        if timings:
            print(f"track page while packaging: {len(timings)} requests, median {1000 * sorted(timings)[len(timings) // 2]:.0f} ms,"
                  f" max {1000 * max(timings):.0f} ms")
        _shot(page, "5-track-delivery")
        with page.expect_download() as download:
            page.click("#delivery-zip")
        target = tmp_path / "delivery.zip"
        download.value.save_as(target)

        page.goto(base + "/library")
        page.wait_for_selector("#library tbody tr")
        assert "Night Drive" in page.locator("#library").inner_text()
        _shot(page, "6-library")
        page.goto(base + "/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        browser.close()

    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("delivery/manifest.json"))
    assert manifest["source"]["sha256"] == hashlib.sha256(song.read_bytes()).hexdigest() == track_id
    kinds = {f["kind"] for f in manifest["files"]}
    assert {"master", "cutdown", "loop", "sting", "sheet", "report"} <= kinds
    assert all(f"delivery/{f['path']}" in names for f in manifest["files"])
    assert any(f["path"].startswith("Night Drive") for f in manifest["files"] if f["kind"] == "master")
    assert [m["document"] for m in manifest["missing"]] == []  # the saved record made every sheet, lyrics included
