"""The studio's JSON API and pages, driven with httpx (Starlette's TestClient) against the app.

Covers the issue's safety list: ``../../etc/passwd``, an oversized upload, a non-audio upload
named .wav, missing CSRF, a missing token when bound beyond loopback, escaping of a title like
``<script>``; and the jobs: check, fix, interrupted on restart.
"""

from __future__ import annotations

import time

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from syncready.demo import make_demo_track  # noqa: E402
from syncready.studio.app import create_app  # noqa: E402

LOCAL = "http://127.0.0.1"
EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    return make_demo_track(tmp_path_factory.mktemp("song") / "raw.wav")


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A running app (lifespan: one worker) and a client holding its CSRF value."""
    root = tmp_path_factory.mktemp("studio")
    app = create_app(root / "data", f"sqlite:///{root / 'catalog.sqlite'}", workers=1)
    with TestClient(app, base_url=LOCAL) as client:
        client.headers["X-CSRF-Token"] = client.get("/api/csrf").json()["csrf_token"]
        yield client


def _upload(client, path, name="song.wav", **headers):
    with open(path, "rb") as f:
        return client.post("/api/tracks", files=[("files", (name, f, "audio/wav"))], headers=headers)


def _wait(client, job: dict, timeout_s: float = 180) -> dict:
    deadline = time.monotonic() + timeout_s
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job {job['kind']} did not finish: {job}"
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    return job


@pytest.fixture(scope="module")
def checked(studio, song):
    """The demo song uploaded (named like an attack) and checked."""
    r = _upload(studio, song, name=f"{EVIL}.wav")
    assert r.status_code == 201, r.text
    track = r.json()["tracks"][0]
    assert _wait(studio, track["job"])["state"] == "done"
    return track["id"]


def test_upload_check_and_findings_with_fix_steps(studio, checked):
    doc = studio.get(f"/api/tracks/{checked}").json()
    assert doc["verdict"] == "fail"  # the demo export is too loud, late and cut off
    steps = {f["check"]: f["step"] for f in doc["findings"]}
    assert steps["loudness.integrated"] == "master" and steps["timing.head"] == "trim" and steps["music.ending"] == "end"
    assert steps["spectrum.bandwidth"] is None  # nothing repairs a cut top end
    assert doc["view"]["envelope"] and doc["view"]["beats"] and doc["view"]["sections"]
    assert doc["check"]["file"] == f"{EVIL}.wav"  # display name, not the stored path
    assert doc["players"][0]["name"] == "original" and doc["players"][0]["gain_db"] == 0.0


def test_same_upload_twice_is_one_track(studio, song, checked):
    r = _upload(studio, song, name="again.wav")
    assert r.status_code == 201
    assert r.json()["tracks"][0]["id"] == checked and r.json()["tracks"][0]["new"] is False


def test_names_are_escaped_everywhere(studio, checked):
    for url in ("/", f"/tracks/{checked}", f"/tracks/{checked}/rights"):
        page = studio.get(url).text
        assert EVIL not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in studio.get(f"/tracks/{checked}").text


def test_script_title_in_rights_is_escaped_in_the_library(studio, checked):
    fields = {"title": "<script>alert(1)</script>", "writers-0-name": "Ada Writer", "writers-0-share": "100",
              "service": "Suno", "plan": "Pro", "origin-melody": "ai", "origin-lyrics": "human"}
    r = studio.put(f"/api/tracks/{checked}/rights", json=fields)
    assert r.status_code == 200 and r.json()["valid"] is True
    catalog = [j for j in studio.get(f"/api/tracks/{checked}").json()["jobs"].values() if j and j["kind"] == "catalog"][0]
    assert _wait(studio, catalog)["state"] == "done"
    page = studio.get("/library").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    rows = studio.get("/api/library", params={"q": "script"}).json()
    assert [r["title"] for r in rows] == ["<script>alert(1)</script>"] and rows[0]["url"] == f"/tracks/{checked}"


def test_rights_validation_uses_the_record_rules(studio, checked):
    bad_shares = {"title": "T", "writers-0-name": "A", "writers-0-share": "60", "writers-1-name": "B", "writers-1-share": "30"}
    a = studio.post(f"/api/tracks/{checked}/rights/validate", json=bad_shares).json()
    assert a["valid"] is False and any(i["field"] == "work.writers" and "90%" in i["message"] for i in a["issues"])
    a = studio.post(f"/api/tracks/{checked}/rights/validate", json={"title": "T", "iswc": "T-034.524.680-2"}).json()
    assert a["valid"] is False and a["error"].startswith("work.iswc")
    r = studio.put(f"/api/tracks/{checked}/rights", json={"title": "T", "writers-0-name": "A", "writers-0-share": "lots"})
    assert r.status_code == 422 and "work.writers.0.share" in r.json()["detail"]
    good = {"title": "T", "writers-0-name": "A", "writers-0-share": "100", "service": "Suno", "plan": "Free", "origin-melody": "ai"}
    a = studio.post(f"/api/tracks/{checked}/rights/validate", json=good).json()
    assert a["valid"] is True and a["advice"]["classification"]["label"] == "ai_generated"
    assert "sync" not in a["advice"]["ready_for"]


def test_fix_step_renders_an_output_with_its_loudness(studio, checked):
    job = studio.post(f"/api/tracks/{checked}/jobs/fix", json={"step": "master"}).json()
    done = _wait(studio, job)
    assert done["state"] == "done", done
    players = {p["name"]: p for p in studio.get(f"/api/tracks/{checked}").json()["players"]}
    master, original = players["master"], players["original"]
    assert master["integrated_lufs"] == pytest.approx(-14.0, abs=0.6)  # sync-library's target
    assert original["integrated_lufs"] > master["integrated_lufs"] + 3  # the raw export is far louder
    assert master["gain_db"] == 0.0 and original["gain_db"] < -3  # the louder one is turned down to match
    audio = studio.get(master["url"])
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"


def test_unknown_fix_step_and_unknown_job(studio, checked):
    assert studio.post(f"/api/tracks/{checked}/jobs/fix", json={"step": "rm -rf"}).status_code == 400
    assert studio.post(f"/api/tracks/{checked}/jobs/format-disk").status_code == 400
    assert studio.post(f"/api/tracks/{'0' * 64}/jobs/fix").status_code == 404


@pytest.mark.parametrize("path", ["/api/tracks/{id}/files/..%2F..%2Fetc%2Fpasswd", "/api/tracks/{id}/files/../../etc/passwd",
                                  "/api/tracks/..%2F..%2Fetc/files/passwd", "/api/tracks/{id}/files/%2Fetc%2Fpasswd"])
def test_traversal_downloads_are_refused(studio, checked, path):
    r = studio.get(path.format(id=checked))
    assert r.status_code == 404 and b"root:" not in r.content


def test_uploaded_name_is_never_a_path(studio, tmp_path):
    other = make_demo_track(tmp_path / "other.wav", seed=3)
    r = _upload(studio, other, name="../../etc/passwd")
    assert r.status_code == 201
    row = r.json()["tracks"][0]
    assert row["name"] == "passwd"
    data = studio.app.state.storage.root
    assert sorted(p.name for p in (data / "tracks" / row["id"]).iterdir() if p.is_file())[0].startswith("original")
    assert not (data.parent / "etc").exists() and not (data / "etc").exists()


def test_missing_or_wrong_csrf_is_refused(studio, song):
    for headers in ({"X-CSRF-Token": ""}, {"X-CSRF-Token": "forged"}):
        assert _upload(studio, song, **headers).status_code == 403
    r = studio.post("/upload", data={"profile": "sync-library"}, headers={"X-CSRF-Token": ""})
    assert r.status_code == 403
    r = studio.post("/api/tracks", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403


def test_form_post_with_csrf_field_works(studio, checked):
    token = studio.cookies.get("syncready_csrf")
    r = studio.post(f"/tracks/{checked}/jobs/check", data={"csrf_token": token}, headers={"X-CSRF-Token": ""},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/tracks/{checked}"


def test_pages_and_docs(studio, checked):
    for url in ("/", "/library", f"/tracks/{checked}", f"/tracks/{checked}/rights", "/docs"):
        r = studio.get(url)
        assert r.status_code == 200, url
        assert "cdn" not in r.text.lower() and "https://" not in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
    spec = studio.get("/openapi.json").json()
    assert "/api/tracks" in spec["paths"] and "/api/tracks/{track_id}/jobs/{kind}" in spec["paths"]
    assert studio.get("/static/vendor/wavesurfer/wavesurfer.min.js").status_code == 200
    assert studio.get("/tracks/not-a-track").status_code == 404


# ------------------------------------------------------------------ no worker pool needed below
@pytest.fixture
def bare(tmp_path):
    """An app without its lifespan (no pool): for requests refused before any job starts."""
    def make(**options):
        app = create_app(tmp_path / "data", f"sqlite:///{tmp_path / 'catalog.sqlite'}", **options)
        client = TestClient(app, base_url=LOCAL)
        if not options.get("token"):
            client.headers["X-CSRF-Token"] = client.get("/api/csrf").json()["csrf_token"]
        return client
    return make


def test_oversized_upload_is_refused(bare, tmp_path):
    client = bare(max_upload=200_000)
    big = tmp_path / "big.wav"
    big.write_bytes(b"RIFF" + bytes(1_500_000))  # over the per-file limit and the body limit (file + 1 MiB slack)
    r = _upload(client, big)
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    assert not any((client.app.state.storage.root / "tracks").iterdir())
    assert not any((client.app.state.storage.root / "incoming").iterdir())


def test_oversized_file_within_body_slack_is_refused_by_content_count(bare, tmp_path):
    client = bare(max_upload=200_000)
    big = tmp_path / "big.wav"
    big.write_bytes(bytes(250_000))  # under the body limit (file + slack), over the per-file limit
    r = _upload(client, big)
    assert r.status_code == 413 and r.json()["rejected"][0]["status"] == 413


def test_non_audio_named_wav_is_refused(bare, tmp_path):
    client = bare()
    fake = tmp_path / "song.wav"
    fake.write_text("this is not audio, whatever its name says\n" * 100)
    r = _upload(client, fake)
    assert r.status_code == 415
    assert r.json()["rejected"][0]["error"].startswith("song.wav: ") and str(tmp_path) not in r.text
    assert not any((client.app.state.storage.root / "tracks").iterdir())


def test_token_required_beyond_loopback(bare):
    client = bare(token="s3cret-token")
    fresh = TestClient(client.app, base_url="http://192.0.2.10:8750")
    assert fresh.get("/api/tracks").status_code == 401
    assert fresh.get("/", params={"token": "wrong"}).status_code == 401
    assert fresh.get("/api/tracks", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    r = fresh.get("/", params={"token": "s3cret-token"})
    assert r.status_code == 200 and fresh.cookies.get("syncready_token") == "s3cret-token"
    assert fresh.get("/library").status_code == 200  # the cookie now carries it


def test_loopback_only_host_names_without_token(bare):
    client = bare()
    assert client.get("/api/tracks", headers={"Host": "evil.example:8750"}).status_code == 421
    assert client.get("/api/tracks", headers={"Host": "localhost:8750"}).status_code == 200


def test_restart_marks_unfinished_jobs_interrupted(bare, song):
    client = bare()
    storage = client.app.state.storage
    with open(song, "rb") as f:
        row, _ = storage.receive(f, "x.wav", "sync-library", 10**9)
    now = time.time()
    running = storage.execute("INSERT INTO jobs (track, kind, state, created, updated) VALUES (?, 'package', 'running', ?, ?)",
                              (row["id"], now, now))
    done = storage.execute("INSERT INTO jobs (track, kind, state, created, updated) VALUES (?, 'check', 'done', ?, ?)",
                           (row["id"], now, now))
    restarted = create_app(storage.root, client.app.state.db_url, workers=1)
    with TestClient(restarted, base_url=LOCAL) as again:
        assert again.app.state.interrupted == 1
        assert again.get(f"/api/jobs/{running}").json()["state"] == "interrupted"
        assert again.get(f"/api/jobs/{done}").json()["state"] == "done"


def test_no_zip_before_a_package(studio, checked):
    assert studio.get(f"/api/tracks/{checked}/files/delivery.zip").status_code == 404
