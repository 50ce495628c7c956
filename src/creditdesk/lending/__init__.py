"""Lending: the Key Fact Statement and its APR, and the simulated e-sign service (#14 item 5).

The approval → disbursement saga (its tables and routes) builds on these pure pieces.
"""
