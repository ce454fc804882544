"""Search: one folding function, the query parser, the index (a document per photo, album,
report and session, kept current by the service) and the query over it, through the one
visibility rule."""
