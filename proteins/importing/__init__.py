"""The import of TFLink protein pages: files in, proteins, interactions and binding sites out.

``run.import_pages`` (called by ``manage.py import_pages`` and the admin's upload, which stages
files with ``uploads``) finds the page files and reads them (``reading``): each page is
fingerprinted, and only changed ones are parsed (``proteins.parser``, ``proteins.tables``),
in worker processes for large imports.  Parsed pages are checked against the database
(``checks``) and gathered into batches; each batch is planned (``planning``: rows merged per
pair, what known interactions gain, what curated ones hold for curators through
``curation.rules``) and written in one transaction with a fixed number of bulk statements
(``writer``, in the SQL of each engine: ``sql``).  A large import into empty tables sets
plain indexes aside and builds them after (``deferred_indexes``).  The run and each page's
outcome are recorded (``ImportRun``, ``ImportRecord``) and summed up in a ``report``.
"""
