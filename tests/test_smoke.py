"""The app starts, the login page renders, scope works on a raised ticket."""

from tests.factories import login


def test_login_page_and_index(client, world):
    assert client.get("/").status_code == 302
    assert client.get("/login").status_code == 200
    ticket = world.raise_ticket()
    from ticketing.extensions import db

    db.session.commit()
    login(client, world.officer_a)
    page = client.get("/").get_data(as_text=True)
    assert ticket.number in page
