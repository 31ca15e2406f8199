"""The person's display settings (theme, layout), kept by the server so they follow the person
across windows, web view back ends and browsers: per user in server mode."""
