"""The web app's areas, one module each (see campaigns.web.app.PAGE_MODULES)."""
