"""CreditDesk: an open-source, self-hostable credit-risk platform for lenders."""

__version__ = "0.1.0"
