"""Channels: SMS, WhatsApp, e-mail and voice — provider connectors and simulators, templates, the contact
policy every send passes, consent and the message log (RISK-OPS.md, Channels)."""
