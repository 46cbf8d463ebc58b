"""The accessibility check of the browser tests (`axe_violations`) finds what it must find.

It runs only the axe-core rules that can report a serious or critical violation. On a page that
breaks rules of every impact, it finds the same serious and critical violations as a run of
every rule, and the rules it skips are found there with a minor or moderate impact only.
"""

from tests.browser.conftest import AXE_SKIPPED_RULES, axe_violations

# Pale text and an image without a text alternative (serious, critical); a heading that is not
# the first level, content outside any landmark, and a zoom the page forbids (moderate, although
# the check behind the last one is critical: the rule's impact is what a violation takes).
BROKEN_PAGE = """<!doctype html>
<html lang="fr">
<head>
  <meta name="viewport" content="width=device-width, user-scalable=no">
  <title>Une page mal faite</title>
</head>
<body>
  <div>
    <h3>Un titre de troisième niveau</h3>
    <p style="color: #c8c8c8; background: #ffffff">Un texte trop pâle pour être lu.</p>
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="40" height="40">
  </div>
</body>
</html>"""

EVERY_RULE = """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
  .map((violation) => [violation.id, violation.impact])"""


def test_the_check_finds_what_a_run_of_every_rule_finds_serious(page) -> None:
    page.set_content(BROKEN_PAGE)

    found = {violation["id"]: violation["impact"] for violation in axe_violations(page)}
    everything = dict(page.evaluate(EVERY_RULE))
    skipped = set(page.evaluate(f"() => {AXE_SKIPPED_RULES}"))

    assert found == {"color-contrast": "serious", "image-alt": "critical"}
    assert found == {
        rule: impact for rule, impact in everything.items() if impact in ("serious", "critical")
    }
    broken_but_skipped = {"page-has-heading-one", "region", "meta-viewport"}
    assert broken_but_skipped <= skipped & set(everything)
    assert {everything[rule] for rule in skipped & set(everything)} <= {"minor", "moderate"}
