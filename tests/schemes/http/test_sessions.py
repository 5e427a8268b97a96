"""The session mapper, in-process: cookies, lazy creation, rotation, logout."""

from __future__ import annotations

import re

import pytest

from kernel import KernelError

ID = re.compile(r"roc_session=([0-9A-F]{32}); Path=/app; SameSite=Lax; HttpOnly\Z")


def session_cookie(response) -> str | None:
    """The session id a response sets ('' when it clears it), or None when it sets none."""
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith("roc_session=")]
    assert len(found) <= 1, found  # at most one Set-Cookie for the session
    if not found:
        return None
    if "Max-Age=0" in found[0]:
        assert found[0].startswith("roc_session=;")
        return ""
    match = ID.match(found[0])
    assert match, found[0]
    return match.group(1)


def rows(client) -> int:
    return len(client.app.kernel.schemes["session"].obj.store_rows(1000))


def store(client, principal=None):
    return client.app.kernel.context(principal)


def test_a_request_that_never_touches_the_session_makes_nothing(client):
    r = client.get("/app/quiet")
    assert r.status_code == 200 and r.json() is False
    assert session_cookie(r) is None
    assert r.headers["vary"] == "Cookie"
    assert client.get("/app/whoami").status_code == 404  # no session yet, none made
    assert client.get("/app/get").status_code == 404
    assert rows(client) == 0
    assert "vary" not in client.get("/echo?name=x").headers  # outside any zone


def test_first_write_creates_one_session_and_one_cookie(client):
    r = client.get("/app/put?value=apple")
    assert r.text == "apple"
    sid = session_cookie(r)
    assert sid and rows(client) == 1
    again = client.get("/app/get")  # the client sends the cookie back
    assert again.text == "apple" and session_cookie(again) is None
    assert client.get("/app/put?value=pear").text == "pear"
    assert client.get("/app/get").text == "pear" and rows(client) == 1
    assert store(client).source(f"session:{sid}+key@value") == "pear"


def test_secure_auto_follows_the_scheme_and_can_be_forced(make_client):
    https = make_client()
    https.base_url = "https://testserver"
    r = https.get("/app/put?value=x")
    assert r.headers["set-cookie"].endswith("; HttpOnly; Secure")
    forced = make_client(sessions=[{"path": "/app", "secure": True, "cookie": "sid"}])
    cookie = forced.get("/app/put?value=x").headers["set-cookie"]
    assert cookie.startswith("sid=") and cookie.endswith("; Secure")
    never = make_client(sessions=[{"path": "/app", "secure": False}])
    never.base_url = "https://testserver"
    assert "Secure" not in never.get("/app/put?value=x").headers["set-cookie"]


@pytest.mark.parametrize(
    "forged",
    [
        "0123456789ABCDEF0123456789ABCDEF",  # well-formed, never issued
        "0123456789abcdef0123456789abcdef",  # lower case
        "0123456789ABCDEF0123456789ABCDEF00",  # too long
        "'; DROP TABLE sessions; --",
        "",
    ],
)
def test_a_client_chosen_id_is_never_adopted(client, forged):
    client.cookies.set("roc_session", forged)
    assert client.get("/app/get").status_code == 404  # selects no session
    r = client.get("/app/put?value=mine")
    sid = session_cookie(r)
    assert sid and sid != forged.upper()
    assert rows(client) == 1


def test_malformed_cookie_headers_select_nothing(client):
    headers = ["roc_session", "roc_session=;;;=", "=x; roc_session", "a" * 4000, '"\\"']
    headers += ["roc_session=\u00e9\u00e9".encode().decode("latin-1")]  # raw UTF-8 bytes
    for header in headers:
        r = client.get("/app/get", headers={"cookie": header.encode("latin-1")})
        assert r.status_code == 404 and r.text.count("\n") == 1


def test_an_expired_or_ended_session_is_not_revived(client, clock):
    sid = session_cookie(client.get("/app/put?value=old"))
    clock.advance(1801)  # past the default idle
    r = client.get("/app/get")
    assert r.status_code == 404
    new = session_cookie(client.get("/app/put?value=new"))
    assert new and new != sid
    with pytest.raises(KernelError) as e:
        store(client).source(f"session:{sid}+key@value")
    assert e.value.id == "SessionExpired"


def test_zone_idle_and_lifetime(make_client, clock):
    client = make_client(sessions=[{"path": "/app", "idle": 60, "lifetime": 100}])
    client.get("/app/put?value=x")
    summary = client.get("/app/whoami").json()
    assert summary["expires"] - summary["created"] in (60, 61)
    clock.advance(61)
    assert client.get("/app/get").status_code == 404


