"""Alternative data: bank-statement and UPI transaction aggregates used by scoring."""
