"""Server processes for the tests that need several: a free port, and the test database as they reach it."""

import socket
import sqlite3
from pathlib import Path
from urllib.parse import quote

from django.db import connection


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_for_servers(folder: Path) -> str:
    """The test database as other processes reach it: SQLite's (in memory) copied to a file,
    so write what the servers must see first; PostgreSQL's test database itself."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        path = folder / "servers.sqlite3"
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        return f"sqlite:///{path}"
    database = connection.settings_dict
    user = quote(database["USER"] or "", safe="")
    password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
    host = f"{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
    return f"postgres://{user}{password}@{host}/{database['NAME']}"
