"""The baseline of the ``pages`` section: a bare Streamlit page (a title and one line), no database."""

import streamlit as st

st.title("Bare page")
st.write("drawn")
