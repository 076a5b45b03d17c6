"""Security properties of the HTTP surface."""
