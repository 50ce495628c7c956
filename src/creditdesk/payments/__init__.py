"""Payments: the gateway connector (:mod:`.gateway`) and the simulated gateway (:mod:`.simulator`).

The wire speaks paise as integers; our code speaks :class:`decimal.Decimal` rupees (:mod:`.wire`).
"""
