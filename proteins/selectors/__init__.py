"""Read-side queries of the public site, the API and the downloads, by subject.

``pages``: the entry page's and the API's reads; ``streams``: whole sets as export records, a
chunk at a time; ``sql``: raw SQL helpers of the streams.  The organisms' summaries are
``proteins.counts.organism_summaries``, next to the counts they sum.
"""
