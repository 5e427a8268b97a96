"""The peers of ``bench http``, one per process: ``python -m bench._http_peer KIND DIR``.

Each serves ``/page`` (read session key ``seen``, write ``?v=`` to it, answer a line of
text) on 127.0.0.1 at a free port, and prints ``PORT n`` once it listens:
- ``starlette``: Starlette + SessionMiddleware (a signed cookie, nothing on the server)
  on uvicorn, one process, as roc serve runs;
- ``flask``: Flask + Flask-Session on its SQLAlchemy backend (a SQLite file in DIR, WAL
  as roc's) under waitress, a threaded WSGI server, one process.
"""

from __future__ import annotations

import socket
import sys


def _listen() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    return sock


def starlette() -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    def page(request):  # a sync endpoint, as roc's kernel work: on the thread pool
        seen = request.session.get("seen", "none")
        request.session["seen"] = request.query_params.get("v", "")
        return PlainTextResponse(f"a={seen}")

    app = Starlette(
        routes=[Route("/page", page)],
        middleware=[Middleware(SessionMiddleware, secret_key="bench-" + "x" * 32)],
    )
    sock = _listen()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def flask(folder: str) -> None:
    from flask import Flask, request, session
    from flask_session import Session
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import event
    from waitress.server import create_server

    app = Flask("bench")
    app.config.update(
        SECRET_KEY="bench",
        SESSION_TYPE="sqlalchemy",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/flask-session.db",
    )
    db = SQLAlchemy(app)
    app.config["SESSION_SQLALCHEMY"] = db
    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _wal(conn, _):  # the same durability settings roc's store uses
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")

    Session(app)

    @app.route("/page")
    def page():
        seen = session.get("seen", "none")
        session["seen"] = request.args.get("v", "")
        return f"a={seen}", 200, {"Content-Type": "text/plain; charset=utf-8"}

    with app.app_context():
        db.create_all()
    sock = _listen()
    server = create_server(app, sockets=[sock], threads=8, ident=None)
    server.run()


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "starlette":
        starlette()
    else:
        flask(sys.argv[2])
