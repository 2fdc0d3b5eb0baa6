"""Rendering a page in headless Chromium and watching for any network request.

Chromium is pointed at a proxy on a loopback port that this module listens on, with
the loopback bypass removed: any request the page makes - to a CDN, a font host, even
127.0.0.1 - arrives there and is recorded. Nothing is answered, so nothing is fetched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
QUIET = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--hide-scrollbars",
    # Chromium's own background traffic (clock sync, Google services), which would
    # otherwise reach the recording proxy and be mistaken for the page's.
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
    "OptimizationGuideModelDownloading,InterestFeedContentSuggestions,PreconnectToSearch,"
    "SearchPrefetchService,NetworkPrediction",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-field-trial-config",
    "--safebrowsing-disable-auto-update",
    "--no-pings",
    "--no-service-autorun",
    "--password-store=basic",
    "--dns-prefetch-disable",
    "--disable-preconnect",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-signin-scoped-device-id",
]


# What Chromium itself still asks for with every flag above (sign-in and connectivity
# checks to Google, and - since Debian's 156 - the component updater, whatever the
# page): not the page's requests. Our pages hold no URL at all (the tests check that
# too), so this cannot hide one of theirs.
BROWSER_OWN = (
    "www.google.com:443",
    "accounts.google.com:443",
    "clients2.google.com/time/",
    "update.googleapis.com",  # CONNECT :443, then a plain POST to /service/update2
)


@dataclass
class Rendered:
    dom: str
    screenshot: Path
    requests: list[str]  # every request the page attempted (the browser's own left out)


@contextmanager
def _recording_proxy() -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    seen.append(connection.recv(512).decode(errors="replace").split("\r\n")[0])
                except OSError:
                    seen.append("(connection)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], seen
    finally:
        stop.set()
        thread.join()
        server.close()


def render(page: Path, width: int = 1000, height: int = 1400) -> Rendered:
    """The page's DOM after load (scripts run, if any) and a screenshot of it, with every
    network request it attempted."""
    assert CHROMIUM, "chromium is not installed: scripts/test.sh installs Debian's package"
    shot = page.with_suffix(".png")
    with _recording_proxy() as (port, requests):
        network = [f"--proxy-server=http://127.0.0.1:{port}", "--proxy-bypass-list=<-loopback>"]
        common = [CHROMIUM, *QUIET, *network, "--virtual-time-budget=3000"]
        url = page.resolve().as_uri()
        dom = subprocess.run(
            [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        subprocess.run(
            [*common, f"--screenshot={shot}", f"--window-size={width},{height}", url],
            capture_output=True, timeout=120, check=True,
        )
    made = [r for r in requests if r.strip() and not any(own in r for own in BROWSER_OWN)]
    return Rendered(dom, shot, made)


def coloured_pixels(screenshot: Path, colours: tuple[str, ...], tolerance: int = 24) -> int:
    """How many pixels of the screenshot are (nearly) one of ``colours`` (#rrggbb)."""
    wanted = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in colours]
    with Image.open(screenshot) as image:
        counts = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return sum(
        count
        for count, pixel in counts
        if any(all(abs(p - w) <= tolerance for p, w in zip(pixel, want, strict=True))
               for want in wanted)
    )
