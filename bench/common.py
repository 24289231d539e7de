"""Helpers the benchmark scripts share (run them from the project: `python bench/<script>.py`)."""

from urllib.parse import unquote, urlsplit


def recreate_postgres_database(database_url):
    """Drop and create the URL's database; return the server version."""
    import psycopg
    from psycopg import sql

    url = urlsplit(database_url)
    name = unquote(url.path.lstrip("/"))
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"--database-url: refusing to drop the database {name!r}; name a benchmark database.")
    connection = psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=unquote(url.username or "postgres"),
        password=unquote(url.password or "") or None,
        dbname="postgres",
        autocommit=True,
    )
    with connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return connection.execute("SHOW server_version").fetchone()[0]
