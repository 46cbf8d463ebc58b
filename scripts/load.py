"""Concurrent residents through one or more Wishboard servers, and the state their answers imply.

    python scripts/load.py --base http://127.0.0.1:8001 --base http://127.0.0.1:8002 \\
        --plan plan.json --output result.json [--actions 40] [--seed 8]

The plan (JSON) names the residents (`emails`, `password`), the `premises` ids and the shop type
`codes` to use. Each resident is one thread with its own cookies: it signs in and reads the CSRF
token from a page; once all are signed in, the script prints "ready" and each resident sends
`--actions` random supports, withdrawals and wishes (with and without a comment), one at a time,
taking the servers in turn. Supports go as htmx requests (200 when done), wishes as plain form
posts (a 303 when done, then a page that shows the notice, as a browser would). A refusal (422)
changed nothing. A request without an answer (connection lost, a worker killed, a 5xx) is
"unknown": it may or may not have been written.

The output lists every request and, for each (resident, premises, shop type) touched, the states
the database may hold according to the answers: one state when the last word was an answer,
several after an unknown one. A state is [wish status or null, supported]. Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

TIMEOUT_S = 20
# After an unknown answer, the resident waits this long: the killed worker's transaction is over
# (committed or rolled back) before the resident's next write can race with it.
PAUSE_AFTER_UNKNOWN_S = 1.0
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_HEADER = re.compile(r'&#34;X-CSRFToken&#34;: &#34;([^&]+)&#34;|"X-CSRFToken": "([^"]+)"')

# A state is (wish status or None, supported); the actions below change it like the site does.
State = tuple[str | None, bool]


def after(action: str, state: State) -> State:
    """The state after `action` succeeded, as wishboard/services/demand/wishes.py rules it."""
    wish, supported = state
    if action == "support":
        return wish, True
    if action == "withdraw":
        return None, False
    if action == "wish":  # no comment: published and supported, unless one awaits review
        return ("pending", supported) if wish == "pending" else ("published", True)
    if action == "wish_comment":  # a new comment always waits for a moderator
        return "pending", supported
    raise ValueError(action)


@dataclass
class Outcome:
    """One request and what its answer says."""

    resident: str
    action: str
    premises_id: int
    code: str
    server: str
    status: int | None
    result: str  # "ok", "refused" or "unknown"
    started: float
    ended: float
    error: str = ""


class Resident:
    """One browser: a cookie jar, a CSRF token, and the servers it takes in turn."""

    def __init__(self, email: str, password: str, bases: list[str]) -> None:
        self.email = email
        self.password = password
        self.bases = bases
        self.turn = 0
        self.cookies: dict[str, str] = {}
        self.token = ""

    def next_base(self) -> str:
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        return base

    def request(
        self,
        base: str,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """One request without following redirects; keeps the cookies it sets."""
        parts = urllib.parse.urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_S)
        sent = {"Accept-Language": "en", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", "replace")
            for header in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return answer.status, dict(answer.headers), text
        finally:
            connection.close()

    def sign_in(self, tries: int = 3) -> None:
        """Sign in through the login form, then read the CSRF token of the signed-in session.

        A lost connection (a worker killed meanwhile) is tried again: signing in writes nothing
        the load checks.
        """
        for attempt in range(tries):
            try:
                return self._sign_in()
            except (OSError, http.client.HTTPException):
                if attempt == tries - 1:
                    raise
                time.sleep(PAUSE_AFTER_UNKNOWN_S)

    def _sign_in(self) -> None:
        base = self.next_base()
        _, _, page = self.request(base, "GET", "/auth/login")
        found = CSRF_INPUT.search(page)
        if not found:
            raise RuntimeError("no CSRF token on the sign-in page")
        form = {"email": self.email, "password": self.password, "csrf_token": found.group(1)}
        status, _, _ = self.request(base, "POST", "/auth/login", form)
        if status not in (302, 303):
            raise RuntimeError(f"sign-in of {self.email} answered {status}")
        self.refresh_token(self.next_base())

    def refresh_token(self, base: str) -> None:
        """Read the session's CSRF token from a page (it also checks we are signed in)."""
        status, _, page = self.request(base, "GET", "/me")
        found = CSRF_INPUT.search(page)
        if status != 200 or not found:
            raise RuntimeError(f"{self.email} is not signed in ({status})")
        self.token = found.group(1)


def act(resident: Resident, action: str, premises_id: int, code: str, note: str) -> Outcome:
    """Send one action through the next server; say what its answer means."""
    base = resident.next_base()
    started = time.time()
    quoted = urllib.parse.quote(code, safe="")
    outcome = Outcome(resident.email, action, premises_id, code, base, None, "unknown", started, 0)
    try:
        if action in ("support", "withdraw"):
            path = f"/premises/{premises_id}/supports/{quoted}"
            if action == "withdraw":
                path += "/withdraw"
            headers = {"HX-Request": "true", "X-CSRFToken": resident.token}
            status, _, _ = resident.request(base, "POST", path, {}, headers)
            done = status == 200
        else:
            form = {"csrf_token": resident.token, "shop_type": code, "comment": ""}
            if action == "wish_comment":
                form["comment"] = note
            status, headers, _ = resident.request(
                base, "POST", f"/premises/{premises_id}/wishes", form
            )
            done = status == 303
            if done:
                # A page shows (and so clears) the notice, as in a browser: else the session
                # cookie would grow with each one. A light page, not the map it leads to.
                try:
                    resident.request(base, "GET", "/me")
                except (OSError, http.client.HTTPException):
                    pass  # the write is acknowledged already; this page is only a courtesy
        outcome.status = status
        if done:
            outcome.result = "ok"
        elif status in (400, 403, 404, 409, 422):
            outcome.result = "refused"
        # Anything else (a 5xx from a worker that failed mid-request, a 429) stays "unknown".
    except (OSError, http.client.HTTPException) as error:
        outcome.error = f"{type(error).__name__}: {error}"
    outcome.ended = time.time()
    return outcome


