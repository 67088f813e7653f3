"""The HTML reports in a real headless browser (Debian's chromium; .ci/chromium.sh installs it in CI).

Chromium is driven over the DevTools protocol (a minimal RFC 6455 websocket
client below, standard library only): the page is loaded from a file: URL,
every console error, uncaught exception and failed load is collected, the DOM
is queried for the KPI tiles, and a screenshot is taken.  The detector is
itself checked on a page with planted errors, so "no errors" cannot pass by
listening to nothing.

Skipped with a visible reason only when chromium is absent and ``CI`` is not
set; with ``CI`` set a missing chromium fails the test.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from partsopt.io import load
from partsopt.report import simulation_report, whatif_report
from partsopt.whatif import replay_window, run_whatif
from report_data import write_network

TIMEOUT = 60.0


def _chromium() -> str | None:
    env = os.environ.get("PARTSOPT_CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def chromium_path():
    path = _chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is not installed: .ci/chromium.sh should have installed it "
                        "(apt-get install chromium), or set PARTSOPT_CHROMIUM.")
        pytest.skip("chromium is not installed (apt-get install chromium, or set PARTSOPT_CHROMIUM); "
                    "the browser test of the report is skipped outside CI")
    return path


# ----------------------------------------------------------------- a minimal websocket client
class _WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames, client masking, no extensions."""

    def __init__(self, url: str, timeout: float = TIMEOUT):
        m = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        assert m, url
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head[:200]
        self.next_id = 0

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("websocket closed")
            buf += chunk
        return bytes(buf)

    def send_text(self, text: str) -> None:
        payload = text.encode()
        header = bytearray([0x81])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 2 ** 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        header += mask
        self.sock.sendall(bytes(header) + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv_text(self) -> str:
        message = bytearray()
        while True:
            b1, b2 = self._recv_exact(2)
            fin, opcode, n = b1 & 0x80, b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            if b2 & 0x80:
                mask = self._recv_exact(4)
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(self._recv_exact(n)))
            else:
                data = self._recv_exact(n)
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode in (0x9, 0xA):  # ping / pong: ignore
                continue
            message += data
            if fin:
                return message.decode()

    def close(self) -> None:
        self.sock.close()


