"""The web pages, one module per area: auth, home, enterprises, exports, imports."""
