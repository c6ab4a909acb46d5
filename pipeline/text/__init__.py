"""Written text as the voices meet it: sentence splitting and spoken-duration estimates."""
