"""Grammar and spelling backends: Harper (offline, English) and LanguageTool (configured).

Nothing here ever invents a finding. When no backend serves a language, the check is
skipped and the report says so in one line.
"""
