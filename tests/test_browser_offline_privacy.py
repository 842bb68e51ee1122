"""The pages the service worker keeps for offline reading never outlive the session.

Signed-in pages are `Cache-Control: no-store`; the service worker's copies of the
facilitator's recent pages are the one deliberate exception (issue 9: readable without
signal). They are deleted on sign-out, and also when the session ends any other way: the next
page the phone opens online is the sign-in form, and the worker forgets them then.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_browser_field import _phone, chromium, field  # noqa: F401 - fixtures
from ticketing.extensions import db
from ticketing.services import users as user_service

pytestmark = [pytest.mark.browser, pytest.mark.indonesian]

KEPT = "async () => !!(await caches.match('/tickets/new'))"
GONE = "async () => !(await caches.match('/tickets/new')) && !(await caches.match('/'))"


def test_an_ended_session_leaves_no_page_readable_offline(field: Any, chromium: Any) -> None:  # noqa: F811
    base, world, _app = field
    pages: list[Any] = []
    page = _phone(chromium, base, world.facilitator_a.email, pages)
    page.goto("/tickets/new")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(KEPT)
    # The session ends elsewhere (an administrator, another device); the phone comes back online.
    user_service.end_sessions(world.facilitator_a)
    db.session.commit()
    page.goto("/")
    page.wait_for_url(re.compile(r"/login"))
    page.wait_for_function(GONE)
    # Without signal, the next person with this phone finds nothing of the last user's.
    page.context.set_offline(True)
    with pytest.raises(Exception, match="ERR_"):
        page.goto("/tickets/new")


def test_signing_out_forgets_the_kept_pages(field: Any, chromium: Any) -> None:  # noqa: F811
    base, world, _app = field
    pages: list[Any] = []
    page = _phone(chromium, base, world.facilitator_a.email, pages)
    page.goto("/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(KEPT)
    page.locator("form[data-logout] button").click()
    page.wait_for_url(re.compile(r"/login"))
    page.wait_for_function(GONE)
