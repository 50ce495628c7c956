"""Tenant webhooks: domain events delivered over HTTPS with an HMAC-SHA256 signature."""
