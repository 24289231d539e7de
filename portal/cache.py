"""The cache every server process shares when no Redis is configured: a table in the database.

Django's ``DatabaseCache`` as it is, except ``incr``: Django's reads the value and writes it back
(another process may read the same value in between, and one of the two counts is lost) and
restarts the entry's expiry.  Here the row is locked before it is read and only its value is
written, so the API's throttle counters count every request of every process, and a counting
window keeps its end.
"""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        database = router.db_for_write(self.cache_model_class)
        connection = connections[database]
        quote_name = connection.ops.quote_name
        table, cache_key, value, expires = map(quote_name, (self._table, "cache_key", "value", "expires"))
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0, tzinfo=None))
        counted = None
        with transaction.atomic(using=database), connection.cursor() as cursor:
            # A write first: it takes the row's lock on PostgreSQL and the database's write lock
            # on SQLite, which other processes' increments then wait for.  A row it did not find
            # (and so did not lock) is missing, even if another process adds it meanwhile.
            cursor.execute(f"UPDATE {table} SET {expires} = {expires} WHERE {cache_key} = %s", [key])
            if cursor.rowcount == 1:
                cursor.execute(f"SELECT {value} FROM {table} WHERE {cache_key} = %s AND {expires} > %s", [key, now])
                row = cursor.fetchone()
                if row is None:
                    # Expired: deleted under the lock, so that of the processes that find it
                    # missing now, only one can add it again (add replaces an expired row).
                    cursor.execute(f"DELETE FROM {table} WHERE {cache_key} = %s", [key])
                else:
                    stored = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode()))
                    counted = stored + delta
                    encoded = base64.b64encode(pickle.dumps(counted, self.pickle_protocol)).decode("latin1")
                    cursor.execute(f"UPDATE {table} SET {value} = %s WHERE {cache_key} = %s", [encoded, key])
        if counted is None:
            raise ValueError(f"Key '{key}' not found.")
        return counted