@dataclass
class Plan:
    """Who acts where: residents, premises and shop types."""

    emails: list[str]
    password: str
    premises: list[int]
    codes: list[str]
    actions: int = 40
    seed: int = 8
    progress_every: int = 0  # print "done N" after every that many answers (0: never)
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


ACTIONS = ("support", "support", "withdraw", "wish", "wish_comment")


def run_resident(
    plan: Plan, number: int, bases: list[str], lock: threading.Lock, ready: threading.Barrier
) -> None:
    """One resident's session: sign in, wait for the others, then act one action at a time."""
    email = plan.emails[number]
    rng = random.Random(f"{plan.seed}-{email}")
    resident = Resident(email, plan.password, bases)
    try:
        resident.sign_in()
    except Exception as error:  # noqa: BLE001  (reported in the output, the others go on)
        with lock:
            plan.errors.append(f"{email}: {error}")
        ready.wait()
        return
    ready.wait()
    for step in range(plan.actions):
        action = rng.choice(ACTIONS)
        outcome = act(
            resident,
            action,
            rng.choice(plan.premises),
            rng.choice(plan.codes),
            f"Load test comment {number}-{step}",
        )
        with lock:
            plan.outcomes.append(outcome)
            if plan.progress_every and len(plan.outcomes) % plan.progress_every == 0:
                print(f"done {len(plan.outcomes)}", flush=True)
        if outcome.result == "unknown":
            time.sleep(PAUSE_AFTER_UNKNOWN_S)
            try:  # a restarted worker, the other server: the session is valid on all of them
                resident.refresh_token(resident.next_base())
            except (OSError, http.client.HTTPException, RuntimeError):
                pass


def expected_states(outcomes: list[Outcome]) -> dict[tuple[str, int, str], set[State]]:
    """For each key touched, every state the database may hold given the answers, in order."""
    states: dict[tuple[str, int, str], set[State]] = {}
    for outcome in sorted(outcomes, key=lambda o: o.started):
        key = (outcome.resident, outcome.premises_id, outcome.code)
        possible = states.setdefault(key, {(None, False)})
        if outcome.result == "ok":
            states[key] = {after(outcome.action, state) for state in possible}
        elif outcome.result == "unknown":
            states[key] = possible | {after(outcome.action, state) for state in possible}
    return states


def run(plan: Plan, bases: list[str]) -> dict:
    """Run every resident at once; the outcomes and the expected states, ready for JSON."""
    lock = threading.Lock()
    ready = threading.Barrier(len(plan.emails) + 1)
    threads = [
        threading.Thread(target=run_resident, args=(plan, number, bases, lock, ready), daemon=True)
        for number in range(len(plan.emails))
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.time()
    # For whoever drives the test: the residents are signed in, the writes begin.
    print("ready", flush=True)
    for thread in threads:
        thread.join()
    ended = time.time()
    counts = {
        result: sum(1 for o in plan.outcomes if o.result == result)
        for result in ("ok", "refused", "unknown")
    }
    return {
        "started": started,
        "ended": ended,
        "requests": len(plan.outcomes),
        **counts,
        "errors": plan.errors,
        "outcomes": [vars(outcome) for outcome in plan.outcomes],
        "expected": [
            {
                "resident": resident,
                "premises_id": premises_id,
                "code": code,
                "states": sorted([list(state) for state in states], key=str),
            }
            for (resident, premises_id, code), states in sorted(
                expected_states(plan.outcomes).items()
            )
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Read the plan, run the load, write the result; exit 1 when a resident could not start."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", action="append", required=True, help="a server's address")
    parser.add_argument("--plan", required=True, help="JSON: emails, password, premises, codes")
    parser.add_argument("--output", required=True, help="where to write the result (JSON)")
    parser.add_argument("--actions", type=int, default=40, help="actions per resident")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--progress-every", type=int, default=0, help='print "done N" every N answers'
    )
    args = parser.parse_args(argv)
    with open(args.plan, encoding="utf-8") as file:
        data = json.load(file)
    plan = Plan(
        emails=data["emails"],
        password=data["password"],
        premises=data["premises"],
        codes=data["codes"],
        actions=args.actions,
        seed=args.seed,
        progress_every=args.progress_every,
    )
    result = run(plan, args.base)
    with open(args.output, "w", encoding="utf-8") as file:
        json.dump(result, file, indent=1)
    print(
        f"{result['requests']} requests: {result['ok']} ok, {result['refused']} refused,"
        f" {result['unknown']} unknown, in {result['ended'] - result['started']:.1f} s",
        file=sys.stderr,
    )
    return 1 if plan.errors else 0


if __name__ == "__main__":
    sys.exit(main())
