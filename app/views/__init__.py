"""Server-rendered pages of the host."""
