"""Reliability under load and faults (locust, headless). Not part of CI.

    .venv/bin/pip install locust            # once (pyproject extra "bench")
    .venv/bin/python bench/load.py          # 10 minutes, 50 users
    .venv/bin/python bench/load.py --short  # 2 minutes, 50 users
    .venv/bin/python bench/load.py --minutes 3 --users 30

What it does: a throwaway PostgreSQL database with the demo data; two gunicorn servers on
127.0.0.1 sharing it and Redis (rate limits); on each "host" a loop running `flask jobs run`
(SLA sweep + outbox) at the same time; mail to a local SMTP sink (aiosmtpd). Locust users of
every role sign in and raise, move, comment and read, spread over both servers. Halfway
through, server B and its job loop are killed (SIGKILL) and restarted 5 s later.

Afterwards: every raise that got a success exists exactly once (lost, duplicated), every audit
trail replays to its ticket's state, no 5xx except requests in flight on the killed server,
every outbox message reached the sink (duplicates from the killed sender counted), and p95
per page. The same file is the locustfile (the classes below); the orchestrator runs when it is
the main program.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
OPTION = re.compile(r'<option[^>]*value="(\d+)"')
ACTION_LINK = re.compile(r'href="/tickets/(\d+)/(assign|escalate|resolve|verify|reopen|return)"')
TICKET_LINK = re.compile(r'href="/tickets/(\d+)"')
ANSWER_FORM = re.compile(r'action="/consultations/(\d+)/answer"')

try:  # the locustfile half: only importable where locust is installed
    from locust import HttpUser, between, events, task

    class Person(HttpUser):
        """One signed-in person of some role, on server A or B."""

        wait_time = between(0.5, 2.0)
        host = "http://127.0.0.1"

        def on_start(self) -> None:
            config = json.loads(Path(os.environ["LOAD_CONFIG"]).read_text())
            number = _next_index()
            account = config["accounts"][number % len(config["accounts"])]
            self.role = account["role"]
            self.client.base_url = config["hosts"][number % 2]
            self.record = Path(config["record"])
            self.password = config["password"]
            page = self.client.get("/login", name="/login")
            token = _csrf(page.text)
            self.client.post(
                "/login",
                data={"csrf_token": token, "email": account["email"], "password": self.password},
                name="/login [POST]",
                allow_redirects=False,
            )

        def context(self) -> dict[str, Any]:
            """Passed to the request listener: which server this user talks to."""
            return {"host": self.client.base_url}

        def _log(self, entry: dict[str, Any]) -> None:
            with self.record.open("a") as f:
                f.write(json.dumps(entry) + "\n")

        @task(4)
        def read_list(self) -> None:
            page = self.client.get("/", name="/ (list)")
            ids = TICKET_LINK.findall(page.text)
            if ids:
                self.client.get(f"/tickets/{random.choice(ids)}", name="/tickets/[id]")

        @task(1)
        def read_dashboard(self) -> None:
            if self.role not in ("facilitator", "expert"):  # neither has a dashboard
                self.client.get("/dashboard/", name="/dashboard/")
            self.client.get("/notifications", name="/notifications")

        @task(3)
        def raise_ticket(self) -> None:
            if self.role != "facilitator":
                return
            form = self.client.get("/tickets/new", name="/tickets/new")
            options = OPTION.findall(form.text)
            schools = re.findall(r'name="school".*?</select>', form.text, re.S)
            categories = re.findall(r'name="category".*?</select>', form.text, re.S)
            if not options or not schools or not categories:
                return
            key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form.text)
            title = f"LOAD-{uuid.uuid4().hex[:12]}"
            data = {
                "csrf_token": _csrf(form.text),
                "school": OPTION.findall(schools[0])[0],
                "category": random.choice(OPTION.findall(categories[0])),
                "title": title,
                "description": "Uji beban: laporan otomatis.",
                "idempotency_key": key.group(1) if key else "",
            }
            response = self.client.post(
                "/tickets/new", data=data, name="/tickets/new [POST]", allow_redirects=False
            )
            location = response.headers.get("Location", "")
            if response.status_code == 302 and re.search(r"/tickets/\d+$", location):
                self._log({"raised": title, "ticket": int(location.rsplit("/", 1)[1])})

        @task(3)
        def move_or_comment(self) -> None:
            page = self.client.get("/", name="/ (list)")
            ids = TICKET_LINK.findall(page.text)
            if not ids:
                return
            ticket = random.choice(ids)
            show = self.client.get(f"/tickets/{ticket}", name="/tickets/[id]")
            if self.role == "expert":  # experts answer the questions they were asked
                for consultation in ANSWER_FORM.findall(show.text)[:1]:
                    self.client.post(
                        f"/consultations/{consultation}/answer",
                        data={"csrf_token": _csrf(show.text), "note": "Uji beban: jawaban."},
                        name="/consultations/[id]/answer [POST]",
                        allow_redirects=False,
                    )
                return
            actions = [a for t, a in ACTION_LINK.findall(show.text) if t == ticket]
            if (actions and self.role != "facilitator") or (actions and random.random() < 0.3):
                event = random.choice(actions)
                form = self.client.get(f"/tickets/{ticket}/{event}", name="/tickets/[id]/[event]")
                if form.status_code != 200:
                    return
                data = {"csrf_token": _csrf(form.text), "note": "Uji beban: tindak lanjut."}
                for name in ("version", "seen_event"):
                    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', form.text)
                    data[name] = found.group(1) if found else ""
                assignees = re.findall(r'name="assignee".*?</select>', form.text, re.S)
                if assignees and OPTION.findall(assignees[0]):
                    data["assignee"] = OPTION.findall(assignees[0])[0]
                self.client.post(
                    f"/tickets/{ticket}/{event}",
                    data=data,
                    name="/tickets/[id]/[event] [POST]",
                    allow_redirects=False,
                )
            else:
                self.client.post(
                    f"/tickets/{ticket}/comments",
                    data={"csrf_token": _csrf(show.text), "body": "Uji beban: komentar."},
                    name="/tickets/[id]/comments [POST]",
                    allow_redirects=False,
                )

    @events.request.add_listener
    def _server_errors(
        request_type: str, name: str, response: Any, exception: Any, **kwargs: Any
    ) -> None:
        status = getattr(response, "status_code", 0) or 0
        if status >= 500 or exception is not None:
            context = kwargs.get("context") or {}
            url = str(context.get("host", "")) + name
            with Path(os.environ["LOAD_ERRORS"]).open("a") as f:
                f.write(
                    json.dumps(
                        {
                            "t": __import__("time").time(),
                            "status": status,
                            "name": name,
                            "url": str(url),
                            "error": repr(exception)[:200] if exception else "",
                        }
                    )
                    + "\n"
                )

except ImportError:  # pragma: no cover - the orchestrator needs locust only as a program
    pass

_COUNTER = [0]


def _next_index() -> int:
    _COUNTER[0] += 1
    return _COUNTER[0] - 1


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    from bench.load_run import main

    raise SystemExit(main())
