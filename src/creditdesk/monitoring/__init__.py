"""Monitoring: delinquency, model performance, drift, NPA forecast, alerts and embeddable dashboards."""
