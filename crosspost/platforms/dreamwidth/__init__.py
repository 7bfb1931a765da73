"""The Dreamwidth adapter: the LiveJournal protocol over XML-RPC, signed with an API key
(Dreamwidth's `cgi-bin/LJ/Protocol.pm`), and the comment export (`/export_comments.bml`).

Its registry entry is `spec.SPEC`.
"""
