"""The Streamlit operator console (``streamlit run dashboard/app.py``)."""