def test_summary_and_logout(client):
    sid = session_cookie(client.get("/app/put?value=x"))
    summary = client.get("/app/whoami").json()
    assert summary["id"] == sid and summary["uri"] == f"session:{sid}"
    assert summary["keys"] == ["value"] and summary["user"] is None
    r = client.get("/app/logout")
    assert r.json() is True
    assert session_cookie(r) == ""  # cleared, path the zone's
    assert "Path=/app" in r.headers["set-cookie"]
    with pytest.raises(KernelError) as e:
        store(client).source(f"session:{sid}")
    assert e.value.id == "SessionExpired"
    client.cookies.set("roc_session", sid)  # a client that keeps the old cookie anyway
    assert client.get("/app/get").status_code == 404
    r = client.get("/app/logout")
    assert r.json() is False and session_cookie(r) is None


def test_session_argument_by_reference_for_dpml(client):
    r = client.get("/app/param")  # this:param:session is the URI, made on first use
    sid = session_cookie(r)
    assert sid and r.text == f"session:{sid}"
    assert store(client).source(f"session:{sid}+key@via-param").tag == "hello"
    assert client.get("/app/py/args").json() == ["session"]
    assert client.get("/plain/args").json() == []  # outside a zone: no argument


def test_rotation_keeps_values_and_ends_the_old_id(client):
    old = session_cookie(client.get("/app/put?value=kept"))
    r = client.get("/app/rotate")
    new = session_cookie(r)
    assert new and new != old and r.text == f"session:{new}"
    assert client.get("/app/get").text == "kept"
    with pytest.raises(KernelError) as e:
        store(client).source(f"session:{old}+key@value")
    assert e.value.id == "SessionExpired"
    assert rows(client) == 1


def test_login_binds_the_user_and_later_requests_run_as_them(client):
    anonymous = session_cookie(client.get("/app/put?value=cart"))
    assert client.get("/app/py/principal").json() == {"principal": None}
    r = client.post("/app/login", data={"user": "alice"})
    cookie = session_cookie(r)
    summary = r.json()
    assert summary["user"] == "alice" and cookie not in (None, "", anonymous)
    assert client.get("/app/py/principal").json() == {"principal": "alice"}
    assert client.get("/app/get").text == "cart"  # values came along
    assert client.get("/app/whoami").json()["id"] == summary["id"]
    with pytest.raises(KernelError):  # the anonymous id has ended
        store(client).source(f"session:{anonymous}")
    with pytest.raises(KernelError) as e:  # the session answers only its owner
        store(client).source(f"session:{summary['id']}")
    assert e.value.id == "UsernameMismatch"
    assert store(client, "alice").source(f"session:{summary['id']}+key@value") == "cart"
    r = client.get("/outside/whoami")  # outside the zone: no current session
    assert r.status_code == 404 and "zone" in r.text


def test_the_owned_session_id_itself_is_not_a_cookie(client):
    summary = client.post("/app/login", data={"user": "bob"}).json()
    client.cookies.clear()
    client.cookies.set("roc_session", summary["id"])
    assert client.get("/app/py/principal").json() == {"principal": None}
    assert client.get("/app/whoami").status_code == 404


def test_a_forged_login_record_gives_no_principal(client):
    r = client.get("/app/py/forge")  # an anonymous session claims to be admin's login
    assert r.status_code == 403  # not through session:/ ...
    r = client.get("/app/py/forge?direct=1")  # ... nor straight to the store
    assert r.status_code == 200
    assert client.get("/app/py/principal").json() == {"principal": None}
    assert client.get("/app/whoami").status_code == 404  # and selects nothing


def test_login_twice_and_logout_end_everything(client):
    first = client.post("/app/login", data={"user": "carol"}).json()["id"]
    second = client.post("/app/login", data={"user": "dave"}).json()
    assert second["user"] == "dave" and second["id"] != first
    assert client.get("/app/py/principal").json() == {"principal": "dave"}
    r = client.get("/app/logout")
    assert r.json() is True and session_cookie(r) == ""
    assert client.get("/app/py/principal").json() == {"principal": None}
    assert rows(client) == 0  # the session and its login record


def test_rotate_outside_a_zone_is_404(client):
    r = client.get("/outside/rotate")
    assert r.status_code == 404 and "zone" in r.text


def test_a_failing_script_still_delivers_the_session_it_made(client, site):
    (site / "scripts" / "halfway.idoc").write_text(
        "<idoc><seq><instr><type>copy</type><operand><v/></operand>"
        "<target>session:/made</target></instr>"
        "<instr><type>throw</type><id>data:,Late</id></instr></seq></idoc>"
    )
    r = client.get("/app/halfway")
    assert r.status_code == 500
    sid = session_cookie(r)
    assert sid and client.get("/app/whoami").json()["keys"] == ["made"]


def test_a_login_the_store_refuses_changes_nothing(make_client):
    """With room for one session, the login record cannot be made: the login fails, and
    the client keeps its session, its cookie and its values."""
    client = make_client(session={"max_sessions": 1, "on_limit": "refuse"})
    anonymous = session_cookie(client.get("/app/put?value=cart"))
    r = client.post("/app/login", data={"user": "alice"})
    assert r.status_code == 500 and session_cookie(r) is None  # no new cookie
    assert client.cookies.get("roc_session") == anonymous
    assert client.get("/app/get").text == "cart"
    assert client.get("/app/py/principal").json() == {"principal": None}
