"""Custom Rasa components; imported by the Rasa process only (Python 3.10 venv), never by Charterdesk."""
