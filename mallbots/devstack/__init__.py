"""The embedded stack: a real Temporal dev server and a real Postgres, started on loopback ports."""
