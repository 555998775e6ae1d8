"""End-to-end check of the Bantam console and APIs (run through scripts/e2e-console).

1. The console in headless Chromium (WebDriver protocol, spoken here over plain HTTP): the page loads
   with the model listed, a generation is submitted from the form, progress shows, the image appears on
   the stage and in the gallery; "reuse parameters" puts its seed back; the page fits a phone screen.
2. The A1111 routes through the `webuiapi` client: models, options, samplers, txt2img (twice with the
   same seed: the same pixels), progress.
3. A crash: the server is killed (SIGKILL) while a job runs; the restarted server marks it interrupted
   and keeps the rest of the history; SIGTERM then stops it cleanly.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bantam_server import BantamServer  # noqa: E402

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CHECKS = []


def check(condition, what):
    CHECKS.append((bool(condition), what))
    print(f"   {'ok  ' if condition else 'FAIL'} {what}")
    if not condition:
        raise AssertionError(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """The few WebDriver commands the test needs (W3C WebDriver, JSON over HTTP to chromedriver)."""

    def __init__(self, chromedriver, chromium):
        self.port = free_port()
        self.process = subprocess.Popen([chromedriver, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while True:
            try:
                self._raw("GET", "/status")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        capabilities = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--no-first-run", "--disable-extensions"]}}}}
        self.session = self._raw("POST", "/session", capabilities)["value"]["sessionId"]

    def _raw(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"WebDriver {method} {path}: {error.code} {error.read()[:500]}")

    def cmd(self, method, path, body=None):
        return self._raw(method, f"/session/{self.session}{path}", body)["value"]

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def find(self, css):
        return self.cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css):
        self.cmd("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        element = self.find(css)
        self.cmd("POST", f"/element/{element}/clear", {})
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait(self, script, what, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.js(script)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for: {what}")

    def size(self, width, height):
        self.cmd("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.cmd("GET", "/screenshot")))

    def quit(self):
        try:
            self._raw("DELETE", f"/session/{self.session}")
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)


def console_test(server, artifacts, size):
    print("== console in headless Chromium")
    driver = WebDriver(shutil.which("chromedriver"), shutil.which("chromium"))
    try:
        driver.go(server.url + "/")
        driver.wait("return document.querySelector('#model option[value=\"flux-tiny\"]') !== null", "the model list")
        check(driver.js("return document.getElementById('no-models').hidden"), "no 'add a model' banner with a model present")
        check(driver.js("return document.getElementById('model').value") == "flux-tiny", "flux-tiny is selected")
        driver.type("#prompt", "a photo of a cyberpunk city at night, intricate details")
        driver.js("const s = document.getElementById('size'); s.value = 'custom'; s.dispatchEvent(new Event('change'));")
        driver.type("#width", str(size))
        driver.type("#height", str(size))
        driver.js("const s = document.getElementById('steps'); s.value = 8; s.dispatchEvent(new Event('input'));")
        driver.type("#seed", "1234")
        driver.click("#generate")
        # Progress shows while it runs (it may be quick: the progress box or the finished image); a refused
        # form shows its error at once, which fails here instead of after a long wait.
        driver.wait("return !document.getElementById('progress').hidden || document.querySelector('#gallery .item') !== null"
                    " || !document.getElementById('form-error').hidden", "progress, a result or a form error")
        error = driver.js("return document.getElementById('form-error').hidden ? '' : document.getElementById('form-error').textContent")
        check(not error, f"the form is accepted (error shown: {error!r})")
        item = driver.wait("const i = document.querySelector('#gallery .item'); return i ? i.dataset.id : null",
                           "the image in the gallery", timeout=300)
        check(item, f"the generation appears in the gallery ({item})")
        error = driver.js("return document.getElementById('form-error').hidden ? '' : document.getElementById('form-error').textContent")
        check(not error, f"no error on the form {error!r}")
        natural = driver.wait("const i = document.getElementById('stage-image'); return i.complete && !i.hidden && !i.classList.contains('preview') && i.naturalWidth ? [i.naturalWidth, i.naturalHeight] : null",
                              "the result on the stage")
        check(natural == [size, size], f"the result is {size}×{size} on the stage (got {natural})")
        caption = driver.js("return document.getElementById('stage-caption').textContent")
        check("seed 1234" in caption and "8 steps" in caption, f"the result shows its parameters ({caption!r})")
        status, job = server.request("GET", f"/api/v1/jobs/{item.split('-')[0]}")
        check(job["status"] == "succeeded" and job["source"] == "console" and job["parameters"]["seed"] == 1234,
              "the job is in the history, from the console, seed 1234")
        # Reuse parameters after changing the seed.
        driver.type("#seed", "-1")
        driver.click("#result-reuse")
        check(driver.js("return document.getElementById('seed').value") == "1234", "'reuse parameters' restores seed 1234")
        if artifacts:
            driver.screenshot(os.path.join(artifacts, "console-desktop.png"))
        # A phone screen: one column, nothing wider than the screen.
        driver.size(390, 844)
        time.sleep(0.3)
        overflow = driver.js("return document.documentElement.scrollWidth - window.innerWidth")
        check(overflow <= 0, f"no horizontal scrolling on a 390 px wide screen (overflow {overflow} px)")
        if artifacts:
            driver.screenshot(os.path.join(artifacts, "console-phone.png"))
    finally:
        driver.quit()


def webuiapi_test(server, size):
    print("== A1111 routes with webuiapi")
    import webuiapi
    api = webuiapi.WebUIApi(host="127.0.0.1", port=server.port, sampler="Euler", steps=4)
    models = api.get_sd_models()
    check([m["title"] for m in models] == ["flux-tiny"], f"sd-models lists flux-tiny ({[m['title'] for m in models]})")
    check(api.get_options()["sd_model_checkpoint"] == "flux-tiny", "options name the current model")
    api.util_set_model("flux-tiny")
    check(api.util_get_sampler_names() == ["Euler"], "samplers: Euler")
    first = api.txt2img(prompt="a red fox in the snow", seed=42, steps=4, width=size, height=size, cfg_scale=1.0)
    check(first.image.size == (size, size), f"txt2img returns a {size}×{size} image")
    check(first.info["all_seeds"] == [42], f"info lists the seed ({first.info.get('all_seeds')})")
    check("Seed: 42" in first.info["infotexts"][0], "infotext has the seed")
    second = api.txt2img(prompt="a red fox in the snow", seed=42, steps=4, width=size, height=size, cfg_scale=1.0)
    check(first.image.tobytes() == second.image.tobytes(), "the same seed gives the same pixels")
    batch = api.txt2img(prompt="two foxes", seed=7, steps=2, width=size, height=size, cfg_scale=1.0, batch_size=2)
    check(len(batch.images) == 2 and batch.info["all_seeds"] == [7, 8], "a batch of 2 with seeds 7 and 8")
    progress = api.get_progress()
    check("progress" in progress and "state" in progress, "progress answers")
    try:
        api.txt2img(prompt="x", width=size + 8, height=size, steps=2)
        check(False, "a width that is not a multiple of 16 is refused")
    except RuntimeError as error:
        check(error.args[0] == 422 and "multiple of 16" in error.args[1], f"a bad width is a 422 saying why ({error.args[1][:80]})")


def crash_test(server, binary, fake):
    print("== crash while a job runs, then restart")
    # Long enough to be caught running: many steps, a big batch.
    for size, batch in ((256, 4), (512, 8), (1024, 16)):
        status, job = server.request("POST", "/api/v1/jobs", {"prompt": "crash", "steps": 50, "width": size, "height": size, "batch_count": batch})
        check(status == 202, f"submitted a long job ({size}², batch {batch})")
        deadline = time.time() + 60
        while time.time() < deadline:
            current = server.get(f"/api/v1/jobs/{job['id']}")
            if current["status"] != "queued":
                break
            time.sleep(0.02)
        progress = current.get("progress") or {}
        if current["status"] == "running":
            break
        print(f"   (the job was already {current['status']}; trying a longer one)")
    check(current["status"] == "running", f"the job is running when the server is killed (step {progress.get('step')})")
    queued_status, queued = server.request("POST", "/api/v1/jobs", {"prompt": "after the crash", "steps": 2, "width": 32, "height": 32})
    before = server.get("/api/v1/jobs?limit=500")["jobs"]
    server.kill()
    restarted = BantamServer(binary, fake=fake, data=server.data).start()
    try:
        after = restarted.get(f"/api/v1/jobs/{job['id']}")
        check(after["status"] == "interrupted" and "server stopped" in (after["error"] or ""),
              f"the killed job is marked interrupted ({after['status']}: {after['error']})")
        resumed = restarted.get(f"/api/v1/jobs/{queued['id']}")
        deadline = time.time() + 120
        while resumed["status"] in ("queued", "running") and time.time() < deadline:
            time.sleep(0.1)
            resumed = restarted.get(f"/api/v1/jobs/{queued['id']}")
        check(resumed["status"] == "succeeded", "the job queued before the crash ran after the restart")
        history = {j["id"]: j for j in restarted.get("/api/v1/jobs?limit=500")["jobs"]}
        check(all(j["id"] in history for j in before), f"all {len(before)} jobs of the history survive the crash")
        kept = [i for j in before for i in j["images"]]
        served = sum(1 for i in kept if restarted.request("GET", i["url"])[0] == 200)
        check(served == len(kept), f"all {len(kept)} images made before the crash are still served")
    finally:
        code = restarted.stop()
    check(code == 0, f"SIGTERM stops the server cleanly (exit status {code})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bantam", required=True)
    parser.add_argument("--fake", action="store_true", help="test pictures instead of the tiny model")
    parser.add_argument("--artifacts", help="folder for screenshots")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--skip-browser", metavar="WHY", help="skip the Chromium part, saying why")
    parser.add_argument("--skip-webuiapi", metavar="WHY", help="skip the webuiapi part, saying why")
    args = parser.parse_args()
    if args.artifacts:
        os.makedirs(args.artifacts, exist_ok=True)
    started = time.time()
    # Each part runs even when an earlier one failed; a part stops at its first failed check.
    parts = [
        ("console in headless Chromium", args.skip_browser, lambda server: console_test(server, args.artifacts, args.size)),
        ("A1111 routes with webuiapi", args.skip_webuiapi, lambda server: webuiapi_test(server, args.size)),
        ("crash and restart", None, lambda server: crash_test(server, args.bantam, args.fake)),
    ]
    failed_parts, skipped = [], 0
    server = None
    try:
        server = BantamServer(args.bantam, fake=args.fake).start()
        for name, skip, run in parts:
            if skip:
                print(f"== SKIPPED: {name} ({skip})")
                skipped += 1
                continue
            try:
                run(server)
            except Exception as error:  # a failed check, a timeout, a driver or server error
                if not isinstance(error, AssertionError) or str(error) not in [what for ok, what in CHECKS if not ok]:
                    CHECKS.append((False, f"{name}: {error}"))   # not a check() that printed its own FAIL
                    print(f"   FAIL {name}: {error}")
                print(f"   server log: {server.log_path}")
                failed_parts.append(name)
    except Exception as error:  # the server did not start
        CHECKS.append((False, f"bantam serve starts: {error}"))
        print(f"   FAIL bantam serve starts: {error}")
        failed_parts.append("start")
    finally:
        if server and server.process and server.process.poll() is None:
            server.stop()
    passed = sum(1 for ok, _ in CHECKS if ok)
    failed = len(CHECKS) - passed
    print(f"\n== e2e-console: {passed} of {len(CHECKS)} checks passed in {time.time() - started:.0f} s"
          f" ({'test pictures' if args.fake else 'tiny FLUX model'})"
          + (f"; failed: {', '.join(failed_parts)}" if failed_parts else ""))
    # The summary line scripts/test adds to its own (checks passed and failed, parts skipped).
    print(f"e2e-console: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
