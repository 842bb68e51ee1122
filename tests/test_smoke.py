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


def test_postgresql_sessions_do_not_jit_compile(pg_database, tmp_path):
    """A page's queries take milliseconds; JIT compiling one took 440 ms at 1M tickets."""
    import sqlalchemy as sa

    from tests.conftest import app_role_url
    from ticketing import create_app
    from ticketing.extensions import db

    application = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=app_role_url(pg_database),
    )
    with application.app_context():
        assert db.session.scalar(sa.text("SHOW jit")) == "off"
        db.session.remove()
        db.engine.dispose()
