"""The built site in a real browser (Chromium via Playwright), its links and accessibility."""
