"""`make audit`: Lighthouse's four scores for the main pages of the demo town.

    python -m scripts.audit [--port 8600] [--page /stats --page /gaps]

Loads the demo town (`wishboard demo`) into a temporary SQLite file, serves it with gunicorn as
in production, and runs Lighthouse (npm, scripts/audit/package.json; `make audit` installs it)
in Debian's headless Chromium on each page: performance, accessibility, best practices and SEO,
out of 100, one line per page. Lighthouse's default is a phone on a slow network, so the
performance score depends on this machine and what else runs on it: compare runs on the same
machine. The maps draw no background tiles unless `--tiles` (the tile server is someone else's,
and out of reach offline). Slow (about 20 s a page), so it is not part of `make test`: a person
runs it before a release. The premises and the shop audited are the first the sitemap lists.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "scripts" / "audit" / "node_modules" / ".bin" / "lighthouse"
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# Lighthouse's measure of the first paint, in ms on its simulated phone (issue #20: never worse).
FIRST_PAINT = "first-contentful-paint"
PAGES = ("/", "/premises", "{premises}", "/shops", "{shop}", "/gaps", "/opportunities", "/stats")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8600, help="where the demo server listens")
    parser.add_argument(
        "--page", action="append", help="only this path (repeat for several); default: the main"
    )
    parser.add_argument(
        "--tiles",
        action="store_true",
        help="draw the maps' background tiles (WISHBOARD_TILE_URL); without, none are fetched",
    )
    return parser.parse_args(argv)


def _wait_until_up(base_url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped (exit {server.returncode})")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz/live", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{base_url} did not answer in {seconds:.0f} s")


def _first(sitemap: str, pattern: str) -> str:
    found = re.search(pattern, sitemap)
    if found is None:
        raise RuntimeError(f"the sitemap lists no {pattern}")
    return found[1]


def _scores(url: str, env: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """Lighthouse's score (0–100) per category for `url` and its first paint (ms), and the
    titles of the audits that cost points (outside performance, whose audits are timings)."""
    result = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            "--output-path=stdout",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    categories, audits = report["categories"], report["audits"]
    scores = {name: round((categories[name]["score"] or 0) * 100) for name in CATEGORIES}
    scores[FIRST_PAINT] = round(audits[FIRST_PAINT]["numericValue"])
    failed = []
    for name in CATEGORIES[1:]:
        for ref in categories[name]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] > 0 and (audit["score"] or 0) < 1:
                failed.append(f"{name}: {audit['title']}")
                # The first few things it names (a console message, an element), to start from.
                for item in (audit.get("details") or {}).get("items", [])[:3]:
                    what = item.get("description") or item.get("url") or item.get("node", {})
                    if isinstance(what, dict):
                        what = what.get("snippet", "")
                    failed.append(f"  {str(what)[:150]}")
    # What holds the first paint back (issue #20 wants none on the map pages).
    for item in (audits.get("render-blocking-resources", {}).get("details") or {}).get("items", []):
        failed.append(f"render-blocking: {item.get('url')} ({item.get('wastedMs', 0):.0f} ms)")
    return scores, failed


def main(argv: list[str] | None = None) -> int:
    """Print the scores; 1 when a tool is missing or a run fails."""
    arguments = _arguments(argv)
    chromium = shutil.which("chromium") or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    if chromium is None:
        print("make audit needs Chromium: apt-get install chromium", file=sys.stderr)
        return 1
    if not LIGHTHOUSE.exists():
        print("make audit needs Lighthouse: npm ci --prefix scripts/audit", file=sys.stderr)
        return 1
    base_url = f"http://127.0.0.1:{arguments.port}"
    with tempfile.TemporaryDirectory(prefix="wishboard-audit-") as folder:
        env = {
            **os.environ,
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'wishboard.sqlite3'}",
            "WISHBOARD_LOG_FORMAT": "text",
            "CHROME_PATH": chromium,
        }
        if not arguments.tiles:
            # As in the tests: a machine without the Internet would log each tile it cannot load
            # as a console error, which Lighthouse counts against best practices.
            env["WISHBOARD_TILE_URL"] = ""
        for command in (["db", "upgrade"], ["demo"]):
            done = subprocess.run(
                [str(BIN / "wishboard"), *command], env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                print(done.stdout, done.stderr, file=sys.stderr)
                return 1
        server = subprocess.Popen(
            [
                *(str(BIN / "gunicorn"), "--workers", "2", "--log-level", "warning"),
                *("--bind", f"127.0.0.1:{arguments.port}", "wsgi:app"),
            ],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_up(base_url, server)
            with urllib.request.urlopen(f"{base_url}/sitemap.xml") as response:
                sitemap = response.read().decode()
            ids = {
                "premises": _first(sitemap, r"<loc>https?://[^/]+(/premises/\d+)</loc>"),
                "shop": _first(sitemap, r"<loc>https?://[^/]+(/shops/\d+)</loc>"),
            }
            paths = [page.format(**ids) for page in arguments.page or PAGES]
            width = max(len(path) for path in paths)
            columns = (*CATEGORIES, FIRST_PAINT)
            print(f"{'page':<{width}}  " + "  ".join(f"{name:>14}" for name in CATEGORIES), end="")
            print(f"  {'first paint ms':>14}")
            for path in paths:
                scores, failed = _scores(base_url + path, env)
                row = "  ".join(f"{scores[name]:>14}" for name in columns)
                print(f"{path:<{width}}  {row}", flush=True)
                for line in failed:
                    print(f"{'':<{width}}    {line}", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
