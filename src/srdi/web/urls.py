"""Routes of the web pages."""

app_name = "web"
urlpatterns: list = []
