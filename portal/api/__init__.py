"""The REST API (v1): shared parts. Endpoints are registered on one router in ``portal/api/urls.py``."""
