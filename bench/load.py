#!/usr/bin/env python3
"""bench/run's client for what wrk cannot do: signing up and in through
Warden's server functions, the sign-in flood, and the fixed-size burst.
Standard library only.

  load.py setup BASE IP_PREFIX SIGNUPS TOKENS  accounts, sessions and tokens; KEY=VALUE lines on stdout
  load.py flood BASE IP_PREFIX RATE SECS  wrong passwords at RATE a second for SECS seconds
  load.py burst BASE TOKEN COOKIE N       N API requests on TOKEN and N page views on COOKIE
  load.py crowd BASE IP_PREFIX LOGIN N E   N more sessions of LOGIN from other addresses, the last E ended again

Every request names its client in X-Forwarded-For (IP_PREFIX.a.b), which
Warden believes because bench/run starts it with WARDEN_TRUSTED_PROXY=127.0.0.1:
the per-IP budgets (sign-up 10 an hour, sign-in failures) then see many
clients, as they would behind a real proxy.
"""

import http.client
import json
import random
import shlex
import sys
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

PASSWORD = "Tangerine orbit 4417 lantern quay"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 warden-bench"
SESSIONS_PAGE = "/account/security/sessions"


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def host_port(base):
    u = urllib.parse.urlsplit(base)
    return u.hostname, u.port


class Client:
    """One browser: a keep-alive connection, cookies, one client IP."""

    def __init__(self, base, ip):
        self.base = base
        self.host, self.port = host_port(base)
        self.ip = ip
        self.cookies = {}
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        h = {"User-Agent": UA, "X-Forwarded-For": self.ip}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                # A keep-alive connection the server closed: once more on a new one.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, value = v.split(";", 1)[0].partition("=")
                if "Max-Age=0" in v or not value:
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value.strip()
        return r.status, data

    def call(self, name, fields):
        """A server function as the hydrated page calls it (fetch, same origin)."""
        body = urllib.parse.urlencode(fields)
        return self.request(
            "POST",
            f"/_fn/{name}",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Origin": self.base,
                "Sec-Fetch-Site": "same-origin",
            },
        )

    def must(self, name, fields):
        status, data = self.call(name, fields)
        if not 200 <= status < 300:
            raise SystemExit(f"load.py: {name} answered {status}: {data[:300].decode(errors='replace')}")
        return data


def ip(prefix, n):
    return f"{prefix}.{(n >> 8) & 255}.{n & 255}"


def setup(base, prefix, signups, tokens):
    """Signs up `signups` accounts, each from its own IP; signs in
    2 * `tokens` + 1 of them and makes an API token on each. Prints what
    bench/run needs, as shell assignments."""
    t0 = time.time()

    def sign_up(i):
        c = Client(base, ip(prefix, i + 1))
        c.must("sign_up", {"email": f"bench{i}@example.com", "username": f"bench{i}", "password": PASSWORD, "confirm_password": PASSWORD})

    # Two at a time: the hasher runs as many hashes at once as there are
    # cores, and a queue longer than its wait answers "busy".
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(sign_up, range(signups)))
    say(f"  {signups} sign-ups in {time.time() - t0:.1f} s")

    def signed_in_token(job):
        n, role = job
        c = Client(base, ip(prefix, 1000 + n))
        name = f"bench{n}"
        c.must("sign_in", {"login": name, "password": PASSWORD, "next": ""})
        made = json.loads(c.must("create_api_token", {"name": f"bench {role}", "username": name, "password": PASSWORD, "expiry": "30", "access": "read"}))
        status, _ = c.request("GET", SESSIONS_PAGE, headers={"Accept": "text/html"})
        if status != 200:
            raise SystemExit(f"load.py: {SESSIONS_PAGE} answered {status} for a signed-in session")
        return role, made["token"], "; ".join(f"{k}={v}" for k, v in c.cookies.items())

    # P1 and P4 spread their load over `tokens` accounts each (an account
    # gets at most 1,000 API requests a second once its quota's burst is
    # spent); P5 needs one token and one session nobody else uses.
    jobs = [(n, "P1") for n in range(tokens)] + [(tokens + n, "P4") for n in range(tokens)] + [(2 * tokens, "P5")]
    if len(jobs) > signups:
        raise SystemExit(f"load.py: {len(jobs)} accounts needed, {signups} signed up")
    with ThreadPoolExecutor(2) as pool:
        made = list(pool.map(signed_in_token, jobs))
    out = {
        "TOKENS_P1": " ".join(t for r, t, _ in made if r == "P1"),
        "TOKENS_P4": " ".join(t for r, t, _ in made if r == "P4"),
        "TOKEN_P5": next(t for r, t, _ in made if r == "P5"),
        "COOKIE_P1": next(c for r, _, c in made if r == "P1"),
        "COOKIE_P5": next(c for r, _, c in made if r == "P5"),
    }
    say(f"  {len(jobs)} sign-ins and API tokens, {time.time() - t0:.1f} s in all")
    for k, v in out.items():
        print(f"{k}={shlex.quote(v)}")


