"""todochat as an OAuth 2.1 authorization server for its MCP endpoint (state in PostgreSQL)."""