class _Browser:
    """Headless chromium with a DevTools session on one page."""

    def __init__(self, binary: str, tmp: Path):
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
                f"--user-data-dir={tmp / 'profile'}", "--remote-debugging-port=0", "about:blank"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.events: list[dict] = []
        deadline = time.monotonic() + TIMEOUT
        port = None
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                if self.proc.poll() is not None:
                    break
                continue
            lines.append(line)
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            self.quit()
            raise RuntimeError("chromium did not start its DevTools server:\n" + "".join(lines[-20:]))
        self.port = port
        target = self._page_target()
        self.ws = _WebSocket(target["webSocketDebuggerUrl"])
        for method in ("Runtime.enable", "Log.enable", "Page.enable"):
            self.call(method)

    def _page_target(self) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("GET", "/json/list")
            targets = json.loads(conn.getresponse().read())
            conn.close()
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return pages[0]
            time.sleep(0.2)
        raise RuntimeError("chromium has no page target")

    def call(self, method: str, **params) -> dict:
        self.ws.next_id += 1
        ident = self.ws.next_id
        self.ws.send_text(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv_text())
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method: str, timeout: float = TIMEOUT) -> dict:
        for ev in self.events:
            if ev["method"] == method:
                return ev
        self.ws.sock.settimeout(timeout)
        while True:
            msg = json.loads(self.ws.recv_text())
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method:
                    return msg

    def load(self, path: Path) -> None:
        self.events.clear()
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_event("Page.loadEventFired")
        # let late console messages arrive: a no-op round trip after the load event
        self.call("Runtime.evaluate", expression="1", returnByValue=True)

    def errors(self) -> list[str]:
        out = []
        for ev in self.events:
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.error: " + json.dumps(p.get("args", []))[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                out.append(f"log ({e.get('source')}): {e.get('text')} {e.get('url', '')}"[:300])
        return out

    def evaluate(self, expression: str):
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"evaluate failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def screenshot(self, path: Path, width: int = 1280) -> None:
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=min(height, 4000), deviceScaleFactor=1,
                  mobile=False)
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def quit(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(chromium_path, tmp_path_factory):
    b = _Browser(chromium_path, tmp_path_factory.mktemp("chromium"))
    yield b
    b.quit()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A simulation report and a what-if report of the seeded test network."""
    from partsopt.config import default_config

    tmp = tmp_path_factory.mktemp("reports")
    data = load(write_network(tmp / "net"))
    start, end = replay_window(data)
    lean = default_config()
    lean["name"], lean["service"]["level"] = "lean", 0.80
    wi = run_whatif(data, [("base", default_config()), ("lean", lean)], start, end, levels=[0.8, 0.9, 0.95, 0.98])
    run = wi.runs[1]
    sim = tmp / "report.html"
    sim.write_text(simulation_report(run.result, run.config, curve=wi.curve,
                                     planned=(run.planned_hit_rate, run.planned_inventory_value)), encoding="utf-8")
    what = tmp / "whatif.html"
    what.write_text(whatif_report(wi), encoding="utf-8")
    return {"simulate": sim, "whatif": what, "kpis": run.result.kpis}


def test_the_error_detector_sees_planted_errors(browser, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><title>x</title></head><body>"
                   "<img src='missing-image.png'><script>console.error('planted'); undefined_function();</script>"
                   "</body></html>", encoding="utf-8")
    browser.load(bad)
    errors = browser.errors()
    assert any("planted" in e for e in errors), errors
    assert any(e.startswith("exception") for e in errors), errors
    assert any("missing-image.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors), errors


def test_simulation_report_renders_without_errors_and_shows_the_tiles(browser, reports, tmp_path):
    browser.load(reports["simulate"])
    assert browser.errors() == []
    tiles = browser.evaluate("Array.from(document.querySelectorAll('.tile')).map(t => "
                             "({kpi: t.dataset.kpi, status: t.dataset.status, text: t.innerText, "
                             "visible: t.getBoundingClientRect().width > 50 && t.getBoundingClientRect().height > 30}))")
    kpis = [t["kpi"] for t in tiles]
    for kpi in ("hit_rate", "otd_rate", "normal_order_rate", "turnover", "gross_margin"):
        assert kpi in kpis, kpis
    assert all(t["visible"] for t in tiles)
    hit = next(t for t in tiles if t["kpi"] == "hit_rate")
    assert f"{reports['kpis']['hit_rate']:.1%}" in hit["text"] and "target ≥ 80.0%" in hit["text"]
    # every chart decoded and drawn (a broken data: URI has naturalWidth 0)
    images = browser.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
    assert len(images) == 5 and all(c and w > 300 for c, w, _ in images), images
    sections = browser.evaluate("Array.from(document.querySelectorAll('section h2')).map(h => h.innerText)")
    for title in ("Hit rate over time", "Misses by root cause", "Inventory value over time", "Cost and availability",
                  "Cost and availability by location", "By location"):
        assert title in sections
    rows = browser.evaluate("document.querySelectorAll('#by-location tbody tr').length")
    assert rows == 5  # CW, RW, D1..D3
    shot = tmp_path / "report.png"
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("PARTSOPT_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, Path(__file__).resolve().parents[2] / "docs" / "report-screenshot.png")


def test_whatif_report_renders_without_errors(browser, reports):
    browser.load(reports["whatif"])
    assert browser.errors() == []
    scenarios = browser.evaluate("Array.from(document.querySelectorAll('.scenario-tiles')).map(d => "
                                 "[d.dataset.scenario, d.querySelectorAll('.tile').length])")
    assert scenarios == [["base", 9], ["lean", 9]]
    header = browser.evaluate("Array.from(document.querySelectorAll('#whatif-kpis th')).map(h => h.innerText)")
    assert header == ["kpi", "better", "base", "lean", "delta_lean"]
    images = browser.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    assert images and all(w > 300 for w in images)
