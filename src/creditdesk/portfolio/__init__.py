"""The loan book: loans, schedules, repayments, DPD, RBI asset classification, portfolio analytics."""
