"""One module per page; UI only (reads and actions go through dashboard.services)."""
