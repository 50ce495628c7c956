"""Fraud: identifier checks, KYC verification, velocity and ring features, the anomaly model and fraud
cases (RISK-OPS.md, Fraud)."""