def flood(base, prefix, rate, secs):
    """Sign-ins with wrong passwords at `rate` a second, open loop: each from
    a random IP for a login nobody has, so that no per-IP or per-login budget
    stops it before the password hash (the worst case for the server). A
    request that finds every worker busy is counted as not sent."""
    rng = random.Random()
    stop = time.time() + secs
    counts = Counter()
    lock = threading.Lock()
    slots = threading.Semaphore(600)
    local = threading.local()

    def one():
        try:
            c = getattr(local, "c", None)
            if c is None:
                c = local.c = Client(base, "")
            c.ip = f"{prefix}.{rng.randrange(256)}.{rng.randrange(256)}"
            status, _ = c.call("sign_in", {"login": f"nobody{rng.randrange(10**9)}", "password": "wrong password 123", "next": ""})
            key = str(status)
        except Exception as e:  # noqa: BLE001 - counted and reported, never fatal
            key = type(e).__name__
        finally:
            slots.release()
        with lock:
            counts[key] += 1

    sent = 0
    t0 = time.time()
    with ThreadPoolExecutor(600) as pool:
        while time.time() < stop:
            due = t0 + sent / rate
            if due > time.time():
                time.sleep(due - time.time())
            if slots.acquire(blocking=False):
                pool.submit(one)
            else:
                counts["not sent"] += 1
            sent += 1
    # 422/401-style answers are the wrong password said; 503 is "busy" (the
    # hasher's queue was full); 429 a budget.
    print(json.dumps({"offered": sent, "per_sec": rate, "answers": dict(sorted(counts.items()))}))


def burst(base, token, cookie, n):
    """`n` API requests on one token, then `n` views of the sessions page on
    one session, 16 at a time."""
    results = Counter()
    local = threading.local()

    def client():
        c = getattr(local, "c", None)
        if c is None:
            c = local.c = Client(base, "127.0.0.1")
        return c

    def api(_):
        s, _ = client().request("GET", "/api/v1/account", headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        return ("api", s)

    def page(_):
        s, _ = client().request("GET", SESSIONS_PAGE, headers={"Cookie": cookie, "Accept": "text/html"})
        return ("page", s)

    t0 = time.time()
    with ThreadPoolExecutor(16) as pool:
        results.update(pool.map(api, range(n)))
    with ThreadPoolExecutor(16) as pool:
        results.update(pool.map(page, range(n)))
    print(json.dumps({"secs": round(time.time() - t0, 1), "answers": {f"{k}:{s}": v for (k, s), v in sorted(results.items())}}))


def crowd(base, prefix, login, signins, end):
    """A Login Security page as a long-used account has it: `signins` more
    sessions of `login`, each from its own address, and the last `end` of
    them ended from the first (an ended session and a line of activity
    each)."""
    clients = []
    for n in range(signins):
        c = Client(base, ip(prefix, 2000 + n))
        c.must("sign_in", {"login": login, "password": PASSWORD, "next": ""})
        clients.append(c)
    for c in clients[signins - end:]:
        mine = json.loads(c.must("list_sessions", {"page": "0", "activity": "0"}))
        sid = next(s["id"] for s in mine["active"] if s["this_device"])
        clients[0].must("end_session", {"session_id": sid, "password": PASSWORD})
    say(f"  {login}: {signins} more sessions, {end} of them ended")


def main(argv):
    if len(argv) >= 2 and argv[1] == "setup" and len(argv) == 6:
        setup(argv[2], argv[3], int(argv[4]), int(argv[5]))
    elif len(argv) >= 2 and argv[1] == "flood" and len(argv) == 6:
        flood(argv[2], argv[3], float(argv[4]), float(argv[5]))
    elif len(argv) >= 2 and argv[1] == "burst" and len(argv) == 6:
        burst(argv[2], argv[3], argv[4], int(argv[5]))
    elif len(argv) >= 2 and argv[1] == "crowd" and len(argv) == 7:
        crowd(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
