"""The Streamlit operator console (``streamlit run dashboard/app.py``; the script is console.py)."""
