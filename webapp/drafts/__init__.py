"""Unsaved text, kept by the server the moment the page has it: a new note not yet created
(``composer``) and edits whose save failed or was still pending (``note-<id>``). Unlike the web
view's storage, which is per origin and per back end, this table is in the notes' own SQLite
file, so a relaunch, a crash or another web view finds every draft again."""
