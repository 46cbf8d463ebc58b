"""The Content-Security-Policy in a real browser: our pages run, an injected script does not."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_injected_inline_script_is_refused_and_reported(page, csp_violations):
    page.goto("/")
    expect(page.locator(".leaflet-container")).to_be_visible()  # folium's script ran
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__pwned = true";
          document.body.append(script);
          const img = document.createElement("img");
          img.src = "https://attacker.example/pixel.png";
          document.body.append(img);
        }"""
    )
    assert page.evaluate("() => window.__pwned") is None
    page.wait_for_timeout(300)  # the violation events are dispatched after the insertions
    assert any("script-src" in message for message in csp_violations)
    assert any("img-src" in message for message in csp_violations)
    csp_violations.clear()  # seen and expected: the fixture checks the rest of the test
