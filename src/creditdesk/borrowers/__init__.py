"""The borrower's own view: sign-in by one-time code, their accounts."""
