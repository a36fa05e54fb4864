"""The coworking domain: spaces, events, ingest, crawl and search."""
